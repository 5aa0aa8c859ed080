package dev.strix.data.augment;

import dev.strix.data.Normalization;

/**
 * Applies one affine transform to one uint8 image with bilinear sampling and zero fill, writing
 * normalised floats. A pure function of its arguments, written so that a GPU kernel (one thread
 * per output pixel) can mirror it operation for operation in float32.
 *
 * <p>For output pixel (x, y): the source position is {@code (sx, sy) = M * (x, y, 1)} (see
 * {@link AffineTransforms}); with {@code x0 = floor(sx)}, {@code ax = sx - x0} and likewise for y,
 * the value is
 * <pre>
 *   v = (p(x0, y0) * (1 - ax) + p(x0 + 1, y0) * ax) * (1 - ay)
 *     + (p(x0, y0 + 1) * (1 - ax) + p(x0 + 1, y0 + 1) * ax) * ay
 * </pre>
 * where a pixel outside the image reads as 0 (black). The result is
 * {@link Normalization#apply(float, float, float)} of v. When the transform is the identity every
 * weight is exactly 0 or 1, so the output equals the unaugmented conversion bit for bit.
 */
public final class AffineSampler {
    private AffineSampler() {
    }

    /**
     * Samples image {@code src[srcOffset .. srcOffset + rows*cols)} through the matrix
     * {@code m[mOffset .. mOffset+5]} into {@code dst[dstOffset .. dstOffset + rows*cols)}.
     */
    public static void sample(byte[] src, int srcOffset, int rows, int cols, float[] m, int mOffset,
                              float mean, float std, float[] dst, int dstOffset) {
        float m0 = m[mOffset];
        float m1 = m[mOffset + 1];
        float m2 = m[mOffset + 2];
        float m3 = m[mOffset + 3];
        float m4 = m[mOffset + 4];
        float m5 = m[mOffset + 5];
        int out = dstOffset;
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                float sx = m0 * x + m1 * y + m2;
                float sy = m3 * x + m4 * y + m5;
                float fx = (float) Math.floor(sx);
                float fy = (float) Math.floor(sy);
                float ax = sx - fx;
                float ay = sy - fy;
                float v = 0f;
                if (fx >= 0f && fx < cols - 1 && fy >= 0f && fy < rows - 1) {
                    // Interior: all four neighbours exist.
                    int i = srcOffset + (int) fy * cols + (int) fx;
                    float p00 = src[i] & 0xFF;
                    float p01 = src[i + 1] & 0xFF;
                    float p10 = src[i + cols] & 0xFF;
                    float p11 = src[i + cols + 1] & 0xFF;
                    v = (p00 * (1f - ax) + p01 * ax) * (1f - ay) + (p10 * (1f - ax) + p11 * ax) * ay;
                } else if (fx >= -1f && fx < cols && fy >= -1f && fy < rows) {
                    // Border: missing neighbours read as zero. Far outside (or NaN): zero fill.
                    int x0 = (int) fx;
                    int y0 = (int) fy;
                    float p00 = pixel(src, srcOffset, rows, cols, x0, y0);
                    float p01 = pixel(src, srcOffset, rows, cols, x0 + 1, y0);
                    float p10 = pixel(src, srcOffset, rows, cols, x0, y0 + 1);
                    float p11 = pixel(src, srcOffset, rows, cols, x0 + 1, y0 + 1);
                    v = (p00 * (1f - ax) + p01 * ax) * (1f - ay) + (p10 * (1f - ax) + p11 * ax) * ay;
                }
                dst[out++] = Normalization.apply(v, mean, std);
            }
        }
    }

    private static float pixel(byte[] src, int srcOffset, int rows, int cols, int x, int y) {
        if (x < 0 || x >= cols || y < 0 || y >= rows) {
            return 0f;
        }
        return src[srcOffset + y * cols + x] & 0xFF;
    }
}
