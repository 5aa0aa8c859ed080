// Reductions of float32 views over any set of axes, accumulated in double precision as on the CPU.
// The Java side splits the input's axes into kept ones (they index the output) and reduced ones:
//   kept:    shape `kept` (outputs elements), input view `xk` (its offset is the input's offset),
//            output view `ok`;
//   reduced: shape `reduced` (count elements), input view `xr` (offset 0, added to xk's element).
#include "strix_common.cuh"

// Reduce op codes; must match dev.strix.cuda.KernelCodes (ReduceOp).
#define STRIX_SUM 0
#define STRIX_MEAN 1
#define STRIX_MAX 2
#define STRIX_MIN 3

__device__ __forceinline__ double strix_reduce_start(int op) {
    return op == STRIX_MAX ? -INFINITY : op == STRIX_MIN ? INFINITY : 0.0;
}

// NaN wins, as on the CPU: once the accumulator is NaN it stays NaN.
__device__ __forceinline__ double strix_reduce_step(int op, double acc, double v) {
    switch (op) {
        case STRIX_MAX: return (v > acc || v != v) ? v : acc;
        case STRIX_MIN: return (v < acc || v != v) ? v : acc;
        default: return acc + v;
    }
}

__device__ __forceinline__ double strix_reduce_finish(int op, double acc, long long count) {
    return op == STRIX_MEAN ? acc / (double)count : acc;
}

// reduce_f32_rows: one thread per output element walks its `count` reduced elements. For short
// reductions (the Java side picks it when count is small).
extern "C" __global__ void reduce_f32_rows(int op, StridedShape kept, long long outputs,
                                           StridedShape reduced, long long count,
                                           const float* x, StridedView xk, StridedView xr,
                                           float* out, StridedView ok) {
    int coord[STRIX_MAX_RANK] = {};
    STRIX_FOR_EACH(o, outputs) {
        strix_unravel(kept, o, coord);
        long long base = strix_at(xk, coord, kept.rank);
        long long dst = strix_at(ok, coord, kept.rank);
        double acc = strix_reduce_start(op);
        for (long long r = 0; r < count; r++) {
            strix_unravel(reduced, r, coord);
            acc = strix_reduce_step(op, acc, x[base + strix_at(xr, coord, reduced.rank)]);
        }
        out[dst] = (float)strix_reduce_finish(op, acc, count);
    }
}

// reduce_f32_blocks: one block of STRIX_REDUCE_THREADS threads per output element (grid-stride over
// outputs); the threads split the reduced elements and combine in a fixed tree order.
extern "C" __global__ void reduce_f32_blocks(int op, StridedShape kept, long long outputs,
                                             StridedShape reduced, long long count,
                                             const float* x, StridedView xk, StridedView xr,
                                             float* out, StridedView ok) {
    __shared__ double partial[STRIX_REDUCE_THREADS];
    int coord[STRIX_MAX_RANK] = {};
    for (long long o = blockIdx.x; o < outputs; o += gridDim.x) {
        strix_unravel(kept, o, coord);
        long long base = strix_at(xk, coord, kept.rank);
        long long dst = strix_at(ok, coord, kept.rank);
        double acc = strix_reduce_start(op);
        for (long long r = threadIdx.x; r < count; r += blockDim.x) {
            strix_unravel(reduced, r, coord);
            acc = strix_reduce_step(op, acc, x[base + strix_at(xr, coord, reduced.rank)]);
        }
        partial[threadIdx.x] = acc;
        __syncthreads();
        for (int half = STRIX_REDUCE_THREADS / 2; half > 0; half /= 2) {
            if (threadIdx.x < half) {
                partial[threadIdx.x] = op == STRIX_SUM || op == STRIX_MEAN
                        ? partial[threadIdx.x] + partial[threadIdx.x + half]
                        : strix_reduce_step(op, partial[threadIdx.x], partial[threadIdx.x + half]);
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) {
            out[dst] = (float)strix_reduce_finish(op, partial[0], count);
        }
        __syncthreads();
    }
}

// argmax_f32: for each of the `outputs` kept positions, the index (int32) along the reduced axis
// (length elements, element stride axisStride) of the largest value; the first one on ties; NaN
// never wins after position 0 (as on the CPU).
extern "C" __global__ void argmax_f32(StridedShape kept, long long outputs, const float* x, StridedView xk,
                                      long long axisStride, int length, int* out, StridedView ok) {
    int coord[STRIX_MAX_RANK] = {};
    STRIX_FOR_EACH(o, outputs) {
        strix_unravel(kept, o, coord);
        long long base = strix_at(xk, coord, kept.rank);
        int best = 0;
        float bestValue = length > 0 ? x[base] : 0.0f;
        for (int i = 1; i < length; i++) {
            float v = x[base + i * axisStride];
            if (v > bestValue) {
                best = i;
                bestValue = v;
            }
        }
        out[strix_at(ok, coord, kept.rank)] = best;
    }
}

// gemm_batch_sum: the second half of Blas.gemmBatchSum on the GPU. The first half, one
// strided-batched cuBLAS GEMM, wrote each sample's product alpha * op(A[b]) op(B[b]) into
// w [batch, rows, cols] (contiguous); this adds them up in double precision, as the other
// reductions, and adds beta * c, rounding once (c is not read when beta == 0):
//   c[r, s] = beta * c[r, s] + sum_b w[b, r, s]
// c is a 2-D view: its first element at `c`, element strides cRow and cCol.
// Blocks of 32 x S threads (S = blockDim.x / 32, at most STRIX_BATCH_SUM_SPLITS): the 32 lanes of a
// warp take 32 consecutive elements of c, so a warp reads 128 contiguous bytes of each w[b], and the
// block's S warps split the batch (warp s adds samples s, s + S, s + 2S, ... in that order); then the
// S partial sums of each element are added in warp order. A fixed order, so every run gives the same
// bits; and many threads even for a small c (a first convolution's 32 x 9 weights), whose sum
// would otherwise be a few threads' long chains of dependent loads.
#define STRIX_BATCH_SUM_SPLITS 16
extern "C" __global__ void gemm_batch_sum(const float* w, long long batch, int rows, int cols, float* c,
                                          long long cRow, long long cCol, float beta) {
    __shared__ double partial[32 * STRIX_BATCH_SUM_SPLITS];
    const long long elements = (long long)rows * cols;
    const int lane = threadIdx.x % 32;
    const int split = threadIdx.x / 32;
    const int splits = blockDim.x / 32;
    // The same number of rounds for every thread of the block, so the barriers below are reached by all.
    for (long long base = (long long)blockIdx.x * 32; base < elements; base += (long long)gridDim.x * 32) {
        long long i = base + lane;
        double acc = 0.0;
        if (i < elements) {
            for (long long b = split; b < batch; b += splits) {
                acc += (double)w[b * elements + i];
            }
        }
        partial[threadIdx.x] = acc;
        __syncthreads();
        if (split == 0 && i < elements) {
            double sum = 0.0;
            for (int s = 0; s < splits; s++) {
                sum += partial[s * 32 + lane];
            }
            float* at = c + (i / cols) * cRow + (i % cols) * cCol;
            *at = beta == 0.0f ? (float)sum : (float)((double)beta * (double)*at + sum);
        }
        __syncthreads();
    }
}
