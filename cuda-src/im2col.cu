// im2col / col2im for the IM2COL_GEMM convolution. Images are NCHW float32, contiguous.
// The column matrix is [N, C*KH*KW, OH*OW]: row (c*KH + i)*KW + j, column y*OW + x holds the input
// pixel that kernel tap (c, i, j) sees at output position (y, x). Then, per image n, a batched GEMM
//   Z[n] [O, OH*OW] = W [O, C*KH*KW] x cols[n]
// yields the NCHW output directly, and the backward pass's
//   dcols[n] = W^T x dZ[n]  goes back through col2im.
#include "strix_common.cuh"

// im2col_nchw: cols [N, C*KH*KW, OH*OW] from x [N, C, H, W] with zero padding (padH, padW) and stride
// (sh, sw). Every cols element is written (zeros where the tap falls in the padding).
extern "C" __global__ void im2col_nchw(const float* x, int N, int C, int H, int W, int KH, int KW,
                                       int padH, int padW, int sh, int sw, int OH, int OW, float* cols) {
    long long rows = (long long)C * KH * KW;
    long long total = (long long)N * rows * OH * OW;
    STRIX_FOR_EACH(idx, total) {
        int ox = (int)(idx % OW);
        int oy = (int)((idx / OW) % OH);
        long long row = (idx / ((long long)OH * OW)) % rows;
        long long n = idx / (rows * OH * OW);
        int j = (int)(row % KW);
        int i = (int)((row / KW) % KH);
        int c = (int)(row / ((long long)KH * KW));
        int y = oy * sh + i - padH;
        int xx = ox * sw + j - padW;
        cols[idx] = (y >= 0 && y < H && xx >= 0 && xx < W) ? x[((n * C + c) * H + y) * W + xx] : 0.0f;
    }
}

// col2im_nchw: dx [N, C, H, W] = the sum, over every (tap, output position) that im2col copied pixel
// (h, w) to, of dcols at that place. Written as a gather (each dx element sums its own taps), so no
// atomics and a deterministic result; every dx element is written.
extern "C" __global__ void col2im_nchw(const float* cols, int N, int C, int H, int W, int KH, int KW,
                                       int padH, int padW, int sh, int sw, int OH, int OW, float* dx) {
    long long total = (long long)N * C * H * W;
    long long rows = (long long)C * KH * KW;
    STRIX_FOR_EACH(idx, total) {
        int w = (int)(idx % W);
        int h = (int)((idx / W) % H);
        int c = (int)((idx / ((long long)H * W)) % C);
        long long n = idx / ((long long)C * H * W);
        float acc = 0.0f;
        for (int i = 0; i < KH; i++) {
            int ty = h + padH - i;  // = oy * sh when tap row i of output row oy lands on h
            if (ty < 0 || ty % sh != 0 || ty / sh >= OH) {
                continue;
            }
            int oy = ty / sh;
            for (int j = 0; j < KW; j++) {
                int tx = w + padW - j;
                if (tx < 0 || tx % sw != 0 || tx / sw >= OW) {
                    continue;
                }
                int ox = tx / sw;
                long long row = ((long long)c * KH + i) * KW + j;
                acc += cols[((n * rows + row) * OH + oy) * OW + ox];
            }
        }
        dx[idx] = acc;
    }
}
