package dev.strix.data.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.strix.data.Normalization;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AffineSamplerTest {
    private static byte[] randomImage(int rows, int cols, long seed) {
        byte[] b = new byte[rows * cols];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Samples with scale-to-[0,255] output so values compare directly with pixels. */
    private static float[] apply(byte[] src, int rows, int cols, float[] m) {
        float[] out = new float[rows * cols];
        AffineSampler.sample(src, 0, rows, cols, m, 0, 0f, 1f, out, 0);
        for (int i = 0; i < out.length; i++) {
            out[i] *= 255f;
        }
        return out;
    }

    private static float[] matrix(double degrees, double zoom, double shiftX, double shiftY, int rows, int cols) {
        float[] m = new float[6];
        AffineTransforms.inverse(degrees, zoom, shiftX, shiftY, rows, cols, m, 0);
        return m;
    }

    @Test
    void identityReproducesTheImageExactly() {
        byte[] src = randomImage(28, 28, 1);
        float[] m = new float[6];
        AffineTransforms.identity(m, 0);
        assertArrayEquals(new float[] {1, 0, 0, 0, 1, 0}, m);
        for (Normalization n : new Normalization[] {Normalization.NONE, Normalization.MNIST}) {
            float[] out = new float[28 * 28];
            AffineSampler.sample(src, 0, 28, 28, m, 0, n.mean(), n.std(), out, 0);
            float[] table = n.table();
            for (int p = 0; p < out.length; p++) {
                // Bit for bit the same as the table the unaugmented path uses.
                assertEquals(Float.floatToIntBits(table[src[p] & 0xFF]), Float.floatToIntBits(out[p]));
            }
        }
    }

    @Test
    void quarterTurnMovesEveryPixelToItsRotatedPlace() {
        int n = 28;
        byte[] src = randomImage(n, n, 2);
        float[] out = apply(src, n, n, matrix(90, 1, 0, 0, n, n));
        // Counter-clockwise on screen (y down): source (x, y) lands at (y, n-1-x).
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int to = (n - 1 - x) * n + y;
                assertEquals(src[y * n + x] & 0xFF, out[to], "pixel (" + x + ", " + y + ")");
            }
        }
    }

    @Test
    void quarterTurnOfOneBrightPixel() {
        byte[] src = new byte[25];
        src[2 * 5 + 4] = (byte) 200; // (x=4, y=2): right of the centre (2, 2)
        float[] out = apply(src, 5, 5, matrix(90, 1, 0, 0, 5, 5));
        float[] expected = new float[25];
        expected[0 * 5 + 2] = 200; // (x=2, y=0): above the centre
        assertArrayEquals(expected, out);
    }

    @Test
    void integerShiftMovesPixelsAndFillsWithZero() {
        int rows = 6;
        int cols = 7;
        byte[] src = randomImage(rows, cols, 3);
        float[] out = apply(src, rows, cols, matrix(0, 1, 2, -1, rows, cols));
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                int sx = x - 2;
                int sy = y + 1;
                float want = sx >= 0 && sx < cols && sy >= 0 && sy < rows ? src[sy * cols + sx] & 0xFF : 0;
                assertEquals(want, out[y * cols + x], "output (" + x + ", " + y + ")");
            }
        }
    }

    @Test
    void halfPixelShiftAveragesNeighbours() {
        byte[] src = {10, 30, 70, 110};
        float[] out = apply(src, 1, 4, matrix(0, 1, 0.5, 0, 1, 4));
        // Output x samples source x - 0.5: the mean of pixels x-1 and x, with zero left of the image.
        assertArrayEquals(new float[] {5, 20, 50, 90}, out, 1e-4f);
    }

    @Test
    void zoomAboutTheCentre() {
        byte[] src = randomImage(5, 5, 4);
        float[] out = apply(src, 5, 5, matrix(0, 2, 0, 0, 5, 5));
        // Output (x, y) samples the source at c + (p - c) / 2 with c = 2.
        assertEquals(src[1 * 5 + 1] & 0xFF, out[0], 1e-3f);
        assertEquals(src[2 * 5 + 2] & 0xFF, out[2 * 5 + 2], 1e-3f);
        assertEquals(src[3 * 5 + 3] & 0xFF, out[4 * 5 + 4], 1e-3f);
    }

    @Test
    void shiftOffTheImageGivesZeroFill() {
        byte[] src = randomImage(8, 8, 5);
        float[] out = apply(src, 8, 8, matrix(0, 1, 100, 0, 8, 8));
        assertArrayEquals(new float[64], out);
        Normalization n = Normalization.MNIST;
        float[] normalised = new float[64];
        AffineSampler.sample(src, 0, 8, 8, matrix(0, 1, -9, 0, 8, 8), 0, n.mean(), n.std(), normalised, 0);
        for (float v : normalised) {
            assertEquals(n.apply(0f), v);
        }
    }

    @Test
    void matchesANaiveDoublePrecisionReference() {
        int rows = 28;
        int cols = 28;
        byte[] src = randomImage(rows, cols, 6);
        Random r = new Random(7);
        for (int t = 0; t < 20; t++) {
            double deg = r.nextDouble() * 60 - 30;
            double zoom = 0.7 + r.nextDouble() * 0.6;
            double tx = r.nextDouble() * 8 - 4;
            double ty = r.nextDouble() * 8 - 4;
            float[] out = apply(src, rows, cols, matrix(deg, zoom, tx, ty, rows, cols));
            double cos = Math.cos(Math.toRadians(deg));
            double sin = Math.sin(Math.toRadians(deg));
            double c = (cols - 1) / 2.0;
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    double u = x - c - tx;
                    double v = y - c - ty;
                    double sx = c + (cos * u - sin * v) / zoom;
                    double sy = c + (sin * u + cos * v) / zoom;
                    assertEquals(bilinear(src, rows, cols, sx, sy), out[y * cols + x], 0.05,
                            "transform " + t + " at (" + x + ", " + y + ")");
                }
            }
        }
    }

    private static double bilinear(byte[] src, int rows, int cols, double sx, double sy) {
        int x0 = (int) Math.floor(sx);
        int y0 = (int) Math.floor(sy);
        double ax = sx - x0;
        double ay = sy - y0;
        return at(src, rows, cols, x0, y0) * (1 - ax) * (1 - ay) + at(src, rows, cols, x0 + 1, y0) * ax * (1 - ay)
                + at(src, rows, cols, x0, y0 + 1) * (1 - ax) * ay + at(src, rows, cols, x0 + 1, y0 + 1) * ax * ay;
    }

    private static double at(byte[] src, int rows, int cols, int x, int y) {
        return x < 0 || y < 0 || x >= cols || y >= rows ? 0 : src[y * cols + x] & 0xFF;
    }
}
