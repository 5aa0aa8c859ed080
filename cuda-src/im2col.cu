// im2col / col2im for the IM2COL_GEMM convolution (dev.strix.tensor.Convolution).
// The columns are contiguous [N, C, KH, KW, OH, OW], that is [N, C*KH*KW, OH*OW] as a matrix: row
// (c*KH + i)*KW + j, column y*OW + x holds the input pixel that kernel tap (c, i, j) sees at output
// position (y, x). Per image n, a GEMM Z[n] [O, OH*OW] = W [O, C*KH*KW] x cols[n] yields the NCHW
// output, and the backward pass's dcols[n] = W^T x dZ[n] goes back through col2im.
// The image is a float32 view [N, C, H, W] of any strides. Padding at the top and left is given;
// at the bottom and right it is whatever the output size implies.
#include "strix_common.cuh"

// The geometry, passed by value (KernelParams.ints writes it as consecutive ints).
struct Im2col {
    int N, C, H, W, KH, KW, OH, OW, sh, sw, padTop, padLeft;
};
static_assert(sizeof(Im2col) == 48, "Im2col must match KernelParams.ints");

// im2col_strided: cols (contiguous from element colsOffset) from x (view vx). Every cols element is
// written (zero where the tap falls outside the image).
extern "C" __global__ void im2col_strided(Im2col g, const float* x, StridedView vx, float* cols,
                                          long long colsOffset) {
    long long taps = (long long)g.C * g.KH * g.KW;
    long long total = (long long)g.N * taps * g.OH * g.OW;
    STRIX_FOR_EACH(idx, total) {
        int ox = (int)(idx % g.OW);
        int oy = (int)((idx / g.OW) % g.OH);
        long long row = (idx / ((long long)g.OH * g.OW)) % taps;
        long long n = idx / (taps * g.OH * g.OW);
        int j = (int)(row % g.KW);
        int i = (int)((row / g.KW) % g.KH);
        int c = (int)(row / ((long long)g.KH * g.KW));
        int y = oy * g.sh + i - g.padTop;
        int xx = ox * g.sw + j - g.padLeft;
        float v = 0.0f;
        if (y >= 0 && y < g.H && xx >= 0 && xx < g.W) {
            v = x[vx.offset + n * vx.strides[0] + c * vx.strides[1] + y * vx.strides[2] + xx * vx.strides[3]];
        }
        cols[colsOffset + idx] = v;
    }
}

// col2im_strided: x (view vx) = the sum, over every (tap, output position) that im2col would have
// copied pixel (h, w) from, of cols there. A gather (each pixel sums its own taps, in (i, j) order
// as the CPU backend adds them, in float), so no atomics and the CPU's result bit for bit. Every x
// element is written.
extern "C" __global__ void col2im_strided(Im2col g, const float* cols, long long colsOffset, float* x,
                                          StridedView vx) {
    long long total = (long long)g.N * g.C * g.H * g.W;
    long long taps = (long long)g.C * g.KH * g.KW;
    STRIX_FOR_EACH(idx, total) {
        int w = (int)(idx % g.W);
        int h = (int)((idx / g.W) % g.H);
        int c = (int)((idx / ((long long)g.H * g.W)) % g.C);
        long long n = idx / ((long long)g.C * g.H * g.W);
        float acc = 0.0f;
        for (int i = 0; i < g.KH; i++) {
            int ty = h + g.padTop - i;  // = oy * sh when tap row i of output row oy lands on row h
            if (ty < 0 || ty % g.sh != 0 || ty / g.sh >= g.OH) {
                continue;
            }
            int oy = ty / g.sh;
            for (int j = 0; j < g.KW; j++) {
                int tx = w + g.padLeft - j;
                if (tx < 0 || tx % g.sw != 0 || tx / g.sw >= g.OW) {
                    continue;
                }
                int ox = tx / g.sw;
                long long row = ((long long)c * g.KH + i) * g.KW + j;
                acc += cols[colsOffset + ((n * taps + row) * g.OH + oy) * g.OW + ox];
            }
        }
        x[vx.offset + n * vx.strides[0] + c * vx.strides[1] + (long long)h * vx.strides[2]
          + (long long)w * vx.strides[3]] = acc;
    }
}
