// Batch normalisation per channel (dev.strix.tensor.Normalization) over float32 tensors [N, C, ...]
// seen as [N, C, S]: the axes after the channel merged into one run of S elements with one stride.
// Statistics are computed as on the CPU: in double precision, with two passes (mean, then squared
// deviations about it), so the variance keeps its digits when the mean is large.
//
// The M = N * S values of a channel are cut into `slices` equal ranges (the Java side picks the
// count, dev.strix.cuda.CudaNormalization#slices, so that a few long channels still fill the GPU),
// and a block of STRIX_REDUCE_THREADS threads takes each (channel, slice), grid-stride. With one
// slice a single kernel does every pass (batchnorm_training, batchnorm_backward). With several, each
// pass that needs a channel's total is a kernel of its own, and every block of the channel starts
// by adding the channel's per-slice partials from the last kernel in one fixed order (the same
// code in every block, so all get the same bits): training is three kernels (sums; squared
// deviations about the mean; normalise), backward two (gradient sums; input gradient). The partials
// are doubles in a workspace of at most 2 x 4096 that the caller owns. No atomics, so the results
// are the same on every run, and nothing is allocated, so every op can be captured in a CUDA graph.
// The inference pass is element-wise.
//
// Each kernel also serves dev.strix.tensor.BatchNormRelu through its `relu` flag (0 for the plain
// ops, whose results do not change with it): the forward passes write max(0, y) instead of y, and the
// backward passes read the forward output y and take dy where y > 0, else 0, as the gradient wherever
// they read dy. Both as the ReLU kernels do it (NaN gives 0), so the numbers are those of the separate
// ops, without their extra pass.
//
// Dense [N, C] tensors (S = 1) are read down a column by each block, C floats apart, so a warp's
// reads are not coalesced; such tensors (1024 x 128 floats at most in the models here) sit in L2,
// and these kernels are bound by their launches and reductions rather than by those reads.
//
// Aliasing: out may alias x, and dx may alias dy or y: the kernels that write them read each element
// only in the thread that then writes it, and the kernels before them only read. The channel vectors
// must not alias one another.
#include "channel_slices.cuh"

// A normalised value as written: with the ReLU fused, max(0, v) (NaN gives 0, as relu does).
__device__ __forceinline__ float strix_batchnorm_output(float v, int relu) {
    return relu && !(v > 0.0f) ? 0.0f : v;
}

// This thread's sum of x over its share of [begin, end) of channel c.
__device__ double strix_values_sum(const float* x, const ChannelTensor& tx, int S, int c, long long begin,
                                   long long end) {
    double sum = 0.0;
    for (ChannelWalk w(begin, end, S); w.more(); w.next()) {
        sum += x[w.at(tx, c)];
    }
    return sum;
}

// This thread's sum of (x - mean)^2 over its share of [begin, end) of channel c.
__device__ double strix_squared_deviations(const float* x, const ChannelTensor& tx, int S, int c, long long begin,
                                           long long end, double mean) {
    double squares = 0.0;
    for (ChannelWalk w(begin, end, S); w.more(); w.next()) {
        double d = x[w.at(tx, c)] - mean;
        squares += d * d;
    }
    return squares;
}

// out = x * scale + shift (then the ReLU when set) over this thread's share of [begin, end) of
// channel c; the product and sum rounded apart (no fused multiply-add), as on the CPU.
__device__ void strix_normalise(const float* x, const ChannelTensor& tx, float* out, const ChannelTensor& to, int S,
                                int c, long long begin, long long end, double scale, double shift, int relu) {
    for (ChannelWalk w(begin, end, S); w.more(); w.next()) {
        float v = (float)__dadd_rn(__dmul_rn(x[w.at(tx, c)], scale), shift);
        out[w.at(to, c)] = strix_batchnorm_output(v, relu);
    }
}

