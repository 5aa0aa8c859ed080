package dev.strix.tensor.conformance;

import static dev.strix.tensor.conformance.RandomViews.assertView;
import static dev.strix.tensor.conformance.RandomViews.unravel;

import dev.strix.tensor.Convolution;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.conformance.RandomViews.Layout;
import org.junit.jupiter.api.Test;

/**
 * The convolution building blocks over seeded random geometries (batch, channels, odd sizes down to
 * 1x1, kernels up to 4x4, strides up to 3, unequal padding on each side) and random views of every
 * operand (see {@link RandomViews}), against the defining formulas of {@link Convolution}. Outputs
 * are views into sentinel-filled buffers; elements outside them must keep the sentinel.
 */
public abstract class ConvolutionSweepConformance extends BackendConformance {
    private static final int CASES = 40;
    private static final float SENTINEL = -7777f;

    private final RandomViews views = new RandomViews(random);

    /** One geometry: input [n, c, h, w], padding (top, bottom, left, right), kernel, stride, output size. */
    private record Geometry(int n, int c, int h, int w, int top, int bottom, int left, int right, int kh, int kw,
                            int sh, int sw) {
        int paddedH() {
            return h + top + bottom;
        }

        int paddedW() {
            return w + left + right;
        }

        int oh() {
            return (paddedH() - kh) / sh + 1;
        }

        int ow() {
            return (paddedW() - kw) / sw + 1;
        }

        /** x[n, c, r, s] of the padded input, given the unpadded values row-major, 0 in the border. */
        double padded(float[] x, int b, int ch, int r, int s) {
            int y = r - top;
            int z = s - left;
            return y < 0 || y >= h || z < 0 || z >= w ? 0 : x[((b * c + ch) * h + y) * w + z];
        }
    }

    private Geometry randomGeometry() {
        while (true) {
            Geometry g = new Geometry(1 + random.nextInt(3), 1 + random.nextInt(4), 1 + random.nextInt(8),
                    1 + random.nextInt(8), random.nextInt(3), random.nextInt(3), random.nextInt(3), random.nextInt(3),
                    1 + random.nextInt(4), 1 + random.nextInt(4), 1 + random.nextInt(3), 1 + random.nextInt(3));
            if (g.kh() <= g.paddedH() && g.kw() <= g.paddedW()) {
                return g;
            }
        }
    }

    private Tensor sentinelBuffer(Layout l) {
        return RandomViews.filledBuffer(backend(), l, DType.F32, SENTINEL);
    }

    /**
     * A buffer of random values for layout {@code l} (close it: views never free their storage);
     * {@code values[0]} receives the view's elements, row-major.
     */
    private Tensor randomBuffer(Layout l, float[][] values) {
        float[] buffer = randomFloats(l.bufferSize());
        values[0] = l.read(buffer);
        return tensor(buffer, l.bufferSize());
    }

    @Test
    void padUnpadAndDilateOverRandomGeometries() {
        Convolution conv = backend().convolution();
        for (int c = 0; c < CASES; c++) {
            Geometry g = randomGeometry();
            String what = "case " + c + ", " + g;
            float[][] x = new float[1][];
            Layout lx = views.layout(g.n(), g.c(), g.h(), g.w());
            Layout lp = views.layout(g.n(), g.c(), g.paddedH(), g.paddedW());
            try (Tensor in = randomBuffer(lx, x); Tensor out = sentinelBuffer(lp)) {
                conv.pad(lx.of(in), g.top(), g.bottom(), g.left(), g.right(), lp.of(out));
                double[] expected = new double[lp.size()];
                for (int e = 0; e < expected.length; e++) {
                    int[] i = unravel(e, lp.dims());
                    expected[e] = g.padded(x[0], i[0], i[1], i[2], i[3]);
                }
                assertView(out.toFloatArray(), lp, expected, 0, SENTINEL, what + ", pad of " + lx);
            }
            float[][] xp = new float[1][];
            Layout lu = views.layout(g.n(), g.c(), g.h(), g.w());
            Layout lq = views.layout(g.n(), g.c(), g.paddedH(), g.paddedW());
            try (Tensor padded = randomBuffer(lq, xp); Tensor out = sentinelBuffer(lu)) {
                conv.unpad(lq.of(padded), g.top(), g.bottom(), g.left(), g.right(), lu.of(out));
                double[] expected = new double[lu.size()];
                for (int e = 0; e < expected.length; e++) {
                    int[] i = unravel(e, lu.dims());
                    expected[e] = xp[0][((i[0] * g.c() + i[1]) * g.paddedH() + i[2] + g.top()) * g.paddedW() + i[3]
                            + g.left()];
                }
                assertView(out.toFloatArray(), lu, expected, 0, SENTINEL, what + ", unpad");
            }
            Layout ld = views.layout(g.n(), g.c(), (g.h() - 1) * g.sh() + 1, (g.w() - 1) * g.sw() + 1);
            Layout ls = views.layout(g.n(), g.c(), g.h(), g.w());
            try (Tensor small = randomBuffer(ls, x); Tensor out = sentinelBuffer(ld)) {
                conv.dilate(ls.of(small), g.sh(), g.sw(), ld.of(out));
                double[] expected = new double[ld.size()];
                for (int e = 0; e < expected.length; e++) {
                    int[] i = unravel(e, ld.dims());
                    boolean onGrid = i[2] % g.sh() == 0 && i[3] % g.sw() == 0;
                    int at = ((i[0] * g.c() + i[1]) * g.h() + i[2] / g.sh()) * g.w() + i[3] / g.sw();
                    expected[e] = onGrid ? x[0][at] : 0;
                }
                assertView(out.toFloatArray(), ld, expected, 0, SENTINEL, what + ", dilate");
            }
        }
    }

