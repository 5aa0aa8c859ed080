// Data augmentation on the device (dev.strix.tensor.DataOps.affineSample): each image of a batch is
// gathered from the uint8 dataset through its own affine matrix with bilinear sampling and zero fill,
// then normalised. The matrices (2x3, output pixel -> source position) are drawn on the host from the
// counter-based generator, once per epoch, and live on the device beside the epoch's order.
//
// Every operation mirrors dev.strix.data.augment.AffineSampler in float32 with the _rn intrinsics
// (never contracted into fused multiply-adds), so the CPU and the GPU give the same floats.
#include "strix_common.cuh"

__device__ __forceinline__ float strix_pixel(const unsigned char* image, int rows, int cols, int x, int y) {
    return (x < 0 || x >= cols || y < 0 || y >= rows) ? 0.0f : (float)image[y * cols + x];
}

// affine_sample_u8's loop, with the flat index (and its division) in I (see strix_fits_32).
template <typename I>
__device__ __forceinline__ void affine_sample_elements(const unsigned char* data, int count, int rows, int cols,
                                                       const int* indices, const float* matrices, float mean,
                                                       float std, float* out, unsigned long long* status,
                                                       I total) {
    long long size = (long long)rows * cols;
    STRIX_FOR_EACH_AS(I, e, total) {
        I i = e;
        int k = (int)strix_divmod(i, (I)size);
        int y = k / cols;
        int x = k - y * cols;
        int at = indices[i];
        if (at < 0 || at >= count) {
            if (k == 0) {
                strix_report_bad(status, (long long)i, at);
            }
            out[e] = __int_as_float(0x7fc00000);
            continue;
        }
        const float* m = matrices + 6 * (long long)i;
        float fxp = (float)x;
        float fyp = (float)y;
        float sx = __fadd_rn(__fadd_rn(__fmul_rn(m[0], fxp), __fmul_rn(m[1], fyp)), m[2]);
        float sy = __fadd_rn(__fadd_rn(__fmul_rn(m[3], fxp), __fmul_rn(m[4], fyp)), m[5]);
        float fx = floorf(sx);
        float fy = floorf(sy);
        float v = 0.0f;
        // Written as the negation of "inside", so NaN positions take the zero fill as in Java.
        if (fx >= -1.0f && fx < (float)cols && fy >= -1.0f && fy < (float)rows) {
            float ax = __fsub_rn(sx, fx);
            float ay = __fsub_rn(sy, fy);
            float bx = __fsub_rn(1.0f, ax);
            float by = __fsub_rn(1.0f, ay);
            int x0 = (int)fx;
            int y0 = (int)fy;
            const unsigned char* image = data + (long long)at * size;
            float p00 = strix_pixel(image, rows, cols, x0, y0);
            float p01 = strix_pixel(image, rows, cols, x0 + 1, y0);
            float p10 = strix_pixel(image, rows, cols, x0, y0 + 1);
            float p11 = strix_pixel(image, rows, cols, x0 + 1, y0 + 1);
            float top = __fadd_rn(__fmul_rn(p00, bx), __fmul_rn(p01, ax));
            float bottom = __fadd_rn(__fmul_rn(p10, bx), __fmul_rn(p11, ax));
            v = __fadd_rn(__fmul_rn(top, by), __fmul_rn(bottom, ay));
        }
        out[e] = strix_normalise(v, mean, std);
    }
}

// affine_sample_u8: out [n, rows, cols] (float32) from data [count, rows, cols] uint8, indices [n] and
// matrices [n, 6]: out pixel (x, y) samples source (m0 x + m1 y + m2, m3 x + m4 y + m5). An index
// outside [0, count) is reported (position i, value the index) and its image left as NaN.
extern "C" __global__ void affine_sample_u8(const unsigned char* data, int count, int rows, int cols,
                                            const int* indices, const float* matrices, int n, float mean,
                                            float std, float* out, unsigned long long* status) {
    long long total = (long long)n * rows * cols;
    if (strix_fits_32(total)) {
        affine_sample_elements<unsigned>(data, count, rows, cols, indices, matrices, mean, std, out, status,
                                         (unsigned)total);
    } else {
        affine_sample_elements<long long>(data, count, rows, cols, indices, matrices, mean, std, out, status, total);
    }
}