// The per-channel results of a training pass, written by one thread of one block of the channel:
//   savedMean = mean, savedInvStd = invStd
//   runningMean = (1 - momentum) * runningMean + momentum * mean
//   runningVar  = (1 - momentum) * runningVar + momentum * var * M / (M - 1)
__device__ void strix_store_statistics(int c, long long m, double mean, double var, double invStd, float momentum,
                                       float* runningMean, long long runningMeanStride,
                                       float* runningVar, long long runningVarStride,
                                       float* savedMean, long long savedMeanStride,
                                       float* savedInvStd, long long savedInvStdStride) {
    double keep = (double)(1.0f - momentum);
    STRIX_AT_CHANNEL(savedMean, savedMeanStride, c) = (float)mean;
    STRIX_AT_CHANNEL(savedInvStd, savedInvStdStride, c) = (float)invStd;
    float* rm = &STRIX_AT_CHANNEL(runningMean, runningMeanStride, c);
    float* rv = &STRIX_AT_CHANNEL(runningVar, runningVarStride, c);
    *rm = (float)(keep * *rm + momentum * mean);
    *rv = (float)(keep * *rv + momentum * var * (double)m / (double)(m - 1));
}

// batchnorm_training, a block per channel (one slice): per channel c, with M = N * S values:
//   mean = sum(x) / M, var = sum((x - mean)^2) / M, invStd = 1 / sqrt(var + eps)
//   out = x * (gamma * invStd) + (beta - mean * gamma * invStd), then max(0, out) when relu is set
// and the statistics of strix_store_statistics.
extern "C" __global__ void batchnorm_training(int N, int C, int S, const float* x, ChannelTensor tx,
                                              float* out, ChannelTensor to,
                                              const float* gamma, long long gammaStride,
                                              const float* beta, long long betaStride,
                                              float* runningMean, long long runningMeanStride,
                                              float* runningVar, long long runningVarStride,
                                              float* savedMean, long long savedMeanStride,
                                              float* savedInvStd, long long savedInvStdStride,
                                              float momentum, float epsilon, int relu) {
    __shared__ double shared[STRIX_REDUCE_THREADS];
    long long m = (long long)N * S;
    for (int c = blockIdx.x; c < C; c += gridDim.x) {
        double mean = strix_block_sum(strix_values_sum(x, tx, S, c, 0, m), shared) / (double)m;
        double var = strix_block_sum(strix_squared_deviations(x, tx, S, c, 0, m, mean), shared) / (double)m;
        double invStd = 1.0 / sqrt(var + (double)epsilon);
        double scale = (double)STRIX_AT_CHANNEL(gamma, gammaStride, c) * invStd;
        double shift = (double)STRIX_AT_CHANNEL(beta, betaStride, c) - mean * scale;
        strix_normalise(x, tx, out, to, S, c, 0, m, scale, shift, relu);
        if (threadIdx.x == 0) {
            strix_store_statistics(c, m, mean, var, invStd, momentum, runningMean, runningMeanStride, runningVar,
                                   runningVarStride, savedMean, savedMeanStride, savedInvStd, savedInvStdStride);
        }
    }
}

// batchnorm_slice_sums, training pass 1 of 3 with several slices: sums[b] = sum of x over slice
// b % slices of channel b / slices.
extern "C" __global__ void batchnorm_slice_sums(int N, int C, int S, const float* x, ChannelTensor tx, int slices,
                                                double* sums) {
    __shared__ double shared[STRIX_REDUCE_THREADS];
    long long m = (long long)N * S;
    long long blocks = (long long)C * slices;
    for (long long b = blockIdx.x; b < blocks; b += gridDim.x) {
        int c = (int)(b / slices);
        long long begin, end;
        strix_channel_slice(m, slices, (int)(b % slices), &begin, &end);
        double sum = strix_block_sum(strix_values_sum(x, tx, S, c, begin, end), shared);
        if (threadIdx.x == 0) {
            sums[b] = sum;
        }
    }
}

// batchnorm_slice_squares, training pass 2 of 3: with mean = (channel total of sums) / M,
// squares[b] = sum of (x - mean)^2 over slice b % slices of channel b / slices.
extern "C" __global__ void batchnorm_slice_squares(int N, int C, int S, const float* x, ChannelTensor tx, int slices,
                                                   const double* sums, double* squares) {
    __shared__ double shared[STRIX_REDUCE_THREADS];
    long long m = (long long)N * S;
    long long blocks = (long long)C * slices;
    for (long long b = blockIdx.x; b < blocks; b += gridDim.x) {
        int c = (int)(b / slices);
        long long begin, end;
        strix_channel_slice(m, slices, (int)(b % slices), &begin, &end);
        double mean = strix_channel_total(sums, c, slices, shared) / (double)m;
        double sum = strix_block_sum(strix_squared_deviations(x, tx, S, c, begin, end, mean), shared);
        if (threadIdx.x == 0) {
            squares[b] = sum;
        }
    }
}

