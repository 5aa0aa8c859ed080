package dev.strix.tensor.conformance;

import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Batch gathering and affine sampling over seeded random datasets: images from 1x1 to 17x17, not
 * square, batches with repeated indices taken from an offset slice of an order, and random maps
 * (rotations of any angle, zooms, shears, shifts that leave the image, mirror images), against the
 * contract's float32 order of operations written out here.
 */
public abstract class DataOpsSweepConformance extends BackendConformance {
    private static final int CASES = 40;
    private static final float MEAN = 0.1307f;
    private static final float STD = 0.3081f;

    private static float normalise(float v) {
        return (v / 255f - MEAN) / STD;
    }

    /** The contract's bilinear sample of {@code image} at output (x, y), in its float32 order. */
    private static float sample(byte[] p, int rows, int cols, int image, float[] m, int at, int x, int y) {
        float sx = m[at] * x + m[at + 1] * y + m[at + 2];
        float sy = m[at + 3] * x + m[at + 4] * y + m[at + 5];
        float fx = (float) Math.floor(sx);
        float fy = (float) Math.floor(sy);
        if (!(fx >= -1f && fx < cols && fy >= -1f && fy < rows)) {
            return normalise(0f);
        }
        float ax = sx - fx;
        float ay = sy - fy;
        int x0 = (int) fx;
        int y0 = (int) fy;
        float v = (pixel(p, rows, cols, image, x0, y0) * (1f - ax) + pixel(p, rows, cols, image, x0 + 1, y0) * ax)
                * (1f - ay)
                + (pixel(p, rows, cols, image, x0, y0 + 1) * (1f - ax) + pixel(p, rows, cols, image, x0 + 1, y0 + 1)
                * ax) * ay;
        return normalise(v);
    }

    private static float pixel(byte[] p, int rows, int cols, int image, int x, int y) {
        return x < 0 || x >= cols || y < 0 || y >= rows ? 0f : p[(image * rows + y) * cols + x] & 0xFF;
    }

    /** A random map: rotation, zoom, shear, mirror and shift about the image centre (or the identity). */
    private float[] randomMap(int rows, int cols) {
        if (random.nextInt(6) == 0) {
            return new float[] {1, 0, 0, 0, 1, 0};
        }
        double angle = (random.nextDouble() * 2 - 1) * Math.PI;
        double zoom = 0.5 + random.nextDouble();
        double shear = random.nextInt(3) == 0 ? random.nextDouble() - 0.5 : 0;
        double mirror = random.nextInt(4) == 0 ? -1 : 1;
        double cx = (cols - 1) / 2.0;
        double cy = (rows - 1) / 2.0;
        double a = Math.cos(angle) / zoom * mirror;
        double b = -Math.sin(angle) / zoom + shear;
        double c = Math.sin(angle) / zoom * mirror;
        double d = Math.cos(angle) / zoom;
        double tx = (random.nextDouble() * 2 - 1) * cols * 0.6;
        double ty = (random.nextDouble() * 2 - 1) * rows * 0.6;
        return new float[] {(float) a, (float) b, (float) (cx - a * cx - b * cy + tx),
            (float) c, (float) d, (float) (cy - c * cx - d * cy + ty)};
    }

    @Test
    void gatherAndAffineSampleOverRandomDatasetsAndMaps() {
        for (int c = 0; c < CASES; c++) {
            int count = 1 + random.nextInt(9);
            int rows = 1 + random.nextInt(17);
            int cols = 1 + random.nextInt(17);
            int n = 1 + random.nextInt(12);
            int skip = random.nextInt(3);
            String what = "case " + c + ": " + count + " images of " + rows + "x" + cols + ", batch " + n;
            byte[] p = new byte[count * rows * cols];
            for (int i = 0; i < p.length; i++) {
                p[i] = (byte) random.nextInt(256);
            }
            int[] order = new int[skip + n];
            for (int i = 0; i < order.length; i++) {
                order[i] = random.nextInt(count);
            }
            float[] m = new float[6 * n];
            for (int i = 0; i < n; i++) {
                System.arraycopy(randomMap(rows, cols), 0, m, 6 * i, 6);
            }
            double[] gathered = new double[n * rows * cols];
            double[] sampled = new double[n * rows * cols];
            byte[] labelBytes = new byte[count];
            for (int i = 0; i < count; i++) {
                labelBytes[i] = (byte) random.nextInt(256);
            }
            double[] labels = new double[n];
            for (int i = 0; i < n; i++) {
                int image = order[skip + i];
                labels[i] = labelBytes[image] & 0xFF;
                for (int y = 0; y < rows; y++) {
                    for (int x = 0; x < cols; x++) {
                        int at = (i * rows + y) * cols + x;
                        gathered[at] = normalise(p[(image * rows + y) * cols + x] & 0xFF);
                        sampled[at] = sample(p, rows, cols, image, m, 6 * i, x, y);
                    }
                }
            }
            try (Tensor data = Tensor.ofBytes(backend(), p, count, rows, cols);
                 Tensor labelSource = Tensor.ofBytes(backend(), labelBytes, count);
                 Tensor indices = Tensor.ofInts(backend(), order, order.length);
                 Tensor matrices = tensor(m, n, 6);
                 Tensor plain = backend().allocate(DType.F32, Shape.of(n, 1, rows, cols));
                 Tensor moved = backend().allocate(DType.F32, Shape.of(n, 1, rows, cols));
                 Tensor gatheredLabels = backend().allocate(DType.I32, Shape.of(n))) {
                Tensor batch = indices.slice(0, skip, skip + n);
                backend().dataOps().gatherImages(data, batch, MEAN, STD, plain);
                assertClose(gathered, plain.toFloatArray(), 0, what + ", gatherImages");
                backend().dataOps().affineSample(data, batch, matrices, MEAN, STD, moved);
                assertClose(sampled, moved.toFloatArray(), FLOAT_TOLERANCE, what + ", affineSample");
                backend().dataOps().gatherLabels(labelSource, batch, gatheredLabels);
                assertClose(labels, gatheredLabels.toFloatArray(), 0, what + ", gatherLabels");
            }
        }
    }
}
