package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Batch gathering and affine sampling from a uint8 dataset, against loops in the test that follow
 * the float32 order of operations the contract fixes. Index views with an offset (the batcher's
 * slices of an epoch order) are used throughout.
 */
public abstract class DataOpsConformance extends BackendConformance {
    private static final int COUNT = 7;
    private static final int ROWS = 5;
    private static final int COLS = 6;
    private static final float MEAN = 0.1307f;
    private static final float STD = 0.3081f;
    /** Positions 2..6 of this order are the batch. */
    private static final int[] ORDER = {1, 1, 3, 0, 6, 3, 2, 5};
    /** Cases of the seeded sweep over random datasets and maps. */
    private static final int SWEEP_CASES = 40;

    private byte[] pixels() {
        byte[] p = new byte[COUNT * ROWS * COLS];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) random.nextInt(256);
        }
        p[0] = 0;
        p[1] = (byte) 255;
        return p;
    }

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

    private double[] widen(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    @Test
    void gatherImagesConvertsTheIndexedImages() {
        byte[] p = pixels();
        int n = 5;
        float[] expected = new float[n * ROWS * COLS];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < ROWS * COLS; k++) {
                expected[i * ROWS * COLS + k] = normalise(p[ORDER[2 + i] * ROWS * COLS + k] & 0xFF);
            }
        }
        try (Tensor data = Tensor.ofBytes(backend(), p, COUNT, ROWS, COLS);
             Tensor order = Tensor.ofInts(backend(), ORDER, ORDER.length);
             Tensor out = backend().allocate(DType.F32, Shape.of(n, 1, ROWS, COLS))) {
            backend().dataOps().gatherImages(data, order.slice(0, 2, 7), MEAN, STD, out);
            assertClose(widen(expected), out.toFloatArray(), FLOAT_TOLERANCE, "gathered images");
        }
    }

    @Test
    void gatherLabelsWidensTheIndexedLabels() {
        byte[] labels = {9, 0, (byte) 200, 4, 7, 1, 3};
        try (Tensor l = Tensor.ofBytes(backend(), labels, COUNT);
             Tensor order = Tensor.ofInts(backend(), ORDER, ORDER.length);
             Tensor out = backend().allocate(DType.I32, Shape.of(5))) {
            backend().dataOps().gatherLabels(l, order.slice(0, 2, 7), out);
            assertArrayEquals(new int[] {4, 9, 3, 4, 200}, out.toIntArray());
        }
    }

    @Test
    void affineSampleFollowsTheMatrices() {
        byte[] p = pixels();
        int n = 5;
        float[] m = {
            1, 0, 0, 0, 1, 0,                                   // identity
            0.9396926f, -0.3420201f, 1.1f, 0.3420201f, 0.9396926f, -0.7f,   // 20 degrees, shifted
            1.1f, 0, -0.25f, 0, 0.9f, 0.4f,                     // zoom, fractional shift
            1, 0, -7.5f, 0, 1, 2.5f,                            // mostly outside: zero fill at the borders
            0, 1, 0.5f, -1, 0, 4.5f,                            // quarter turn, half-pixel positions
        };
        float[] expected = new float[n * ROWS * COLS];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < ROWS; y++) {
                for (int x = 0; x < COLS; x++) {
                    expected[(i * ROWS + y) * COLS + x] = sample(p, ROWS, COLS, ORDER[2 + i], m, 6 * i, x, y);
                }
            }
        }
        try (Tensor data = Tensor.ofBytes(backend(), p, COUNT, ROWS, COLS);
             Tensor order = Tensor.ofInts(backend(), ORDER, ORDER.length);
             Tensor matrices = tensor(m, n, 6);
             Tensor out = backend().allocate(DType.F32, Shape.of(n, 1, ROWS, COLS));
             Tensor plain = backend().allocate(DType.F32, Shape.of(n, 1, ROWS, COLS))) {
            backend().dataOps().affineSample(data, order.slice(0, 2, 7), matrices, MEAN, STD, out);
            float[] actual = out.toFloatArray();
            assertClose(widen(expected), actual, FLOAT_TOLERANCE, "affine samples");
            backend().dataOps().gatherImages(data, order.slice(0, 2, 7), MEAN, STD, plain);
            float[] gathered = plain.toFloatArray();
            for (int k = 0; k < ROWS * COLS; k++) {
                if (Float.floatToIntBits(actual[k]) != Float.floatToIntBits(gathered[k])) {
                    throw new AssertionError("the identity matrix must reproduce gatherImages exactly: element " + k
                            + " is " + actual[k] + ", gathered " + gathered[k]);
                }
            }
        }
    }

    @Test
    void aNaNMatrixGivesTheZeroFill() {
        byte[] p = pixels();
        float[] m = {Float.NaN, 0, 0, 0, 1, 0};
        try (Tensor data = Tensor.ofBytes(backend(), p, COUNT, ROWS, COLS);
             Tensor order = Tensor.ofInts(backend(), new int[] {4}, 1);
             Tensor matrices = tensor(m, 1, 6);
             Tensor out = backend().allocate(DType.F32, Shape.of(1, 1, ROWS, COLS))) {
            backend().dataOps().affineSample(data, order, matrices, MEAN, STD, out);
            for (float v : out.toFloatArray()) {
                if (v != normalise(0f)) {
                    throw new AssertionError("expected the zero fill " + normalise(0f) + ", got " + v);
                }
            }
        }
    }

    @Test
    void anIndexOutsideTheDatasetIsRefused() {
        try (Tensor data = Tensor.ofBytes(backend(), pixels(), COUNT, ROWS, COLS);
             Tensor order = Tensor.ofInts(backend(), new int[] {0, COUNT}, 2);
             Tensor out = backend().allocate(DType.F32, Shape.of(2, 1, ROWS, COLS))) {
            // A device backend may find it in a kernel and throw at the next synchronisation.
            assertThrows(IllegalArgumentException.class, () -> {
                backend().dataOps().gatherImages(data, order, MEAN, STD, out);
                backend().synchronize();
            });
        }
    }

    @Test
    void anOutputOfTheWrongShapeIsRefused() {
        try (Tensor data = Tensor.ofBytes(backend(), pixels(), COUNT, ROWS, COLS);
             Tensor order = Tensor.ofInts(backend(), new int[] {0, 1}, 2);
             Tensor out = backend().allocate(DType.F32, Shape.of(2, ROWS, COLS))) {
            assertThrows(IllegalArgumentException.class,
                    () -> backend().dataOps().gatherImages(data, order, MEAN, STD, out));
        }
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

    /**
     * Seeded random datasets (images 1x1 to 17x17, not square; batches with repeated indices from
     * an offset slice of an order) and random maps (any rotation, zoom, shear, mirror, shifts out of
     * the image).
     */
    @Test
    void gatherAndAffineSampleOverRandomDatasetsAndMaps() {
        for (int c = 0; c < SWEEP_CASES; c++) {
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