// batchnorm_slice_normalise, training pass 3 of 3: mean and var from the channel totals of sums and
// squares, then out over slice b % slices of channel b / slices as batchnorm_training; the block of
// slice 0 stores the channel's statistics.
extern "C" __global__ void batchnorm_slice_normalise(int N, int C, int S, const float* x, ChannelTensor tx,
                                                     float* out, ChannelTensor to,
                                                     const float* gamma, long long gammaStride,
                                                     const float* beta, long long betaStride,
                                                     float* runningMean, long long runningMeanStride,
                                                     float* runningVar, long long runningVarStride,
                                                     float* savedMean, long long savedMeanStride,
                                                     float* savedInvStd, long long savedInvStdStride,
                                                     float momentum, float epsilon, int relu, int slices,
                                                     const double* sums, const double* squares) {
    __shared__ double shared[STRIX_REDUCE_THREADS];
    long long m = (long long)N * S;
    long long blocks = (long long)C * slices;
    for (long long b = blockIdx.x; b < blocks; b += gridDim.x) {
        int c = (int)(b / slices);
        int slice = (int)(b % slices);
        long long begin, end;
        strix_channel_slice(m, slices, slice, &begin, &end);
        double mean = strix_channel_total(sums, c, slices, shared) / (double)m;
        double var = strix_channel_total(squares, c, slices, shared) / (double)m;
        double invStd = 1.0 / sqrt(var + (double)epsilon);
        double scale = (double)STRIX_AT_CHANNEL(gamma, gammaStride, c) * invStd;
        double shift = (double)STRIX_AT_CHANNEL(beta, betaStride, c) - mean * scale;
        strix_normalise(x, tx, out, to, S, c, begin, end, scale, shift, relu);
        if (slice == 0 && threadIdx.x == 0) {
            strix_store_statistics(c, m, mean, var, invStd, momentum, runningMean, runningMeanStride, runningVar,
                                   runningVarStride, savedMean, savedMeanStride, savedInvStd, savedInvStdStride);
        }
    }
}

// The channels of batchnorm_inference: gamma, beta and the running statistics, each with its stride.
struct InferenceChannels {
    const float* gamma;
    long long gammaStride;
    const float* beta;
    long long betaStride;
    const float* runningMean;
    long long runningMeanStride;
    const float* runningVar;
    long long runningVarStride;
};

