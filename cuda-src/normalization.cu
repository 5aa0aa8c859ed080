// Batch normalisation per channel (dev.strix.tensor.Normalization) over float32 tensors [N, C, ...]
// seen as [N, C, S]: the axes after the channel merged into one run of S elements with one stride.
// Statistics are computed as on the CPU: in double precision, with two passes (mean, then squared
// deviations), so the variance keeps its digits when the mean is large. One block of
// STRIX_REDUCE_THREADS threads per channel (grid-stride over channels) for the training and
// backward passes; the inference pass is element-wise.
//
// Each kernel also serves dev.strix.tensor.BatchNormRelu through its `relu` flag (0 for the plain
// ops, whose results do not change with it): the forward passes write max(0, y) instead of y, and the
// backward pass reads the forward output y and takes dy where y > 0, else 0, as the gradient wherever
// it reads dy. Both as the ReLU kernels do it (NaN gives 0), so the numbers are those of the separate
// ops, without their extra pass.
#include "strix_common.cuh"

// A float32 tensor [N, C, S] given by the address of element (0, 0, 0) and three element strides.
struct ChannelTensor {
    long long strideN, strideC, strideS;
};

// A channel vector [C] given by the address of element 0 and its element stride.
#define STRIX_AT_CHANNEL(v, stride, c) ((v)[(long long)(c) * (stride)])

__device__ __forceinline__ long long strix_channel_at(const ChannelTensor& t, long long e, int S, int c) {
    long long n = e / S;
    return n * t.strideN + c * t.strideC + (e - n * S) * t.strideS;
}

// A normalised value as written: with the ReLU fused, max(0, v) (NaN gives 0, as relu does).
__device__ __forceinline__ float strix_batchnorm_output(float v, int relu) {
    return relu && !(v > 0.0f) ? 0.0f : v;
}

// batchnorm_training: per channel c, with M = N * S values:
//   mean = sum(x) / M, var = sum((x - mean)^2) / M, invStd = 1 / sqrt(var + eps)
//   out = x * (gamma * invStd) + (beta - mean * gamma * invStd)
//   savedMean = mean, savedInvStd = invStd
//   runningMean = (1 - momentum) * runningMean + momentum * mean
//   runningVar  = (1 - momentum) * runningVar + momentum * var * M / (M - 1)
// then out = max(0, out) when relu is set. out may alias x (every element is read twice before it
// is written, by the same thread).
extern "C" __global__ void batchnorm_training(int N, int C, int S, const float* x, ChannelTensor tx,
                                              float* out, ChannelTensor to,
                                              const float* gamma, long long gammaStride,
                                              const float* beta, long long betaStride,
                                              float* runningMean, long long runningMeanStride,
                                              float* runningVar, long long runningVarStride,
                                              float* savedMean, long long savedMeanStride,
                                              float* savedInvStd, long long savedInvStdStride,
                                              float momentum, float epsilon, int relu) {
    __shared__ double partial[STRIX_REDUCE_THREADS];
    long long m = (long long)N * S;
    for (int c = blockIdx.x; c < C; c += gridDim.x) {
        double sum = 0.0;
        for (long long e = threadIdx.x; e < m; e += blockDim.x) {
            sum += x[strix_channel_at(tx, e, S, c)];
        }
        double mean = strix_block_sum(sum, partial) / (double)m;
        double squares = 0.0;
        for (long long e = threadIdx.x; e < m; e += blockDim.x) {
            double d = x[strix_channel_at(tx, e, S, c)] - mean;
            squares += d * d;
        }
        double var = strix_block_sum(squares, partial) / (double)m;
        double invStd = 1.0 / sqrt(var + (double)epsilon);
        double scale = (double)STRIX_AT_CHANNEL(gamma, gammaStride, c) * invStd;
        double shift = (double)STRIX_AT_CHANNEL(beta, betaStride, c) - mean * scale;
        for (long long e = threadIdx.x; e < m; e += blockDim.x) {
            float v = (float)__dadd_rn(__dmul_rn(x[strix_channel_at(tx, e, S, c)], scale), shift);
            out[strix_channel_at(to, e, S, c)] = strix_batchnorm_output(v, relu);
        }
        if (threadIdx.x == 0) {
            double keep = (double)(1.0f - momentum);
            STRIX_AT_CHANNEL(savedMean, savedMeanStride, c) = (float)mean;
            STRIX_AT_CHANNEL(savedInvStd, savedInvStdStride, c) = (float)invStd;
            float* rm = &STRIX_AT_CHANNEL(runningMean, runningMeanStride, c);
            float* rv = &STRIX_AT_CHANNEL(runningVar, runningVarStride, c);
            *rm = (float)(keep * *rm + momentum * mean);
            *rv = (float)(keep * *rv + momentum * var * (double)m / (double)(m - 1));
        }
    }
}

