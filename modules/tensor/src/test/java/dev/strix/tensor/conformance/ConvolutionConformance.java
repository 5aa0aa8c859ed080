package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Convolution;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Padding, unpadding, dilation, the window contraction, im2col and col2im against naive loops. */
public abstract class ConvolutionConformance extends BackendConformance {

    private Convolution conv() {
        return backend().convolution();
    }

    private Tensor zeros(int... dims) {
        return backend().allocate(DType.F32, Shape.of(dims));
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    @Test
    void padPlacesTheInputInsideZeroBorders() {
        int[] d = {2, 3, 4, 5};
        float[] x = randomFloats(2 * 3 * 4 * 5);
        int[] o = {2, 3, 4 + 1 + 2, 5 + 0 + 3};
        double[] expected = new double[2 * 3 * 7 * 8];
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                for (int r = 0; r < 4; r++) {
                    for (int s = 0; s < 5; s++) {
                        expected[flat(o, n, c, r + 1, s)] = x[flat(d, n, c, r, s)];
                    }
                }
            }
        }
        try (Tensor in = tensor(x, d); Tensor out = zeros(o)) {
            out.fill(7f);
            conv().pad(in, 1, 2, 0, 3, out);
            assertClose(expected, out.toFloatArray(), 0, "pad");
        }
    }

    @Test
    void padWithNothingAboveOrToTheLeft() {
        float[] x = randomFloats(2 * 3 * 4);
        int[] o = {2, 3 + 2, 4 + 1};
        double[] expected = new double[2 * 5 * 5];
        for (int a = 0; a < 2; a++) {
            for (int r = 0; r < 3; r++) {
                for (int s = 0; s < 4; s++) {
                    expected[flat(o, a, r, s)] = x[(a * 3 + r) * 4 + s];
                }
            }
        }
        try (Tensor in = tensor(x, 2, 3, 4); Tensor out = zeros(o)) {
            out.fill(7f);
            conv().pad(in, 0, 2, 0, 1, out);
            assertClose(expected, out.toFloatArray(), 0, "pad bottom and right only");
        }
    }

    @Test
    void padAndUnpadWorkOnStridedViews() {
        float[] x = randomFloats(2 * 3 * 5 * 4);
        try (Tensor base = tensor(x, 2, 3, 5, 4); Tensor padded = zeros(2, 3, 4 + 2, 5 + 2);
             Tensor back = zeros(3, 2, 4, 5)) {
            Tensor view = base.transpose(2, 3);              // [2, 3, 4, 5], not contiguous
            conv().pad(view, 1, 1, 1, 1, padded);
            conv().unpad(padded, 1, 1, 1, 1, back.transpose(0, 1));  // written through a permuted view
            double[] expected = new double[x.length];
            int[] b = {3, 2, 4, 5};
            for (int n = 0; n < 2; n++) {
                for (int c = 0; c < 3; c++) {
                    for (int r = 0; r < 4; r++) {
                        for (int s = 0; s < 5; s++) {
                            expected[flat(b, c, n, r, s)] = x[flat(new int[] {2, 3, 5, 4}, n, c, s, r)];
                        }
                    }
                }
            }
            assertClose(expected, back.toFloatArray(), 0, "unpad(pad(x)) of a strided view");
        }
    }

    @Test
    void unpadCopiesTheInterior() {
        int[] d = {3, 6, 7};
        float[] x = randomFloats(3 * 6 * 7);
        double[] expected = new double[3 * 3 * 3];
        int[] o = {3, 3, 3};
        for (int a = 0; a < 3; a++) {
            for (int r = 0; r < 3; r++) {
                for (int s = 0; s < 3; s++) {
                    expected[flat(o, a, r, s)] = x[flat(d, a, r + 2, s + 4)];
                }
            }
        }
        try (Tensor in = tensor(x, d); Tensor out = zeros(o)) {
            conv().unpad(in, 2, 1, 4, 0, out);
            assertClose(expected, out.toFloatArray(), 0, "unpad");
        }
    }

    @Test
    void dilateSpreadsElementsByTheStride() {
        int[] d = {2, 3, 4};
        int[] o = {2, (3 - 1) * 2 + 1, (4 - 1) * 3 + 1};
        float[] x = randomFloats(2 * 3 * 4);
        double[] expected = new double[2 * 5 * 10];
        for (int a = 0; a < 2; a++) {
            for (int r = 0; r < 3; r++) {
                for (int s = 0; s < 4; s++) {
                    expected[flat(o, a, r * 2, s * 3)] = x[flat(d, a, r, s)];
                }
            }
        }
        try (Tensor in = tensor(x, d); Tensor out = zeros(o); Tensor same = zeros(d)) {
            out.fill(5f);
            conv().dilate(in, 2, 3, out);
            assertClose(expected, out.toFloatArray(), 0, "dilate 2x3");
            conv().dilate(in, 1, 1, same);
            assertClose(toDouble(x), same.toFloatArray(), 0, "dilate 1x1 is a copy");
        }
    }

    @Test
    void wrongPaddedShapeIsRefusedNamingBothShapes() {
        try (Tensor in = zeros(1, 2, 3, 3); Tensor out = zeros(1, 2, 5, 4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> conv().pad(in, 1, 1, 1, 1, out));
            assertTrue(e.getMessage().contains("[1, 2, 3, 3]") && e.getMessage().contains("[1, 2, 5, 4]"), e.getMessage());
        }
    }

    @Test
    void slidingWindowsViewsEveryWindow() {
        float[] x = randomFloats(2 * 3 * 7 * 6);
        int[] d = {2, 3, 7, 6};
        try (Tensor in = tensor(x, d)) {
            Tensor w = Convolution.slidingWindows(in, 3, 2, 2, 1);
            assertEquals(Shape.of(2, 3, 3, 5, 3, 2), w.shape());
            assertEquals(x[flat(d, 1, 2, 2 * 2 + 1, 3 + 1)], w.get(1, 2, 2, 3, 1, 1));
        }
    }

    /** out[a, b, y, x] = sum_{c,i,j} w[a, c, y, x, i, j] * k[b, c, i, j], from logical element reads. */
    private static double[][] referenceCorrelation(float[] win, int[] wd, float[] ker, int[] kd) {
        int a = wd[0];
        int b = kd[0];
        int ny = wd[2];
        int nx = wd[3];
        double[] out = new double[a * b * ny * nx];
        double[] scale = new double[out.length];
        int[] od = {a, b, ny, nx};
        for (int ia = 0; ia < a; ia++) {
            for (int ib = 0; ib < b; ib++) {
                for (int y = 0; y < ny; y++) {
                    for (int x = 0; x < nx; x++) {
                        for (int c = 0; c < wd[1]; c++) {
                            for (int i = 0; i < wd[4]; i++) {
                                for (int j = 0; j < wd[5]; j++) {
                                    double t = (double) win[flat(wd, ia, c, y, x, i, j)] * ker[flat(kd, ib, c, i, j)];
                                    out[flat(od, ia, ib, y, x)] += t;
                                    scale[flat(od, ia, ib, y, x)] += Math.abs(t);
                                }
                            }
                        }
                    }
                }
            }
        }
        return new double[][] {out, scale};
    }

    @Test
    void correlateContractsAWindowViewWithKernels() {
        int[] xd = {2, 3, 7, 6};
        try (Tensor x = tensor(randomFloats(2 * 3 * 7 * 6), xd); Tensor k = tensor(randomFloats(5 * 3 * 3 * 2), 5, 3, 3, 2);
             Tensor out = zeros(2, 5, 3, 5)) {
            Tensor windows = Convolution.slidingWindows(x, 3, 2, 2, 1);
            int[] wd = windows.shape().dims();
            double[][] ref = referenceCorrelation(windows.toFloatArray(), wd, k.toFloatArray(), k.shape().dims());
            conv().correlate(windows, k, out);
            assertClose(ref[0], ref[1], out.toFloatArray(), FLOAT_TOLERANCE, "correlate");
        }
    }

    @Test
    void correlateAcceptsRotatedKernelsAndAPermutedOutput() {
        // Kernels [O=4, C=3, 3, 2] read as [C, O, 3, 2] rotated by 180 degrees: negative strides.
        try (Tensor x = tensor(randomFloats(2 * 4 * 5 * 5), 2, 4, 5, 5); Tensor w = tensor(randomFloats(4 * 3 * 3 * 2), 4, 3, 3, 2);
             Tensor out = zeros(3, 2, 3, 4)) {
            Tensor rotated = w.asStrided(Shape.of(3, 4, 3, 2), new long[] {w.stride(1), w.stride(0), -w.stride(2),
                    -w.stride(3)}, 2 * w.stride(2) + w.stride(3));
            assertEquals(w.get(1, 2, 0, 0), rotated.get(2, 1, 2, 1));
            Tensor windows = Convolution.slidingWindows(x, 3, 2, 1, 1);
            Tensor permuted = out.permute(1, 0, 2, 3);       // [2, 3, 3, 4], strided
            double[][] ref = referenceCorrelation(windows.toFloatArray(), windows.shape().dims(), rotated.toFloatArray(),
                    rotated.shape().dims());
            conv().correlate(windows, rotated, permuted);
            assertClose(ref[0], ref[1], permuted.toFloatArray(), FLOAT_TOLERANCE, "correlate rotated, permuted");
        }
    }

    @Test
    void correlateRefusesMismatchedChannels() {
        try (Tensor x = zeros(1, 2, 4, 4); Tensor k = zeros(3, 5, 2, 2); Tensor out = zeros(1, 3, 3, 3)) {
            assertEquals("correlate needs windows [A, C, Y, X, I, J], kernels [B, C, I, J] and output [A, B, Y, X],"
                    + " got windows [1, 2, 3, 3, 2, 2], kernels [3, 5, 2, 2], output [1, 3, 3, 3]",
                    assertThrows(IllegalArgumentException.class,
                            () -> conv().correlate(Convolution.slidingWindows(x, 2, 2, 1, 1), k, out)).getMessage());
        }
    }

    private static double[] referenceIm2col(float[] x, int[] xd, int[] cd, int sh, int sw, int pt, int pl) {
        double[] cols = new double[(int) Shape.of(cd).size()];
        for (int n = 0; n < cd[0]; n++) {
            for (int c = 0; c < cd[1]; c++) {
                for (int i = 0; i < cd[2]; i++) {
                    for (int j = 0; j < cd[3]; j++) {
                        for (int y = 0; y < cd[4]; y++) {
                            for (int q = 0; q < cd[5]; q++) {
                                int r = y * sh + i - pt;
                                int s = q * sw + j - pl;
                                boolean inside = r >= 0 && r < xd[2] && s >= 0 && s < xd[3];
                                cols[flat(cd, n, c, i, j, y, q)] = inside ? x[flat(xd, n, c, r, s)] : 0;
                            }
                        }
                    }
                }
            }
        }
        return cols;
    }

    @Test
    void im2colMatchesReferenceForStridesAndPadding() {
        int[] xd = {2, 3, 7, 6};
        float[] x = randomFloats(2 * 3 * 7 * 6);
        int[][] cases = {
            // kh, kw, sh, sw, padTop, padLeft, oh, ow
            {3, 2, 2, 1, 1, 2, 4, 9},
            {3, 3, 1, 1, 1, 1, 7, 6},
            {2, 3, 2, 2, 0, 1, 3, 3},
            {5, 4, 3, 2, 2, 1, 3, 3},
        };
        try (Tensor in = tensor(x, xd)) {
            for (int[] k : cases) {
                int[] cd = {2, 3, k[0], k[1], k[6], k[7]};
                double[] expected = referenceIm2col(x, xd, cd, k[2], k[3], k[4], k[5]);
                try (Tensor cols = zeros(cd)) {
                    cols.fill(9f);
                    conv().im2col(in, k[2], k[3], k[4], k[5], cols);
                    assertClose(expected, cols.toFloatArray(), 0, "im2col " + java.util.Arrays.toString(k));
                }
            }
        }
    }

    @Test
    void im2colReadsAStridedInput() {
        float[] x = randomFloats(2 * 3 * 6 * 7);
        try (Tensor base = tensor(x, 2, 3, 6, 7); Tensor cols = zeros(2, 3, 3, 3, 4, 3)) {
            Tensor view = base.transpose(2, 3);     // [2, 3, 7, 6]
            double[] expected = referenceIm2col(view.toFloatArray(), view.shape().dims(), cols.shape().dims(), 2, 2, 1, 1);
            conv().im2col(view, 2, 2, 1, 1, cols);
            assertClose(expected, cols.toFloatArray(), 0, "im2col of a transposed view");
        }
    }

    @Test
    void col2imSumsEveryColumnEntryBackIntoItsPixel() {
        int[] xd = {2, 3, 7, 6};
        int[] cd = {2, 3, 3, 2, 4, 4};
        int sh = 2;
        int sw = 2;
        int pt = 1;
        int pl = 1;
        float[] cols = randomFloats((int) Shape.of(cd).size());
        double[] expected = new double[2 * 3 * 7 * 6];
        double[] scale = new double[expected.length];
        for (int n = 0; n < cd[0]; n++) {
            for (int c = 0; c < cd[1]; c++) {
                for (int i = 0; i < cd[2]; i++) {
                    for (int j = 0; j < cd[3]; j++) {
                        for (int y = 0; y < cd[4]; y++) {
                            for (int q = 0; q < cd[5]; q++) {
                                int r = y * sh + i - pt;
                                int s = q * sw + j - pl;
                                if (r >= 0 && r < xd[2] && s >= 0 && s < xd[3]) {
                                    float v = cols[flat(cd, n, c, i, j, y, q)];
                                    expected[flat(xd, n, c, r, s)] += v;
                                    scale[flat(xd, n, c, r, s)] += Math.abs(v);
                                }
                            }
                        }
                    }
                }
            }
        }
        try (Tensor tc = tensor(cols, cd); Tensor out = zeros(xd); Tensor strided = zeros(2, 3, 6, 7)) {
            out.fill(3f);
            conv().col2im(tc, sh, sw, pt, pl, out);
            assertClose(expected, scale, out.toFloatArray(), FLOAT_TOLERANCE, "col2im");
            Tensor view = strided.transpose(2, 3);
            conv().col2im(tc, sh, sw, pt, pl, view);
            assertClose(expected, scale, view.toFloatArray(), FLOAT_TOLERANCE, "col2im into a strided view");
        }
    }

    @Test
    void im2colRefusesMismatchedChannels() {
        try (Tensor x = zeros(1, 2, 4, 4); Tensor cols = zeros(1, 3, 2, 2, 3, 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> conv().im2col(x, 1, 1, 0, 0, cols));
            assertTrue(e.getMessage().contains("[1, 2, 4, 4]") && e.getMessage().contains("[1, 3, 2, 2, 3, 3]"),
                    e.getMessage());
        }
    }

    @Test
    void mistakesAreRefusedWithTheSameWordsOnEveryBackend() {
        try (Tensor x = zeros(1, 2, 4, 4); Tensor padded = zeros(1, 2, 6, 6); Tensor cols = zeros(1, 2, 3, 3, 2, 2)) {
            assertEquals("pad: borders must not be negative, got top 1, bottom -1, left 1, right 1",
                    assertThrows(IllegalArgumentException.class, () -> conv().pad(x, 1, -1, 1, 1, padded)).getMessage());
            assertEquals("unpad: input [1, 2, 6, 6] needs an output with last two axes 4x3 and the same leading axes,"
                    + " got [1, 2, 4, 4]", assertThrows(IllegalArgumentException.class,
                    () -> conv().unpad(padded, 1, 1, 2, 1, x)).getMessage());
            assertEquals("dilate: strides must be positive, got 0x2",
                    assertThrows(IllegalArgumentException.class, () -> conv().dilate(x, 0, 2, padded)).getMessage());
            assertEquals("col2im: strides must be positive and padding not negative, got stride 1x1, padding top -1,"
                    + " left 0", assertThrows(IllegalArgumentException.class,
                    () -> conv().col2im(cols, 1, 1, -1, 0, x)).getMessage());
            // Columns with the output plane transposed: neither layout the ops take.
            assertEquals("im2col: columns must be contiguous [N, C, KH, KW, OH, OW] or a view of a contiguous"
                    + " [C, KH, KW, N, OH, OW] tensor, got [1, 2, 3, 3, 2, 2] with strides [72, 36, 12, 4, 1, 2]",
                    assertThrows(IllegalArgumentException.class,
                            () -> conv().im2col(x, 1, 1, 0, 0, cols.transpose(4, 5))).getMessage());
        }
    }
}
