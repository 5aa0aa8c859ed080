// Activation backward passes and the row softmax (dev.strix.tensor.Activation), on float32 views of
// any strides.
#include "strix_common.cuh"

// relu_backward_strided: dx = dOut where the ReLU's output y > 0, else 0 (NaN gives 0), over the
// merged walk of three same-shaped views. dx may alias dOut.
extern "C" __global__ void relu_backward_strided(StridedShape shape, long long n, const float* y, StridedView vy,
                                                 const float* dOut, StridedView vg, float* dx, StridedView vd) {
    int coord[STRIX_MAX_RANK] = {};
    STRIX_FOR_EACH(i, n) {
        strix_unravel(shape, i, coord);
        float v = y[strix_at(vy, coord, shape.rank)];
        dx[strix_at(vd, coord, shape.rank)] = v > 0.0f ? dOut[strix_at(vg, coord, shape.rank)] : 0.0f;
    }
}

// A matrix [rows, K] given by the address of element (0, 0) and two element strides.
struct Rows {
    long long strideRow, strideCol;
};

#define STRIX_WARP 32

// The warp of this thread takes rows warp, warp + warps, ...: one warp per row, its lanes strided
// over the row's K entries, combined by shuffles (strix_warp_sum / strix_warp_max).
#define STRIX_FOR_EACH_ROW_OF_WARP(row, rows) \
    for (long long row = ((long long)blockIdx.x * blockDim.x + threadIdx.x) / STRIX_WARP; row < (rows); \
         row += (long long)gridDim.x * blockDim.x / STRIX_WARP)

// softmax_rows: out[r, k] = exp(x[r, k] - m) / sum_j exp(x[r, j] - m), m the row maximum, in double
// precision as on the CPU. out may alias x (each lane reads its entries before writing them).
extern "C" __global__ void softmax_rows(long long rows, int K, const float* x, Rows vx, float* out, Rows vo) {
    int lane = threadIdx.x % STRIX_WARP;
    STRIX_FOR_EACH_ROW_OF_WARP(r, rows) {
        const float* in = x + r * vx.strideRow;
        double m = -INFINITY;
        for (int k = lane; k < K; k += STRIX_WARP) {
            double v = in[k * vx.strideCol];
            m = (v > m || v != v) ? v : m;
        }
        m = strix_warp_max(m);
        double sum = 0.0;
        for (int k = lane; k < K; k += STRIX_WARP) {
            sum += exp(in[k * vx.strideCol] - m);
        }
        sum = strix_warp_sum(sum);
        for (int k = lane; k < K; k += STRIX_WARP) {
            out[r * vo.strideRow + k * vo.strideCol] = (float)(exp(in[k * vx.strideCol] - m) / sum);
        }
    }
}

// softmax_backward_rows: dx[r, i] = y[r, i] * (dOut[r, i] - sum_j y[r, j] * dOut[r, j]), the softmax
// Jacobian applied to dOut, row by row, in double precision. dx may alias dOut.
extern "C" __global__ void softmax_backward_rows(long long rows, int K, const float* y, Rows vy,
                                                 const float* dOut, Rows vg, float* dx, Rows vd) {
    int lane = threadIdx.x % STRIX_WARP;
    STRIX_FOR_EACH_ROW_OF_WARP(r, rows) {
        double dot = 0.0;
        for (int k = lane; k < K; k += STRIX_WARP) {
            dot += (double)y[r * vy.strideRow + k * vy.strideCol] * dOut[r * vg.strideRow + k * vg.strideCol];
        }
        dot = strix_warp_sum(dot);
        for (int k = lane; k < K; k += STRIX_WARP) {
            double yi = y[r * vy.strideRow + k * vy.strideCol];
            double gi = dOut[r * vg.strideRow + k * vg.strideCol];
            dx[r * vd.strideRow + k * vd.strideCol] = (float)(yi * (gi - dot));
        }
    }
}
