// Max pooling that remembers where each maximum came from, and the backward pass that routes the
// gradient back there (dev.strix.tensor.Pooling). float32 views [N, C, H, W] of any strides, no
// padding; argmax is an int32 view of the output's shape.
#include "strix_common.cuh"

// The geometry, passed by value (KernelParams.ints writes it as consecutive ints).
struct Pool {
    int N, C, H, W, KH, KW, sh, sw, OH, OW;
};
static_assert(sizeof(Pool) == 40, "Pool must match KernelParams.ints");

// maxpool_forward: out[n, c, y, x] = max over the KH x KW window at (y*sh, x*sw) of x; argmax = the
// maximum's position r * W + s within its plane. As on the CPU: the first maximum in row-major
// window order wins ties, and a NaN wins over any number (so it propagates). Every out and argmax
// element is written.
template <typename I>
__device__ __forceinline__ void maxpool_forward_elements(const Pool& g, const float* x, const StridedView& vx,
                                                         float* out, const StridedView& vo, int* argmax,
                                                         const StridedView& va, I total) {
    STRIX_FOR_EACH_AS(I, idx, total) {
        long long n;
        int c, oy, ox;
        strix_split_nchw(idx, g.C, g.OH, g.OW, &n, &c, &oy, &ox);
        long long plane = vx.offset + n * vx.strides[0] + c * vx.strides[1];
        int bestAt = -1;
        float best = -INFINITY;
        for (int i = 0; i < g.KH; i++) {
            int r = oy * g.sh + i;
            for (int j = 0; j < g.KW; j++) {
                int s = ox * g.sw + j;
                float v = x[plane + r * vx.strides[2] + s * vx.strides[3]];
                if (bestAt < 0 || v > best || (v != v && best == best)) {
                    best = v;
                    bestAt = r * g.W + s;
                }
            }
        }
        out[vo.offset + n * vo.strides[0] + c * vo.strides[1] + oy * vo.strides[2] + ox * vo.strides[3]] = best;
        argmax[va.offset + n * va.strides[0] + c * va.strides[1] + oy * va.strides[2] + ox * va.strides[3]] = bestAt;
    }
}

extern "C" __global__ void maxpool_forward(Pool g, const float* x, StridedView vx, float* out, StridedView vo,
                                           int* argmax, StridedView va) {
    long long total = (long long)g.N * g.C * g.OH * g.OW;
    if (strix_fits_32(total)) {
        maxpool_forward_elements<unsigned>(g, x, vx, out, vo, argmax, va, (unsigned)total);
    } else {
        maxpool_forward_elements<long long>(g, x, vx, out, vo, argmax, va, total);
    }
}

// maxpool_backward: dx[n, c, r, s] = the sum of dOut[n, c, y, x] over the outputs (y, x) whose
// window holds (r, s) and whose argmax is r * W + s, taken in row-major (y, x) order from 0: the CPU
// backend's order, so the sums agree to the bit, and no atomics where windows overlap. One thread per
// dx element, so every element is written (no memset first). The thread at a window's top-left
// corner also checks that window's argmax: one outside the window is reported in `status`
// (position = flat output index, value = the argmax) and, since no window looks outside itself,
// adds to no element.
template <typename I>
__device__ __forceinline__ void maxpool_backward_elements(const Pool& g, const float* dOut, const StridedView& vg,
                                                          const int* argmax, const StridedView& va, float* dx,
                                                          const StridedView& vx, unsigned long long* status, I total) {
    STRIX_FOR_EACH_AS(I, idx, total) {
        long long n;
        int c, r, s;
        strix_split_nchw(idx, g.C, g.H, g.W, &n, &c, &r, &s);
        long long gradPlane = vg.offset + n * vg.strides[0] + c * vg.strides[1];
        long long argPlane = va.offset + n * va.strides[0] + c * va.strides[1];
        // Output rows y with y*sh <= r <= y*sh + KH - 1, and the same for columns.
        int y0 = r < g.KH ? 0 : (r - g.KH + g.sh) / g.sh;
        int y1 = min(r / g.sh, g.OH - 1);
        int x0 = s < g.KW ? 0 : (s - g.KW + g.sw) / g.sw;
        int x1 = min(s / g.sw, g.OW - 1);
        int here = r * g.W + s;
        float sum = 0.0f;
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                if (argmax[argPlane + y * va.strides[2] + x * va.strides[3]] == here) {
                    sum += dOut[gradPlane + y * vg.strides[2] + x * vg.strides[3]];
                }
            }
        }
        if (r % g.sh == 0 && s % g.sw == 0 && r / g.sh < g.OH && s / g.sw < g.OW) {
            int y = r / g.sh;
            int x = s / g.sw;
            int at = argmax[argPlane + y * va.strides[2] + x * va.strides[3]];
            int ar = at / g.W;
            int as = at % g.W;
            if (at < 0 || at >= g.H * g.W || ar < r || ar >= r + g.KH || as < s || as >= s + g.KW) {
                strix_report_bad(status, ((n * g.C + c) * g.OH + y) * g.OW + x, at);
            }
        }
        dx[vx.offset + n * vx.strides[0] + c * vx.strides[1] + r * vx.strides[2] + s * vx.strides[3]] = sum;
    }
}

extern "C" __global__ void maxpool_backward(Pool g, const float* dOut, StridedView vg, const int* argmax,
                                            StridedView va, float* dx, StridedView vx, unsigned long long* status) {
    long long total = (long long)g.N * g.C * g.H * g.W;
    if (strix_fits_32(total)) {
        maxpool_backward_elements<unsigned>(g, dOut, vg, argmax, va, dx, vx, status, (unsigned)total);
    } else {
        maxpool_backward_elements<long long>(g, dOut, vg, argmax, va, dx, vx, status, total);
    }
}
