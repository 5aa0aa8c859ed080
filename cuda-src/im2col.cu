// im2col / col2im for the IM2COL_GEMM convolution (dev.strix.tensor.Convolution).
// Column element (n, tap, y, x), tap = (c*KH + i)*KW + j, holds the input pixel that kernel tap
// (c, i, j) sees at output position (y, x) of image n; it lies at
//   colsOffset + n * sampleStride + tap * tapStride + y*OW + x
// Contiguous [N, C, KH, KW, OH, OW] columns (sampleStride C*KH*KW*OH*OW, tapStride OH*OW) are a
// [C*KH*KW, OH*OW] matrix per image: Z[n] = W [O, C*KH*KW] x cols[n] yields the NCHW output. Columns
// laid out [C, KH, KW, N, OH, OW] (sampleStride OH*OW, tapStride N*OH*OW) are one [C*KH*KW, N*OH*OW]
// matrix for the whole batch: one GEMM yields Z as [O, N, OH, OW]. The backward pass's
// dcols = W^T x dZ goes back through col2im either way.
// The image is a float32 view [N, C, H, W] of any strides. Padding at the top and left is given;
// at the bottom and right it is whatever the output size implies.
#include "strix_common.cuh"

// The geometry, passed by value (KernelParams.ints writes it as consecutive ints).
struct Im2col {
    int N, C, H, W, KH, KW, OH, OW, sh, sw, padTop, padLeft;
};
static_assert(sizeof(Im2col) == 48, "Im2col must match KernelParams.ints");

// im2col_strided: cols (laid out as above) from x (view vx). Every cols element is
// written (zero where the tap falls outside the image). One thread per output position (n, c, oy,
// ox) writes its KH x KW taps: the flat index is split once per KH*KW elements (integer division
// is what bounds this kernel, not its memory traffic), and for each tap the threads of a warp still
// read neighbouring pixels and write neighbouring column elements.
template <typename I>
__device__ __forceinline__ void im2col_positions(const Im2col& g, const float* x, const StridedView& vx, float* cols,
                                                 long long colsOffset, long long sampleStride, long long tapStride,
                                                 I positions) {
    STRIX_FOR_EACH_AS(I, idx, positions) {
        long long n;
        int c, oy, ox;
        strix_split_nchw(idx, g.C, g.OH, g.OW, &n, &c, &oy, &ox);
        const float* image = x + vx.offset + n * vx.strides[0] + c * vx.strides[1];
        // Column element of tap (c, 0, 0) at (oy, ox); each further tap is one tap stride on.
        long long at = colsOffset + n * sampleStride + (long long)(c * g.KH * g.KW) * tapStride + oy * g.OW + ox;
        for (int i = 0; i < g.KH; i++) {
            int y = oy * g.sh + i - g.padTop;
            bool rowInside = y >= 0 && y < g.H;
            for (int j = 0; j < g.KW; j++) {
                int xx = ox * g.sw + j - g.padLeft;
                cols[at] = rowInside && xx >= 0 && xx < g.W ? image[y * vx.strides[2] + xx * vx.strides[3]] : 0.0f;
                at += tapStride;
            }
        }
    }
}

extern "C" __global__ void im2col_strided(Im2col g, const float* x, StridedView vx, float* cols,
                                          long long colsOffset, long long sampleStride, long long tapStride) {
    long long positions = (long long)g.N * g.C * g.OH * g.OW;
    if (strix_fits_32(positions)) {
        im2col_positions<unsigned>(g, x, vx, cols, colsOffset, sampleStride, tapStride, (unsigned)positions);
    } else {
        im2col_positions<long long>(g, x, vx, cols, colsOffset, sampleStride, tapStride, positions);
    }
}

// col2im_strided: x (view vx) = the sum, over every (tap, output position) that im2col would have
// copied pixel (h, w) from, of cols there. A gather (each pixel sums its own taps, in (i, j) order
// as the CPU backend adds them, in float), so no atomics and the CPU's result bit for bit. Every x
// element is written.
template <typename I, bool unitStride>
__device__ __forceinline__ void col2im_elements(const Im2col& g, const float* cols, long long colsOffset,
                                                long long sampleStride, long long tapStride, float* x,
                                                const StridedView& vx, I total) {
    STRIX_FOR_EACH_AS(I, idx, total) {
        long long n;
        int c, h, w;
        strix_split_nchw(idx, g.C, g.H, g.W, &n, &c, &h, &w);
        const float* image = cols + colsOffset + n * sampleStride;
        float acc = 0.0f;
        for (int i = 0; i < g.KH; i++) {
            int ty = h + g.padTop - i;  // = oy * sh when tap row i of output row oy lands on row h
            // Unit strides (every layer of the MNIST models) need no division: oy = ty.
            int oy = unitStride ? ty : ty / g.sh;
            if (ty < 0 || (!unitStride && ty % g.sh != 0) || oy >= g.OH) {
                continue;
            }
            for (int j = 0; j < g.KW; j++) {
                int tx = w + g.padLeft - j;
                int ox = unitStride ? tx : tx / g.sw;
                if (tx < 0 || (!unitStride && tx % g.sw != 0) || ox >= g.OW) {
                    continue;
                }
                long long tap = ((long long)c * g.KH + i) * g.KW + j;
                acc += image[tap * tapStride + oy * g.OW + ox];
            }
        }
        x[vx.offset + n * vx.strides[0] + c * vx.strides[1] + (long long)h * vx.strides[2]
          + (long long)w * vx.strides[3]] = acc;
    }
}

extern "C" __global__ void col2im_strided(Im2col g, const float* cols, long long colsOffset, long long sampleStride,
                                          long long tapStride, float* x, StridedView vx) {
    long long total = (long long)g.N * g.C * g.H * g.W;
    bool unit = g.sh == 1 && g.sw == 1;
    if (strix_fits_32(total)) {
        unit ? col2im_elements<unsigned, true>(g, cols, colsOffset, sampleStride, tapStride, x, vx, (unsigned)total)
             : col2im_elements<unsigned, false>(g, cols, colsOffset, sampleStride, tapStride, x, vx, (unsigned)total);
    } else {
        unit ? col2im_elements<long long, true>(g, cols, colsOffset, sampleStride, tapStride, x, vx, total)
             : col2im_elements<long long, false>(g, cols, colsOffset, sampleStride, tapStride, x, vx, total);
    }
}
