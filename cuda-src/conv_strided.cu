// The strided-view convolution (the seed formulation): padding, dilation and the contraction of a
// window view with kernels, on float32 views of any strides (dev.strix.tensor.Convolution).
//
// Forward:  Z = correlate(windows(pad(X), stride), W).
// Backward: dW = correlate(windows of pad(X) with dZ as kernels), written into a permuted view of dW;
//           dX = unpad(correlate(windows(pad_full(dilate(dZ, stride))), rot180(W) channel-swapped)).
// Unpadding is a strided copy (copy.cu).
#include "strix_common.cuh"

// spread_planes: out[..., y, x] = in[..., (y - top) / sh, (x - left) / sw] where y - top and x - left
// are non-negative multiples of sh and sw inside the input plane (H x W), and 0 everywhere else.
// With sh = sw = 1 it is zero padding; with top = left = 0 it is dilation by the stride. `shape` is
// the output's, its leading axes merged where both views allow and its last two axes kept; `vi`
// holds the input's strides for the same axes (its last two apply to input rows and columns).
// Every out element is written once.
extern "C" __global__ void spread_planes(StridedShape shape, long long n, const float* in, StridedView vi,
                                         float* out, StridedView vo, int top, int left, int sh, int sw,
                                         int H, int W) {
    int coord[STRIX_MAX_RANK] = {};
    int rank = shape.rank;
    STRIX_FOR_EACH(i, n) {
        strix_unravel(shape, i, coord);
        long long dst = strix_at(vo, coord, rank);
        int y = strix_coord(coord, rank - 2) - top;
        int x = strix_coord(coord, rank - 1) - left;
        float v = 0.0f;
        if (y >= 0 && x >= 0 && y % sh == 0 && x % sw == 0 && y / sh < H && x / sw < W) {
            strix_set_coord(coord, rank - 2, y / sh);
            strix_set_coord(coord, rank - 1, x / sw);
            v = in[strix_at(vi, coord, rank)];
        }
        out[dst] = v;
    }
}

// The contraction's geometry: windows [A, C, Y, X, I, J], kernels [B, C, I, J], out [A, B, Y, X],
// each a view (element offset of element 0 and element strides).
// Passed by value; KernelParams.ints writes it as seven consecutive ints.
struct Correlation {
    int A, B, C, Y, X, I, J;
};
static_assert(sizeof(Correlation) == 28, "Correlation must match KernelParams.ints");

// The terms of one output, from term `from` on, every `step`-th, of its C * I * J products, summed in
// double precision in (c, i, j) order: the CPU backend's order, so the thread-per-output kernel
// reproduces its results bit for bit (a product of two floats is exact in double). The term index
// and its divisions are in I (see strix_fits_32).
template <typename I>
__device__ __forceinline__ double strix_correlate_terms_as(const Correlation& g, const float* windows,
                                                          long long wBase, const StridedView& vw,
                                                          const float* kernels, long long kBase,
                                                          const StridedView& vk, I from, I step, I count) {
    double acc = 0.0;
    for (I t = from; t < count; t += step) {
        I rest = t;
        int j = (int)strix_divmod(rest, (I)g.J);
        int i = (int)strix_divmod(rest, (I)g.I);
        int c = (int)rest;
        double w = windows[wBase + c * vw.strides[1] + i * vw.strides[4] + j * vw.strides[5]];
        double k = kernels[kBase + c * vk.strides[1] + i * vk.strides[2] + j * vk.strides[3]];
        acc += k * w;
    }
    return acc;
}

__device__ __forceinline__ double strix_correlate_terms(const Correlation& g, const float* windows,
                                                       long long wBase, const StridedView& vw,
                                                       const float* kernels, long long kBase,
                                                       const StridedView& vk, int from, int step) {
    long long count = (long long)g.C * g.I * g.J;
    if (count + step <= 0xffffffffLL) {
        return strix_correlate_terms_as<unsigned>(g, windows, wBase, vw, kernels, kBase, vk, (unsigned)from,
                                                  (unsigned)step, (unsigned)count);
    }
    return strix_correlate_terms_as<long long>(g, windows, wBase, vw, kernels, kBase, vk, from, step, count);
}

// Splits output index o of [A, B, Y, X] and finds the windows' and kernels' element for (c, i, j) = 0.
__device__ __forceinline__ void strix_correlate_output(const Correlation& g, long long o, const StridedView& vw,
                                                       const StridedView& vk, const StridedView& vo,
                                                       long long* wBase, long long* kBase, long long* dst) {
    int x = (int)(o % g.X);
    int y = (int)((o / g.X) % g.Y);
    int b = (int)((o / ((long long)g.X * g.Y)) % g.B);
    long long a = o / ((long long)g.X * g.Y * g.B);
    *wBase = vw.offset + a * vw.strides[0] + y * vw.strides[2] + x * vw.strides[3];
    *kBase = vk.offset + b * vk.strides[0];
    *dst = vo.offset + a * vo.strides[0] + b * vo.strides[1] + y * vo.strides[2] + x * vo.strides[3];
}

// correlate_threads: out[a, b, y, x] = sum over c, i, j of windows[a, c, y, x, i, j] * kernels[b, c, i, j],
// one thread per output element. For many outputs with short sums (the forward pass, the input
// gradient). Every out element is written.
extern "C" __global__ void correlate_threads(Correlation g, const float* windows, StridedView vw,
                                             const float* kernels, StridedView vk, float* out, StridedView vo) {
    long long outputs = (long long)g.A * g.B * g.Y * g.X;
    STRIX_FOR_EACH(o, outputs) {
        long long wBase, kBase, dst;
        strix_correlate_output(g, o, vw, vk, vo, &wBase, &kBase, &dst);
        out[dst] = (float)strix_correlate_terms(g, windows, wBase, vw, kernels, kBase, vk, 0, 1);
    }
}

// correlate_blocks: the same contraction with one block of STRIX_REDUCE_THREADS threads per output
// element (grid-stride over outputs); the threads split the C * I * J terms and combine them in a
// fixed tree order. For few outputs with long sums (the weight gradient, which sums over the batch
// and every output position). Every out element is written.
extern "C" __global__ void correlate_blocks(Correlation g, const float* windows, StridedView vw,
                                            const float* kernels, StridedView vk, float* out, StridedView vo) {
    __shared__ double partial[STRIX_REDUCE_THREADS];
    long long outputs = (long long)g.A * g.B * g.Y * g.X;
    for (long long o = blockIdx.x; o < outputs; o += gridDim.x) {
        long long wBase, kBase, dst;
        strix_correlate_output(g, o, vw, vk, vo, &wBase, &kBase, &dst);
        double acc = strix_correlate_terms(g, windows, wBase, vw, kernels, kBase, vk, threadIdx.x, blockDim.x);
        double sum = strix_block_sum(acc, partial);
        if (threadIdx.x == 0) {
            out[dst] = (float)sum;
        }
    }
}
