// Fused element-wise steps of dense and convolution layers: bias, ReLU, and their backward passes.
// float32, contiguous.
#include "strix_common.cuh"

// bias_add_nchw: y [N, C, HW] += bias [C] on every pixel of channel c; then y = max(y, 0) when
// relu != 0 (a conv layer's bias + activation in one pass). In place.
extern "C" __global__ void bias_add_nchw(float* y, const float* bias, int N, int C, long long HW, int relu) {
    long long total = (long long)N * C * HW;
    STRIX_FOR_EACH(i, total) {
        int c = (int)((i / HW) % C);
        float v = y[i] + bias[c];
        y[i] = relu && !(v > 0.0f) ? 0.0f : v;
    }
}

// bias_add_rows: y [N, F] += bias [F] on every row; then ReLU when relu != 0 (a dense layer). In place.
extern "C" __global__ void bias_add_rows(float* y, const float* bias, int N, int F, int relu) {
    long long total = (long long)N * F;
    STRIX_FOR_EACH(i, total) {
        float v = y[i] + bias[i % F];
        y[i] = relu && !(v > 0.0f) ? 0.0f : v;
    }
}

// relu_forward: y [n] = max(x, 0) (NaN gives 0). y may alias x.
extern "C" __global__ void relu_forward(const float* x, float* y, long long n) {
    STRIX_FOR_EACH(i, n) {
        float v = x[i];
        y[i] = v > 0.0f ? v : 0.0f;
    }
}

// relu_backward: dx [n] = dy where the forward output y > 0, else 0 (y > 0 exactly where x > 0, so
// the layer keeps only its output). dx may alias dy.
extern "C" __global__ void relu_backward(const float* y, const float* dy, float* dx, long long n) {
    STRIX_FOR_EACH(i, n) {
        dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    }
}

// bias_backward_nchw: db [C] = sum over n and pixels of dy [N, C, HW]. One block of
// STRIX_REDUCE_THREADS threads per channel (grid-stride); fixed summation order. db is overwritten.
extern "C" __global__ void bias_backward_nchw(const float* dy, int N, int C, long long HW, float* db) {
    __shared__ float partial[STRIX_REDUCE_THREADS];
    long long terms = (long long)N * HW;
    for (int c = blockIdx.x; c < C; c += gridDim.x) {
        float acc = 0.0f;
        for (long long t = threadIdx.x; t < terms; t += blockDim.x) {
            long long n = t / HW;
            acc += dy[(n * C + c) * HW + (t - n * HW)];
        }
        float sum = strix_block_sum(acc, partial);
        if (threadIdx.x == 0) {
            db[c] = sum;
        }
        __syncthreads();
    }
}

// bias_backward_rows: db [F] = sum over rows of dy [N, F]. One thread per column; neighbouring
// threads read neighbouring columns. db is overwritten.
extern "C" __global__ void bias_backward_rows(const float* dy, int N, int F, float* db) {
    STRIX_FOR_EACH(f, F) {
        float acc = 0.0f;
        for (int n = 0; n < N; n++) {
            acc += dy[(long long)n * F + f];
        }
        db[f] = acc;
    }
}
