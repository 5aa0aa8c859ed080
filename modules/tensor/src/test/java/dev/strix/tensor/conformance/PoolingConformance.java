package dev.strix.tensor.conformance;

import static dev.strix.tensor.conformance.RandomViews.asFloats;
import static dev.strix.tensor.conformance.RandomViews.assertView;
import static dev.strix.tensor.conformance.RandomViews.unravel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.conformance.RandomViews.Layout;
import org.junit.jupiter.api.Test;

/** Max pooling forward (values and argmax) and backward against naive loops. */
public abstract class PoolingConformance extends BackendConformance {
    /** Cases of the seeded sweep over random geometries. */
    private static final int SWEEP_CASES = 60;
    private static final float SENTINEL = -7777f;

    private final RandomViews views = new RandomViews(random);

    private Tensor alloc(DType t, int... dims) {
        return backend().allocate(t, Shape.of(dims));
    }

    @Test
    void forwardFindsEachWindowMaximumAndWhereItCameFrom() {
        int[] xd = {2, 3, 7, 6};
        int kh = 3;
        int kw = 2;
        int sh = 2;
        int sw = 1;
        int oh = (7 - kh) / sh + 1;
        int ow = (6 - kw) / sw + 1;
        int[] od = {2, 3, oh, ow};
        float[] x = randomFloats(2 * 3 * 7 * 6);
        double[] expected = new double[2 * 3 * oh * ow];
        int[] where = new int[expected.length];
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < oh; y++) {
                    for (int q = 0; q < ow; q++) {
                        double best = Double.NEGATIVE_INFINITY;
                        for (int i = 0; i < kh; i++) {
                            for (int j = 0; j < kw; j++) {
                                double v = x[flat(xd, n, c, y * sh + i, q * sw + j)];
                                if (v > best) {
                                    best = v;
                                    where[flat(od, n, c, y, q)] = (y * sh + i) * 6 + q * sw + j;
                                }
                            }
                        }
                        expected[flat(od, n, c, y, q)] = best;
                    }
                }
            }
        }
        try (Tensor in = tensor(x, xd); Tensor out = alloc(DType.F32, od); Tensor arg = alloc(DType.I32, od)) {
            backend().pooling().maxPoolForward(in, kh, kw, sh, sw, out, arg);
            assertClose(expected, out.toFloatArray(), 0, "max pool values");
            assertArrayEquals(where, arg.toIntArray(), "max pool argmax");
        }
    }

    @Test
    void twoByTwoStrideTwoOnOddPlanesWithNaNsInEveryWindowPosition() {
        int[] xd = {3, 2, 7, 9};
        int oh = 3;
        int ow = 4;
        int[] od = {3, 2, oh, ow};
        float[] x = randomFloats(3 * 2 * 7 * 9);
        // Ties and NaNs at each of the four window positions, in different windows.
        x[flat(xd, 0, 0, 0, 0)] = 5;
        x[flat(xd, 0, 0, 1, 1)] = 5;
        x[flat(xd, 1, 0, 0, 3)] = Float.NaN;
        x[flat(xd, 1, 1, 2, 4)] = Float.NaN;
        x[flat(xd, 2, 0, 3, 2)] = Float.NaN;
        x[flat(xd, 2, 1, 5, 7)] = Float.NaN;
        x[flat(xd, 2, 1, 4, 6)] = Float.NaN;
        double[] expected = new double[3 * 2 * oh * ow];
        int[] where = new int[expected.length];
        for (int n = 0; n < 3; n++) {
            for (int c = 0; c < 2; c++) {
                for (int y = 0; y < oh; y++) {
                    for (int q = 0; q < ow; q++) {
                        double best = Double.NEGATIVE_INFINITY;
                        int at = -1;
                        search:
                        for (int i = 0; i < 2; i++) {
                            for (int j = 0; j < 2; j++) {
                                double v = x[flat(xd, n, c, 2 * y + i, 2 * q + j)];
                                if (Double.isNaN(v)) {
                                    best = v;
                                    at = (2 * y + i) * 9 + 2 * q + j;
                                    break search;
                                }
                                if (v > best) {
                                    best = v;
                                    at = (2 * y + i) * 9 + 2 * q + j;
                                }
                            }
                        }
                        expected[flat(od, n, c, y, q)] = best;
                        where[flat(od, n, c, y, q)] = at;
                    }
                }
            }
        }
        try (Tensor in = tensor(x, xd); Tensor out = alloc(DType.F32, od); Tensor arg = alloc(DType.I32, od)) {
            backend().pooling().maxPoolForward(in, 2, 2, 2, 2, out, arg);
            float[] values = out.toFloatArray();
            for (int i = 0; i < values.length; i++) {
                if (Double.isNaN(expected[i])) {
                    assertTrue(Float.isNaN(values[i]), "NaN expected at " + i + ", got " + values[i]);
                    values[i] = 0;
                    expected[i] = 0;
                }
            }
            assertClose(expected, values, 0, "2x2 max pool values");
            assertArrayEquals(where, arg.toIntArray(), "2x2 max pool argmax");
        }
    }

    @Test
    void tiesGoToTheFirstElementInRowMajorWindowOrder() {
        float[] x = {
            1, 4, 4, 0,
            4, 2, 3, 3,
            -1, -1, -5, -5,
            -1, -1, -5, -5,
        };
        try (Tensor in = tensor(x, 1, 1, 4, 4); Tensor out = alloc(DType.F32, 1, 1, 2, 2);
             Tensor arg = alloc(DType.I32, 1, 1, 2, 2)) {
            backend().pooling().maxPoolForward(in, 2, 2, 2, 2, out, arg);
            assertArrayEquals(new float[] {4, 4, -1, -5}, out.toFloatArray());
            assertArrayEquals(new int[] {1, 2, 8, 10}, arg.toIntArray());
        }
    }

    @Test
    void nanPropagatesAndStridedViewsWork() {
        float[] x = {
            1, Float.NaN, 2, 3,
            Float.NaN, 0, 8, 6,
        };
        try (Tensor base = tensor(x, 1, 1, 2, 4); Tensor out = alloc(DType.F32, 1, 1, 1, 2);
             Tensor arg = alloc(DType.I32, 1, 1, 1, 2)) {
            // Input and outputs all through transposed views: [1, 1, 4, 2] in, [1, 1, 2, 1] out.
            backend().pooling().maxPoolForward(base.transpose(2, 3), 2, 2, 2, 2, out.transpose(2, 3),
                    arg.transpose(2, 3));
            float[] values = out.toFloatArray();
            assertTrue(Float.isNaN(values[0]), "NaN in the window wins: " + values[0]);
            assertEquals(8f, values[1]);
            assertArrayEquals(new int[] {1, 5}, arg.toIntArray());
        }
    }

    /** Overlapping windows share maxima: their gradients add, in row-major output order, so exactly. */
    @Test
    void backwardRoutesEachGradientToItsArgmaxAndOverlapsAccumulateInOutputOrder() {
        int[] xd = {2, 3, 5, 5};
        int[] od = {2, 3, 2, 2};
        float[] x = randomFloats(2 * 3 * 5 * 5);
        float[] g = randomFloats(2 * 3 * 2 * 2);
        try (Tensor in = tensor(x, xd); Tensor out = alloc(DType.F32, od); Tensor arg = alloc(DType.I32, od);
             Tensor dOut = tensor(g, od); Tensor dx = alloc(DType.F32, xd)) {
            backend().pooling().maxPoolForward(in, 3, 3, 2, 2, out, arg);   // windows overlap on row/col 2
            int[] a = arg.toIntArray();
            float[] expected = new float[x.length];
            for (int n = 0; n < 2; n++) {
                for (int c = 0; c < 3; c++) {
                    for (int k = 0; k < 4; k++) {
                        int o = (n * 3 + c) * 4 + k;
                        expected[(n * 3 + c) * 25 + a[o]] += g[o];
                    }
                }
            }
            dx.fill(8f);
            backend().pooling().maxPoolBackward(dOut, arg, 3, 3, 2, 2, dx);
            assertArrayEquals(expected, dx.toFloatArray(), "max pool backward");
        }
    }

    @Test
    void backwardRefusesAnArgmaxOutsideItsWindow() {
        // One plane, 5x5, 3x3 windows with stride 2: window (0, 1) is rows 0-2, columns 2-4.
        for (int bad : new int[] {25, -1, 1, 3 * 5 + 2}) {
            int[] a = {0, 2, 10, 12};
            a[1] = bad;
            try (Tensor arg = Tensor.ofInts(backend(), a, 1, 1, 2, 2); Tensor dOut = alloc(DType.F32, 1, 1, 2, 2);
                 Tensor dx = alloc(DType.F32, 1, 1, 5, 5)) {
                dOut.fill(1f);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
                    backend().pooling().maxPoolBackward(dOut, arg, 3, 3, 2, 2, dx);
                    backend().synchronize();
                });
                assertEquals("maxPoolBackward: argmax " + bad + " at [0, 0, 0, 1] lies outside its 3x3 window at row 0,"
                        + " column 2 of the 5x5 input plane", e.getMessage());
            }
        }
    }

    @Test
    void backwardRefusesShapesThatAreNotTheWindows() {
        try (Tensor arg = alloc(DType.I32, 1, 2, 2, 2); Tensor dOut = alloc(DType.F32, 1, 2, 2, 2);
             Tensor dx = alloc(DType.F32, 1, 2, 6, 6)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend().pooling().maxPoolBackward(dOut, arg, 2, 2, 2, 2, dx));
            assertEquals("maxPoolBackward: input gradient [1, 2, 6, 6] with window 2x2 and stride 2x2 needs output"
                    + " gradient and argmax [1, 2, 3, 3], got [1, 2, 2, 2] and [1, 2, 2, 2]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> backend().pooling().maxPoolBackward(dOut, arg, 7, 2, 2, 2, dx));
            assertEquals("maxPoolBackward: window 7x2 with stride 2x2 does not fit input gradient [1, 2, 6, 6]"
                    + " (needs [N, C, H, W])", e.getMessage());
        }
    }

    @Test
    void wrongOutputShapeIsRefused() {
        try (Tensor in = alloc(DType.F32, 1, 2, 6, 6); Tensor out = alloc(DType.F32, 1, 2, 2, 2);
             Tensor arg = alloc(DType.I32, 1, 2, 2, 2)) {
            assertThrows(IllegalArgumentException.class,
                    () -> backend().pooling().maxPoolForward(in, 2, 2, 2, 2, out, arg));
        }
    }

    /**
     * Seeded random geometries (planes down to 1x1, windows to 3x3, strides to 3: windows overlap,
     * touch or leave gaps) and random views of every operand ({@link RandomViews}); inputs from a few
     * levels, so ties are common.
     */
    @Test
    void maxPoolingForwardAndBackwardOverRandomGeometriesAndViews() {
        for (int c = 0; c < SWEEP_CASES; c++) {
            int n = 1 + random.nextInt(3);
            int ch = 1 + random.nextInt(4);
            int h = 1 + random.nextInt(9);
            int w = 1 + random.nextInt(9);
            int kh = 1 + random.nextInt(Math.min(3, h));
            int kw = 1 + random.nextInt(Math.min(3, w));
            int sh = 1 + random.nextInt(3);
            int sw = 1 + random.nextInt(3);
            int oh = (h - kh) / sh + 1;
            int ow = (w - kw) / sw + 1;
            String what = "case " + c + ": [" + n + ", " + ch + ", " + h + ", " + w + "], window " + kh + "x" + kw
                    + ", stride " + sh + "x" + sw;
            Layout lx = views.layout(n, ch, h, w);
            Layout lo = views.layout(n, ch, oh, ow);
            Layout la = views.layout(n, ch, oh, ow);
            float[] buffer = randomFloats(lx.bufferSize());
            for (int i = 0; i < buffer.length; i++) {
                buffer[i] = Math.round(buffer[i] * 3) / 3f;
            }
            float[] x = lx.read(buffer);
            double[] maxima = new double[lo.size()];
            double[] where = new double[lo.size()];
            for (int e = 0; e < maxima.length; e++) {
                int[] o = unravel(e, lo.dims());
                float best = 0;
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int r = o[2] * sh + i;
                        int s = o[3] * sw + j;
                        float v = x[((o[0] * ch + o[1]) * h + r) * w + s];
                        if ((i == 0 && j == 0) || v > best) {
                            best = v;
                            where[e] = r * w + s;
                        }
                    }
                }
                maxima[e] = best;
            }
            Layout ld = views.layout(n, ch, oh, ow);
            Layout lg = views.layout(n, ch, h, w);
            float[] dOutBuffer = randomFloats(ld.bufferSize());
            float[] dOut = ld.read(dOutBuffer);
            // Summed in float, in row-major output order: the order the contract fixes, so exactly.
            float[] sums = new float[lg.size()];
            for (int e = 0; e < dOut.length; e++) {
                int[] o = unravel(e, ld.dims());
                sums[(o[0] * ch + o[1]) * h * w + (int) where[e]] += dOut[e];
            }
            double[] dx = new double[sums.length];
            for (int e = 0; e < dx.length; e++) {
                dx[e] = sums[e];
            }
            try (Tensor in = tensor(buffer, lx.bufferSize()); Tensor gradient = tensor(dOutBuffer, ld.bufferSize());
                 Tensor out = RandomViews.filledBuffer(backend(), lo, DType.F32, SENTINEL);
                 Tensor argmax = RandomViews.filledBuffer(backend(), la, DType.I32, 77);
                 Tensor dInput = RandomViews.filledBuffer(backend(), lg, DType.F32, SENTINEL)) {
                backend().pooling().maxPoolForward(lx.of(in), kh, kw, sh, sw, lo.of(out), la.of(argmax));
                assertView(out.toFloatArray(), lo, maxima, 0, SENTINEL, what + ", maxima of " + lx);
                assertView(asFloats(argmax.toIntArray()), la, where, 0, 77, what + ", argmax");
                backend().pooling().maxPoolBackward(ld.of(gradient), la.of(argmax), kh, kw, sh, sw, lg.of(dInput));
                assertView(dInput.toFloatArray(), lg, dx, 0, SENTINEL, what + ", backward from " + ld);
            }
        }
    }
}
