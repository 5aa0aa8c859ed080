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
extern "C" __global__ void maxpool_forward(Pool g, const float* x, StridedView vx, float* out, StridedView vo,
                                           int* argmax, StridedView va) {
    long long total = (long long)g.N * g.C * g.OH * g.OW;
    STRIX_FOR_EACH(idx, total) {
        int ox = (int)(idx % g.OW);
        int oy = (int)((idx / g.OW) % g.OH);
        int c = (int)((idx / ((long long)g.OH * g.OW)) % g.C);
        long long n = idx / ((long long)g.C * g.OH * g.OW);
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

// maxpool_backward_scatter: dx[n, c, argmax[n, c, y, x]] += dOut[n, c, y, x] for every output
// position (dx zeroed beforehand). The backward pass is not told the window geometry, so it
// scatters, with atomic adds where windows overlap (their order, hence the last bits of such sums,
// may vary between runs; without overlap every pixel receives at most one gradient and the result is
// exact). An index outside the H x W plane is not followed but reported in `status` (position =
// flat output index). OH and OW in g are dOut's; KH, KW, sh, sw are unused.
extern "C" __global__ void maxpool_backward_scatter(Pool g, const float* dOut, StridedView vg, const int* argmax,
                                                    StridedView va, float* dx, StridedView vx,
                                                    unsigned long long* status) {
    long long total = (long long)g.N * g.C * g.OH * g.OW;
    int planeSize = g.H * g.W;
    STRIX_FOR_EACH(idx, total) {
        int ox = (int)(idx % g.OW);
        int oy = (int)((idx / g.OW) % g.OH);
        int c = (int)((idx / ((long long)g.OH * g.OW)) % g.C);
        long long n = idx / ((long long)g.C * g.OH * g.OW);
        int at = argmax[va.offset + n * va.strides[0] + c * va.strides[1] + oy * va.strides[2] + ox * va.strides[3]];
        if (at < 0 || at >= planeSize) {
            strix_report_bad(status, idx, at);
            continue;
        }
        float v = dOut[vg.offset + n * vg.strides[0] + c * vg.strides[1] + oy * vg.strides[2] + ox * vg.strides[3]];
        atomicAdd(dx + vx.offset + n * vx.strides[0] + c * vx.strides[1] + (long long)(at / g.W) * vx.strides[2]
                  + (long long)(at % g.W) * vx.strides[3], v);
    }
}