    @Test
    void im2colAndCol2imOverRandomGeometries() {
        Convolution conv = backend().convolution();
        for (int c = 0; c < CASES; c++) {
            Geometry g = randomGeometry();
            String what = "case " + c + ", " + g;
            int[] cd = {g.n(), g.c(), g.kh(), g.kw(), g.oh(), g.ow()};
            float[][] x = new float[1][];
            Layout li = views.layout(g.n(), g.c(), g.h(), g.w());
            int columnCount = g.n() * g.c() * g.kh() * g.kw() * g.oh() * g.ow();
            // Every other case lays the columns out as one matrix for the batch: [C, KH, KW, N, OH, OW].
            boolean batchMatrix = c % 2 == 1;
            what += batchMatrix ? ", batch-matrix columns" : "";
            try (Tensor in = randomBuffer(li, x); Tensor store = backend().allocate(DType.F32, batchMatrix
                    ? Shape.of(g.c(), g.kh(), g.kw(), g.n(), g.oh(), g.ow()) : Shape.of(cd))) {
                Tensor columns = batchMatrix ? store.permute(3, 0, 1, 2, 4, 5) : store;
                store.fill(SENTINEL);
                conv.im2col(li.of(in), g.sh(), g.sw(), g.top(), g.left(), columns);
                double[] expected = new double[columnCount];
                for (int e = 0; e < columnCount; e++) {
                    int[] i = unravel(e, cd);
                    expected[e] = g.padded(x[0], i[0], i[1], i[4] * g.sh() + i[2], i[5] * g.sw() + i[3]);
                }
                assertClose(expected, columns.toFloatArray(), 0, what + ", im2col");
            }
            float[] columnValues = randomFloats(columnCount);
            Layout lx = views.layout(g.n(), g.c(), g.h(), g.w());
            double[] expected = new double[lx.size()];
            double[] magnitude = new double[lx.size()];
            for (int e = 0; e < columnCount; e++) {
                int[] i = unravel(e, cd);
                int r = i[4] * g.sh() + i[2] - g.top();
                int s = i[5] * g.sw() + i[3] - g.left();
                if (r >= 0 && r < g.h() && s >= 0 && s < g.w()) {
                    int at = ((i[0] * g.c() + i[1]) * g.h() + r) * g.w() + s;
                    expected[at] += columnValues[e];
                    magnitude[at] += Math.abs(columnValues[e]);
                }
            }
            double[] allowed = new double[magnitude.length];
            for (int e = 0; e < allowed.length; e++) {
                allowed[e] = FLOAT_TOLERANCE * magnitude[e];
            }
            try (Tensor contiguous = tensor(columnValues, cd); Tensor out = sentinelBuffer(lx);
                 Tensor store = backend().allocate(DType.F32, Shape.of(g.c(), g.kh(), g.kw(), g.n(), g.oh(), g.ow()))) {
                Tensor columns = contiguous;
                if (batchMatrix) {
                    columns = store.permute(3, 0, 1, 2, 4, 5);
                    backend().copy(contiguous, columns);
                }
                conv.col2im(columns, g.sh(), g.sw(), g.top(), g.left(), lx.of(out));
                assertView(out.toFloatArray(), lx, expected, allowed, SENTINEL, what + ", col2im into " + lx);
            }
        }
    }

    @Test
    void correlateOverRandomGeometriesAndViews() {
        Convolution conv = backend().convolution();
        for (int c = 0; c < CASES; c++) {
            Geometry g = randomGeometry();
            int kernels = 1 + random.nextInt(4);
            String what = "case " + c + ", " + g + ", " + kernels + " kernels";
            // The windows slide over an input that is already padded: the op sees only the view.
            float[][] x = new float[1][];
            float[][] w = new float[1][];
            Layout lx = views.layout(g.n(), g.c(), g.paddedH(), g.paddedW());
            Layout lw = views.layout(kernels, g.c(), g.kh(), g.kw());
            Layout lo = views.layout(g.n(), kernels, g.oh(), g.ow());
            try (Tensor input = randomBuffer(lx, x); Tensor weights = randomBuffer(lw, w);
                 Tensor out = sentinelBuffer(lo)) {
                Tensor windows = Convolution.slidingWindows(lx.of(input), g.kh(), g.kw(), g.sh(), g.sw());
                conv.correlate(windows, lw.of(weights), lo.of(out));
                double[] expected = new double[lo.size()];
                double[] allowed = new double[lo.size()];
                for (int e = 0; e < expected.length; e++) {
                    int[] o = unravel(e, lo.dims());
                    double magnitude = 0;
                    for (int ch = 0; ch < g.c(); ch++) {
                        for (int i = 0; i < g.kh(); i++) {
                            for (int j = 0; j < g.kw(); j++) {
                                double term = x[0][((o[0] * g.c() + ch) * g.paddedH() + o[2] * g.sh() + i) * g.paddedW()
                                        + o[3] * g.sw() + j] * w[0][((o[1] * g.c() + ch) * g.kh() + i) * g.kw() + j];
                                expected[e] += term;
                                magnitude += Math.abs(term);
                            }
                        }
                    }
                    allowed[e] = 4 * FLOAT_TOLERANCE * magnitude;
                }
                assertView(out.toFloatArray(), lo, expected, allowed, SENTINEL, what);
            }
        }
    }
}
