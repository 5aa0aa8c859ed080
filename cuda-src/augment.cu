// Data augmentation on the device: a random affine transform per image (rotation about the centre,
// zoom, shift) applied with bilinear sampling. NCHW float32, contiguous.
#include "strix_common.cuh"

// A counter-based generator (splitmix64 finaliser): the same (seed, step, image, k) always gives the
// same number, so a replayed CUDA graph that reads `step` from device memory draws new numbers each
// step without any host work.
__device__ __forceinline__ float strix_uniform(unsigned long long seed, int step, int image, int k) {
    unsigned long long z = seed ^ (0x9E3779B97F4A7C15ull * (unsigned long long)(step + 1))
                         ^ ((unsigned long long)image << 20) ^ (unsigned long long)k;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)(z >> 40) * (1.0f / 16777216.0f);  // 24 random bits -> [0, 1)
}

// augment_random_params: params [N, 4] = (angle in radians, zoom, shiftX, shiftY) per image, drawn
// uniformly from [-maxRadians, maxRadians], [1 - maxZoom, 1 + maxZoom], [-maxShift, maxShift] pixels.
// `step` points to the device step counter (optim.cu step_counter_increment).
extern "C" __global__ void augment_random_params(float* params, int N, unsigned long long seed, const int* step,
                                                 float maxRadians, float maxZoom, float maxShift) {
    int t = *step;
    STRIX_FOR_EACH(n, N) {
        float* p = params + n * 4;
        p[0] = (2.0f * strix_uniform(seed, t, (int)n, 0) - 1.0f) * maxRadians;
        p[1] = 1.0f + (2.0f * strix_uniform(seed, t, (int)n, 1) - 1.0f) * maxZoom;
        p[2] = (2.0f * strix_uniform(seed, t, (int)n, 2) - 1.0f) * maxShift;
        p[3] = (2.0f * strix_uniform(seed, t, (int)n, 3) - 1.0f) * maxShift;
    }
}

// augment_affine_nchw: out [N, C, H, W] = in [N, C, H, W] moved by the affine map of params [N, 4]
// (angle a, zoom s, shift tx, ty): input point p lands at q = c + s * R(a) * (p - c) + t, where c is
// the image centre ((W-1)/2, (H-1)/2). Each output pixel q samples the input bilinearly at
// p = c + R(-a) * (q - c - t) / s; samples outside the image read 0. in and out must not overlap.
extern "C" __global__ void augment_affine_nchw(const float* in, const float* params, int N, int C, int H, int W,
                                               float* out) {
    long long total = (long long)N * C * H * W;
    float cx = 0.5f * (W - 1);
    float cy = 0.5f * (H - 1);
    STRIX_FOR_EACH(idx, total) {
        int x = (int)(idx % W);
        int y = (int)((idx / W) % H);
        long long plane = idx / ((long long)H * W);
        int n = (int)(plane / C);
        const float* p = params + n * 4;
        float cosA = cosf(p[0]);
        float sinA = sinf(p[0]);
        float u = (x - cx - p[2]) / p[1];
        float v = (y - cy - p[3]) / p[1];
        float sx = cosA * u + sinA * v + cx;
        float sy = -sinA * u + cosA * v + cy;
        int x0 = (int)floorf(sx);
        int y0 = (int)floorf(sy);
        float fx = sx - x0;
        float fy = sy - y0;
        const float* src = in + plane * H * W;
        float acc = 0.0f;
        for (int dy = 0; dy <= 1; dy++) {
            int yy = y0 + dy;
            if (yy < 0 || yy >= H) {
                continue;
            }
            float wy = dy ? fy : 1.0f - fy;
            for (int dx = 0; dx <= 1; dx++) {
                int xx = x0 + dx;
                if (xx < 0 || xx >= W) {
                    continue;
                }
                acc += wy * (dx ? fx : 1.0f - fx) * src[yy * W + xx];
            }
        }
        out[idx] = acc;
    }
}