// batchnorm_inference's loop, with the flat index (and its two divisions) in I (see strix_fits_32).
template <typename I>
__device__ __forceinline__ void batchnorm_inference_elements(int C, int S, const float* x, ChannelTensor tx, float* out,
                                                             ChannelTensor to, InferenceChannels ch, float epsilon,
                                                             int relu, I total) {
    STRIX_FOR_EACH_AS(I, i, total) {
        I rest = i;
        int s = (int)strix_divmod(rest, (I)S);
        int c = (int)strix_divmod(rest, (I)C);
        long long n = (long long)rest;
        double scale = (double)STRIX_AT_CHANNEL(ch.gamma, ch.gammaStride, c)
                / sqrt((double)STRIX_AT_CHANNEL(ch.runningVar, ch.runningVarStride, c) + (double)epsilon);
        double shift = (double)STRIX_AT_CHANNEL(ch.beta, ch.betaStride, c)
                - (double)STRIX_AT_CHANNEL(ch.runningMean, ch.runningMeanStride, c) * scale;
        float v = x[n * tx.strideN + c * tx.strideC + s * tx.strideS];
        out[n * to.strideN + c * to.strideC + s * to.strideS] =
                strix_batchnorm_output((float)__dadd_rn(__dmul_rn(v, scale), shift), relu);
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
    InferenceChannels ch{gamma, gammaStride, beta, betaStride, runningMean, runningMeanStride, runningVar,
                         runningVarStride};
    if (strix_fits_32(total)) {
        batchnorm_inference_elements<unsigned>(C, S, x, tx, out, to, ch, epsilon, relu, (unsigned)total);
    } else {
        batchnorm_inference_elements<long long>(C, S, x, tx, out, to, ch, epsilon, relu, total);
    }
}

// The operands of a backward pass: x, the forward output y (read only when relu is set; it may be
// null otherwise), dy and dx, and the channel's saved statistics.
struct BackwardOperands {
    const float* x;
    const float* y;
    const float* dy;
    float* dx;
    ChannelTensor tx, ty, tg, td;
    int S, c, relu;
    double mean, invStd;
};

// The gradient that reaches the batch norm at the walk's value: dy, or with the ReLU fused, dy where
// the forward output y > 0, else 0 (NaN gives 0, as relu_backward_strided).
__device__ __forceinline__ double strix_relu_gradient(const BackwardOperands& o, const ChannelWalk& w) {
    if (o.relu && !(o.y[w.at(o.ty, o.c)] > 0.0f)) {
        return 0.0;
    }
    return o.dy[w.at(o.tg, o.c)];
}

// This thread's sums of g and of g * xhat over its share of [begin, end), xhat = (x - mean) * invStd.
__device__ void strix_gradient_sums(const BackwardOperands& o, long long begin, long long end, double* sumDy,
                                    double* sumDyXhat) {
    double dyTotal = 0.0;
    double dyXhatTotal = 0.0;
    for (ChannelWalk w(begin, end, o.S); w.more(); w.next()) {
        double g = strix_relu_gradient(o, w);
        dyTotal += g;
        dyXhatTotal += g * ((o.x[w.at(o.tx, o.c)] - o.mean) * o.invStd);
    }
    *sumDy = dyTotal;
    *sumDyXhat = dyXhatTotal;
}

// dx = k * (M * g - sumDy - xhat * sumDyXhat) over this thread's share of [begin, end).
__device__ void strix_input_gradient(const BackwardOperands& o, long long begin, long long end, long long m, double k,
                                     double sumDy, double sumDyXhat) {
    for (ChannelWalk w(begin, end, o.S); w.more(); w.next()) {
        double xhat = (o.x[w.at(o.tx, o.c)] - o.mean) * o.invStd;
        double g = strix_relu_gradient(o, w);
        o.dx[w.at(o.td, o.c)] = (float)(k * (__dmul_rn((double)m, g) - sumDy - xhat * sumDyXhat));
    }
}

// batchnorm_backward, a block per channel (one slice): per channel, with xhat = (x - mean) * invStd,
// M = N * S, and g = dy, or with relu set g = y > 0 ? dy : 0 for the forward output y:
//   dBeta = sum(g), dGamma = sum(g * xhat)
//   dx = gamma * invStd / M * (M * g - dBeta - xhat * dGamma)
extern "C" __global__ void batchnorm_backward(int N, int C, int S, const float* x, ChannelTensor tx,
                                              const float* y, ChannelTensor ty,
                                              const float* dy, ChannelTensor tg, float* dx, ChannelTensor td,
                                              const float* gamma, long long gammaStride,
                                              const float* savedMean, long long savedMeanStride,
                                              const float* savedInvStd, long long savedInvStdStride,
                                              float* dGamma, long long dGammaStride,
                                              float* dBeta, long long dBetaStride, int relu) {
    __shared__ double shared[STRIX_REDUCE_THREADS];
    long long m = (long long)N * S;
    for (int c = blockIdx.x; c < C; c += gridDim.x) {
        BackwardOperands o = {x, y, dy, dx, tx, ty, tg, td, S, c, relu,
                              STRIX_AT_CHANNEL(savedMean, savedMeanStride, c),
                              STRIX_AT_CHANNEL(savedInvStd, savedInvStdStride, c)};
        double sumDy, sumDyXhat;
        strix_gradient_sums(o, 0, m, &sumDy, &sumDyXhat);
        sumDy = strix_block_sum(sumDy, shared);
        sumDyXhat = strix_block_sum(sumDyXhat, shared);
        double k = (double)STRIX_AT_CHANNEL(gamma, gammaStride, c) * o.invStd / (double)m;
        strix_input_gradient(o, 0, m, m, k, sumDy, sumDyXhat);
        if (threadIdx.x == 0) {
            STRIX_AT_CHANNEL(dGamma, dGammaStride, c) = (float)sumDyXhat;
            STRIX_AT_CHANNEL(dBeta, dBetaStride, c) = (float)sumDy;
        }
    }
}

// batchnorm_backward_slice_sums, backward pass 1 of 2 with several slices: dyPartials[b] and
// dyXhatPartials[b] = the sums of g and g * xhat over slice b % slices of channel b / slices.
extern "C" __global__ void batchnorm_backward_slice_sums(int N, int C, int S, const float* x, ChannelTensor tx,
                                                         const float* y, ChannelTensor ty,
                                                         const float* dy, ChannelTensor tg,
                                                         const float* savedMean, long long savedMeanStride,
                                                         const float* savedInvStd, long long savedInvStdStride,
                                                         int relu, int slices, double* dyPartials,
                                                         double* dyXhatPartials) {
    __shared__ double shared[STRIX_REDUCE_THREADS];
    long long m = (long long)N * S;
    long long blocks = (long long)C * slices;
    for (long long b = blockIdx.x; b < blocks; b += gridDim.x) {
        int c = (int)(b / slices);
        long long begin, end;
        strix_channel_slice(m, slices, (int)(b % slices), &begin, &end);
        BackwardOperands o = {x, y, dy, nullptr, tx, ty, tg, tx, S, c, relu,
                              STRIX_AT_CHANNEL(savedMean, savedMeanStride, c),
                              STRIX_AT_CHANNEL(savedInvStd, savedInvStdStride, c)};
        double sumDy, sumDyXhat;
        strix_gradient_sums(o, begin, end, &sumDy, &sumDyXhat);
        sumDy = strix_block_sum(sumDy, shared);
        sumDyXhat = strix_block_sum(sumDyXhat, shared);
        if (threadIdx.x == 0) {
            dyPartials[b] = sumDy;
            dyXhatPartials[b] = sumDyXhat;
        }
    }
}

// batchnorm_backward_slice_input, backward pass 2 of 2: dBeta and dGamma as the channel totals of
// the partials, then dx over slice b % slices of channel b / slices as batchnorm_backward; the block
// of slice 0 stores dGamma and dBeta.
extern "C" __global__ void batchnorm_backward_slice_input(int N, int C, int S, const float* x, ChannelTensor tx,
                                                          const float* y, ChannelTensor ty,
                                                          const float* dy, ChannelTensor tg, float* dx,
                                                          ChannelTensor td, const float* gamma, long long gammaStride,
                                                          const float* savedMean, long long savedMeanStride,
                                                          const float* savedInvStd, long long savedInvStdStride,
                                                          float* dGamma, long long dGammaStride,
                                                          float* dBeta, long long dBetaStride, int relu, int slices,
                                                          const double* dyPartials, const double* dyXhatPartials) {
    __shared__ double shared[STRIX_REDUCE_THREADS];
    long long m = (long long)N * S;
    long long blocks = (long long)C * slices;
    for (long long b = blockIdx.x; b < blocks; b += gridDim.x) {
        int c = (int)(b / slices);
        int slice = (int)(b % slices);
        long long begin, end;
        strix_channel_slice(m, slices, slice, &begin, &end);
        BackwardOperands o = {x, y, dy, dx, tx, ty, tg, td, S, c, relu,
                              STRIX_AT_CHANNEL(savedMean, savedMeanStride, c),
                              STRIX_AT_CHANNEL(savedInvStd, savedInvStdStride, c)};
        double sumDy = strix_channel_total(dyPartials, c, slices, shared);
        double sumDyXhat = strix_channel_total(dyXhatPartials, c, slices, shared);
        double k = (double)STRIX_AT_CHANNEL(gamma, gammaStride, c) * o.invStd / (double)m;
        strix_input_gradient(o, begin, end, m, k, sumDy, sumDyXhat);
        if (slice == 0 && threadIdx.x == 0) {
            STRIX_AT_CHANNEL(dGamma, dGammaStride, c) = (float)sumDyXhat;
            STRIX_AT_CHANNEL(dBeta, dBetaStride, c) = (float)sumDy;
        }
    }
}