// batchnorm_inference: out = x * (gamma / sqrt(runningVar + eps)) + (beta - runningMean * that), then
// out = max(0, out) when relu is set; one thread per element. out may alias x.
extern "C" __global__ void batchnorm_inference(int N, int C, int S, const float* x, ChannelTensor tx,
                                               float* out, ChannelTensor to,
                                               const float* gamma, long long gammaStride,
                                               const float* beta, long long betaStride,
                                               const float* runningMean, long long runningMeanStride,
                                               const float* runningVar, long long runningVarStride,
                                               float epsilon, int relu) {
    long long total = (long long)N * C * S;
    STRIX_FOR_EACH(i, total) {
        int s = (int)(i % S);
        int c = (int)((i / S) % C);
        long long n = i / ((long long)S * C);
        double scale = (double)STRIX_AT_CHANNEL(gamma, gammaStride, c)
                / sqrt((double)STRIX_AT_CHANNEL(runningVar, runningVarStride, c) + (double)epsilon);
        double shift = (double)STRIX_AT_CHANNEL(beta, betaStride, c)
                - (double)STRIX_AT_CHANNEL(runningMean, runningMeanStride, c) * scale;
        float v = x[n * tx.strideN + c * tx.strideC + s * tx.strideS];
        out[n * to.strideN + c * to.strideC + s * to.strideS] =
                strix_batchnorm_output((float)__dadd_rn(__dmul_rn(v, scale), shift), relu);
    }
}

// The gradient that reaches the batch norm for element e of channel c: dy, or with the ReLU fused,
// dy where the forward output y > 0, else 0 (NaN gives 0, as relu_backward_strided).
__device__ __forceinline__ double strix_relu_gradient(const float* y, const ChannelTensor& ty, const float* dy,
                                                      const ChannelTensor& tg, long long e, int S, int c, int relu) {
    if (relu && !(y[strix_channel_at(ty, e, S, c)] > 0.0f)) {
        return 0.0;
    }
    return dy[strix_channel_at(tg, e, S, c)];
}

// batchnorm_backward: per channel, with xhat = (x - mean) * invStd, M = N * S, and g = dy, or with
// relu set g = y > 0 ? dy : 0 for the forward output y:
//   dBeta = sum(g), dGamma = sum(g * xhat)
//   dx = gamma * invStd / M * (M * g - dBeta - xhat * dGamma)
// y is read only when relu is set (it may be null otherwise). dx may alias dy or y (every element
// is read before it is written, by the same thread).
extern "C" __global__ void batchnorm_backward(int N, int C, int S, const float* x, ChannelTensor tx,
                                              const float* y, ChannelTensor ty,
                                              const float* dy, ChannelTensor tg, float* dx, ChannelTensor td,
                                              const float* gamma, long long gammaStride,
                                              const float* savedMean, long long savedMeanStride,
                                              const float* savedInvStd, long long savedInvStdStride,
                                              float* dGamma, long long dGammaStride,
                                              float* dBeta, long long dBetaStride, int relu) {
    __shared__ double partial[STRIX_REDUCE_THREADS];
    long long m = (long long)N * S;
    for (int c = blockIdx.x; c < C; c += gridDim.x) {
        double mean = STRIX_AT_CHANNEL(savedMean, savedMeanStride, c);
        double invStd = STRIX_AT_CHANNEL(savedInvStd, savedInvStdStride, c);
        double sumDy = 0.0;
        double sumDyXhat = 0.0;
        for (long long e = threadIdx.x; e < m; e += blockDim.x) {
            double g = strix_relu_gradient(y, ty, dy, tg, e, S, c, relu);
            sumDy += g;
            sumDyXhat += g * ((x[strix_channel_at(tx, e, S, c)] - mean) * invStd);
        }
        sumDy = strix_block_sum(sumDy, partial);
        sumDyXhat = strix_block_sum(sumDyXhat, partial);
        double k = (double)STRIX_AT_CHANNEL(gamma, gammaStride, c) * invStd / (double)m;
        for (long long e = threadIdx.x; e < m; e += blockDim.x) {
            double xhat = (x[strix_channel_at(tx, e, S, c)] - mean) * invStd;
            double g = strix_relu_gradient(y, ty, dy, tg, e, S, c, relu);
            dx[strix_channel_at(td, e, S, c)] = (float)(k * (__dmul_rn((double)m, g) - sumDy - xhat * sumDyXhat));
        }
        if (threadIdx.x == 0) {
            STRIX_AT_CHANNEL(dGamma, dGammaStride, c) = (float)sumDyXhat;
            STRIX_AT_CHANNEL(dBeta, dBetaStride, c) = (float)sumDy;
        }
    }
}
