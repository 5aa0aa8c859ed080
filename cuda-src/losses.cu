// Classification losses and their gradients (dev.strix.tensor.Losses), averaged over the N rows of
// [N, K] float32 views of any strides. Labels are an int32 view [N]; a label outside [0, K) is
// reported in `status` (position = row) and makes its row's loss and gradient NaN.
//
// A loss is one number: a single block computes it, each thread summing whole rows in double
// precision, then the block combines the threads' sums in a fixed order (the same result on every
// run). Batches are thousands of rows at most, so one block is plenty.
#include "strix_common.cuh"

// A matrix [N, K] given by the address of element (0, 0) and two element strides.
struct Matrix {
    long long strideRow, strideCol;
};

#define STRIX_AT(m, v, r, k) ((m)[(long long)(r) * (v).strideRow + (long long)(k) * (v).strideCol])

__device__ __forceinline__ int strix_label(const int* labels, long long stride, int r, int K,
                                           unsigned long long* status) {
    int t = labels[(long long)r * stride];
    if (t < 0 || t >= K) {
        strix_report_bad(status, r, t);
        return -1;
    }
    return t;
}

// softmax_cross_entropy_forward (one block of STRIX_REDUCE_THREADS threads):
//   p[r] = softmax(z[r]) = exp(z[r] - m_r) / sum_j exp(z[r, j] - m_r)
//   loss = -1/N sum_r (z[r, t_r] - m_r - log sum_j exp(z[r, j] - m_r))
// With a tally (float32 [2], element stride tallyStride; null for none) the batch is also added to a
// running total: tally[0] += N * loss (the rows' losses summed in double, then one float addition),
// tally[1] += the rows whose largest logit (the first on ties) is at their label.
extern "C" __global__ void softmax_cross_entropy_forward(int N, int K, const float* z, Matrix vz,
                                                         const int* labels, long long labelStride,
                                                         float* p, Matrix vp, float* loss,
                                                         float* tally, long long tallyStride,
                                                         unsigned long long* status) {
    __shared__ double partial[STRIX_REDUCE_THREADS];
    double total = 0.0;
    int correct = 0;
    for (int r = threadIdx.x; r < N; r += blockDim.x) {
        double m = -INFINITY;
        for (int k = 0; k < K; k++) {
            double v = STRIX_AT(z, vz, r, k);
            m = (v > m || v != v) ? v : m;
        }
        double sum = 0.0;
        for (int k = 0; k < K; k++) {
            sum += exp(STRIX_AT(z, vz, r, k) - m);
        }
        double logSum = log(sum);
        for (int k = 0; k < K; k++) {
            STRIX_AT(p, vp, r, k) = (float)(exp(STRIX_AT(z, vz, r, k) - m) / sum);
        }
        int t = strix_label(labels, labelStride, r, K, status);
        total -= t < 0 ? NAN : STRIX_AT(z, vz, r, t) - m - logSum;
        if (tally != nullptr) {
            // The argmax op's rule: the first largest logit; NaN never wins over element 0.
            int best = 0;
            float bestValue = STRIX_AT(z, vz, r, 0);
            for (int k = 1; k < K; k++) {
                float v = STRIX_AT(z, vz, r, k);
                if (v > bestValue) {
                    best = k;
                    bestValue = v;
                }
            }
            correct += best == t ? 1 : 0;
        }
    }
    total = strix_block_sum(total, partial);
    double right = tally != nullptr ? strix_block_sum((double)correct, partial) : 0.0;
    if (threadIdx.x == 0) {
        *loss = (float)(total / N);
        if (tally != nullptr) {
            tally[0] = (float)((double)tally[0] + total);
            tally[tallyStride] = (float)((double)tally[tallyStride] + right);
        }
    }
}

// softmax_cross_entropy_backward: dz[r, k] = (p[r, k] - (k == t_r)) / N, one thread per element.
extern "C" __global__ void softmax_cross_entropy_backward(int N, int K, const float* p, Matrix vp,
                                                          const int* labels, long long labelStride,
                                                          float* dz, Matrix vd, unsigned long long* status) {
    long long total = (long long)N * K;
    STRIX_FOR_EACH(i, total) {
        int r = (int)(i / K);
        int k = (int)(i % K);
        int t = strix_label(labels, labelStride, r, K, status);
        double v = t < 0 ? NAN : ((double)STRIX_AT(p, vp, r, k) - (k == t ? 1 : 0)) / N;
        STRIX_AT(dz, vd, r, k) = (float)v;
    }
}

// cross_entropy_forward (one block of STRIX_REDUCE_THREADS threads), on probabilities p:
//   with labels (targets == NULL):  loss = -1/N sum_r log p[r, t_r]
//   with targets [N, K]:            loss = -1/N sum_r sum_k t[r, k] log p[r, k]   (terms with t = 0 skipped,
//                                   so a zero probability there does not give 0 * -inf = NaN)
extern "C" __global__ void cross_entropy_forward(int N, int K, const float* p, Matrix vp,
                                                 const int* labels, long long labelStride,
                                                 const float* targets, Matrix vt, float* loss,
                                                 unsigned long long* status) {
    __shared__ double partial[STRIX_REDUCE_THREADS];
    double total = 0.0;
    for (int r = threadIdx.x; r < N; r += blockDim.x) {
        if (targets == nullptr) {
            int t = strix_label(labels, labelStride, r, K, status);
            total -= t < 0 ? NAN : log((double)STRIX_AT(p, vp, r, t));
        } else {
            for (int k = 0; k < K; k++) {
                double t = STRIX_AT(targets, vt, r, k);
                if (t != 0) {
                    total -= t * log((double)STRIX_AT(p, vp, r, k));
                }
            }
        }
    }
    total = strix_block_sum(total, partial);
    if (threadIdx.x == 0) {
        *loss = (float)(total / N);
    }
}

// cross_entropy_backward: dp[r, k] = -t[r, k] / p[r, k] / N (0 where t = 0), t one-hot from labels
// when targets == NULL. One thread per element.
extern "C" __global__ void cross_entropy_backward(int N, int K, const float* p, Matrix vp,
                                                  const int* labels, long long labelStride,
                                                  const float* targets, Matrix vt, float* dp, Matrix vd,
                                                  unsigned long long* status) {
    long long total = (long long)N * K;
    STRIX_FOR_EACH(i, total) {
        int r = (int)(i / K);
        int k = (int)(i % K);
        double t;
        if (targets == nullptr) {
            int label = strix_label(labels, labelStride, r, K, status);
            t = label < 0 ? NAN : (k == label ? 1.0 : 0.0);
        } else {
            t = STRIX_AT(targets, vt, r, k);
        }
        STRIX_AT(dp, vd, r, k) = (float)(t == 0 ? 0.0 : -t / STRIX_AT(p, vp, r, k) / N);
    }
}
