package dev.strix.mnist.image;

/**
 * Resizes a single-channel image one axis at a time. Shrinking an axis averages over each output
 * pixel's footprint with fractional edge weights (area averaging: output {@code i} of {@code n}
 * is the mean of the source over {@code [i w/n, (i+1) w/n)}), so thin strokes fade instead of
 * vanishing; enlarging interpolates linearly between source pixel centres, clamped at the edges.
 */
final class Resampler {
    private Resampler() {
    }

    /** {@code src} ({@code w x h}, row-major) resized to {@code nw x nh}. */
    static float[] resize(float[] src, int w, int h, int nw, int nh) {
        float[] rows = new float[nw * h];
        for (int y = 0; y < h; y++) {
            resample(src, y * w, 1, w, rows, y * nw, 1, nw);
        }
        float[] out = new float[nw * nh];
        for (int x = 0; x < nw; x++) {
            resample(rows, x, nw, h, out, x, nw, nh);
        }
        return out;
    }

    /** One line of {@code n} values (start, step) resampled into {@code m} values. */
    private static void resample(float[] src, int srcStart, int srcStep, int n, float[] dst, int dstStart, int dstStep, int m) {
        if (m == n) {
            for (int i = 0; i < n; i++) {
                dst[dstStart + i * dstStep] = src[srcStart + i * srcStep];
            }
        } else if (m < n) {
            double footprint = (double) n / m;
            for (int i = 0; i < m; i++) {
                double lo = i * footprint;
                double hi = lo + footprint;
                double sum = 0;
                for (int j = (int) Math.floor(lo); j < Math.min(n, (int) Math.ceil(hi)); j++) {
                    double overlap = Math.min(hi, j + 1) - Math.max(lo, j);
                    sum += overlap * src[srcStart + j * srcStep];
                }
                dst[dstStart + i * dstStep] = (float) (sum / footprint);
            }
        } else {
            double scale = (double) n / m;
            for (int i = 0; i < m; i++) {
                double at = Math.clamp((i + 0.5) * scale - 0.5, 0, n - 1);
                int j = (int) Math.floor(at);
                int k = Math.min(j + 1, n - 1);
                double t = at - j;
                dst[dstStart + i * dstStep] = (float) ((1 - t) * src[srcStart + j * srcStep] + t * src[srcStart + k * srcStep]);
            }
        }
    }
}
