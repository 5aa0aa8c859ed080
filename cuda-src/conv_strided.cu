// The strided-view convolution (the seed formulation) and the reshaping its backward pass needs.
// All tensors are NCHW float32 and contiguous unless a kernel says otherwise.
//
// Forward:  Z = correlate(pad(X), W) with stride s.
// Backward: dX = unpad(correlate(pad_full(dilate(dZ, s)), rot180(W) with in/out channels swapped)),
//           dW = correlate_filter_grad(pad(X), dZ, s),
//           db = bias_backward_nchw(dZ)   (fused.cu).
#include "strix_common.cuh"

// dilate_nchw: out [N, C, (H-1)*sh+1, (W-1)*sw+1] gets in [N, C, H, W] at every sh-th row and sw-th
// column and zeros between. Every out element is written.
extern "C" __global__ void dilate_nchw(const float* in, int N, int C, int H, int W, int sh, int sw, float* out) {
    int OH = (H - 1) * sh + 1;
    int OW = (W - 1) * sw + 1;
    long long total = (long long)N * C * OH * OW;
    STRIX_FOR_EACH(i, total) {
        int x = (int)(i % OW);
        int y = (int)((i / OW) % OH);
        long long plane = i / ((long long)OH * OW);
        float v = 0.0f;
        if (y % sh == 0 && x % sw == 0) {
            v = in[(plane * H + y / sh) * W + x / sw];
        }
        out[i] = v;
    }
}

// pad_nchw: out [N, C, H+top+bottom, W+left+right] = in [N, C, H, W] surrounded by zeros. Every out
// element is written.
extern "C" __global__ void pad_nchw(const float* in, int N, int C, int H, int W,
                                    int top, int left, int bottom, int right, float* out) {
    int OH = H + top + bottom;
    int OW = W + left + right;
    long long total = (long long)N * C * OH * OW;
    STRIX_FOR_EACH(i, total) {
        int x = (int)(i % OW) - left;
        int y = (int)((i / OW) % OH) - top;
        long long plane = i / ((long long)OH * OW);
        out[i] = (y >= 0 && y < H && x >= 0 && x < W) ? in[(plane * H + y) * W + x] : 0.0f;
    }
}

// unpad_nchw: out [N, C, H, W] = in [N, C, Hp, Wp] cropped at rows [top, top+H), columns [left, left+W).
extern "C" __global__ void unpad_nchw(const float* in, int N, int C, int Hp, int Wp, int top, int left,
                                      int H, int W, float* out) {
    long long total = (long long)N * C * H * W;
    STRIX_FOR_EACH(i, total) {
        int x = (int)(i % W);
        int y = (int)((i / W) % H);
        long long plane = i / ((long long)H * W);
        out[i] = in[(plane * Hp + y + top) * Wp + x + left];
    }
}

// correlate_nchw: out [N, O, OH, OW] = sum over c, i, j of x[n, c, y*sh + i, x*sw + j] * w[o, c, i, j].
//   x: contiguous [N, C, H, W], already padded, with H >= (OH-1)*sh + KH and W >= (OW-1)*sw + KW.
//   w: a strided view [O, C, KH, KW] given by its element offset and four element strides, so the
//      backward pass can pass the 180-degree-rotated, channel-swapped kernels without copying
//      (negative spatial strides, swapped channel strides).
//   out: contiguous, every element written (accumulate != 0 adds to what is there instead).
extern "C" __global__ void correlate_nchw(const float* x, int N, int C, int H, int W,
                                          const float* w, long long wOffset, long long wStrideO, long long wStrideC,
                                          long long wStrideI, long long wStrideJ, int O, int KH, int KW,
                                          int sh, int sw, float* out, int OH, int OW, int accumulate) {
    long long total = (long long)N * O * OH * OW;
    STRIX_FOR_EACH(idx, total) {
        int ox = (int)(idx % OW);
        int oy = (int)((idx / OW) % OH);
        int o = (int)((idx / ((long long)OH * OW)) % O);
        long long n = idx / ((long long)O * OH * OW);
        float acc = 0.0f;
        for (int c = 0; c < C; c++) {
            const float* plane = x + ((n * C + c) * H + (long long)oy * sh) * W + (long long)ox * sw;
            const float* kernel = w + wOffset + o * wStrideO + c * wStrideC;
            for (int i = 0; i < KH; i++) {
                for (int j = 0; j < KW; j++) {
                    acc += plane[(long long)i * W + j] * kernel[i * wStrideI + j * wStrideJ];
                }
            }
        }
        out[idx] = accumulate ? out[idx] + acc : acc;
    }
}

// correlate_filter_grad_nchw: dw [O, C, KH, KW] = sum over n, y, x of
//   x[n, c, y*sh + i, x*sw + j] * dz[n, o, y, x],
//   x: contiguous [N, C, H, W], already padded; dz: contiguous [N, O, OH, OW]; dw contiguous.
//   One block of STRIX_REDUCE_THREADS threads per dw element (grid-stride); every dw element written.
extern "C" __global__ void correlate_filter_grad_nchw(const float* x, int N, int C, int H, int W,
                                                      const float* dz, int O, int OH, int OW,
                                                      int KH, int KW, int sh, int sw, float* dw) {
    __shared__ float partial[STRIX_REDUCE_THREADS];
    long long weights = (long long)O * C * KH * KW;
    long long terms = (long long)N * OH * OW;
    for (long long wi = blockIdx.x; wi < weights; wi += gridDim.x) {
        int j = (int)(wi % KW);
        int i = (int)((wi / KW) % KH);
        int c = (int)((wi / ((long long)KH * KW)) % C);
        int o = (int)(wi / ((long long)C * KH * KW));
        float acc = 0.0f;
        for (long long t = threadIdx.x; t < terms; t += blockDim.x) {
            int ox = (int)(t % OW);
            int oy = (int)((t / OW) % OH);
            long long n = t / ((long long)OH * OW);
            acc += x[((n * C + c) * H + (long long)oy * sh + i) * W + (long long)ox * sw + j]
                   * dz[((n * O + o) * OH + oy) * OW + ox];
        }
        float sum = strix_block_sum(acc, partial);
        if (threadIdx.x == 0) {
            dw[wi] = sum;
        }
        __syncthreads();
    }
}
