// Max pooling that remembers where each maximum came from, and the backward pass that routes the
// gradient back there. NCHW float32, contiguous.
#include "strix_common.cuh"

// maxpool2d_forward_nchw: y [N, C, OH, OW] = max over the window (KH x KW, stride sh x sw, padding
// padH x padW never chosen) of x [N, C, H, W]; argmax [N, C, OH, OW] (int32) = h * W + w of that
// maximum within its plane, the first one in row-major window order on ties. Windows must contain at
// least one real pixel (padding < kernel size). Every y and argmax element is written.
extern "C" __global__ void maxpool2d_forward_nchw(const float* x, int N, int C, int H, int W,
                                                  int KH, int KW, int sh, int sw, int padH, int padW,
                                                  int OH, int OW, float* y, int* argmax) {
    long long total = (long long)N * C * OH * OW;
    STRIX_FOR_EACH(idx, total) {
        int ox = (int)(idx % OW);
        int oy = (int)((idx / OW) % OH);
        long long plane = idx / ((long long)OH * OW);
        const float* in = x + plane * H * W;
        int best = -1;
        float bestValue = 0.0f;
        for (int i = 0; i < KH; i++) {
            int h = oy * sh + i - padH;
            if (h < 0 || h >= H) {
                continue;
            }
            for (int j = 0; j < KW; j++) {
                int w = ox * sw + j - padW;
                if (w < 0 || w >= W) {
                    continue;
                }
                float v = in[h * W + w];
                if (best < 0 || v > bestValue) {
                    best = h * W + w;
                    bestValue = v;
                }
            }
        }
        y[idx] = bestValue;
        argmax[idx] = best;
    }
}

// maxpool2d_backward_nchw: dx [N, C, H, W] = sum of dy [N, C, OH, OW] over the windows whose argmax
// is this pixel (the scatter dx[argmax] += dy, written as a gather over the windows that contain
// the pixel: no atomics, deterministic, correct for overlapping windows). Every dx element is written.
extern "C" __global__ void maxpool2d_backward_nchw(const float* dy, const int* argmax, int N, int C, int H, int W,
                                                   int KH, int KW, int sh, int sw, int padH, int padW,
                                                   int OH, int OW, float* dx) {
    long long total = (long long)N * C * H * W;
    STRIX_FOR_EACH(idx, total) {
        int w = (int)(idx % W);
        int h = (int)((idx / W) % H);
        long long plane = idx / ((long long)H * W);
        int self = h * W + w;
        // Output rows whose window covers row h: oy*sh - padH <= h <= oy*sh - padH + KH - 1.
        int oyFirst = max(0, (h + padH - KH + sh) / sh);
        int oyLast = min(OH - 1, (h + padH) / sh);
        int oxFirst = max(0, (w + padW - KW + sw) / sw);
        int oxLast = min(OW - 1, (w + padW) / sw);
        float acc = 0.0f;
        for (int oy = oyFirst; oy <= oyLast; oy++) {
            for (int ox = oxFirst; ox <= oxLast; ox++) {
                long long o = (plane * OH + oy) * OW + ox;
                if (argmax[o] == self) {
                    acc += dy[o];
                }
            }
        }
        dx[idx] = acc;
    }
}
