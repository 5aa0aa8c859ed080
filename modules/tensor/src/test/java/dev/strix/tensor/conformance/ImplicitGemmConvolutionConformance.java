package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strix.tensor.DType;
import dev.strix.tensor.ImplicitGemmConvolution;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Implicit-GEMM convolution (for backends that offer it) against the im2col definition as naive
 * loops in double precision ({@link ConvolutionReference}): forward, weight gradient and input gradient, with strides,
 * padding on the top and left only (the output size sets the rest, including windows that stop
 * short of the bottom), channel counts on both sides of the kernel's tile widths, one-image and
 * odd batches, and strided views for inputs and outputs. Tolerances are relative to the sum of
 * absolute terms.
 */
public abstract class ImplicitGemmConvolutionConformance extends BackendConformance {
    private static final double TOLERANCE = 1e-5;

    private int casesMade;

    private ImplicitGemmConvolution op() {
        return backend().implicitGemmConvolution().orElseThrow();
    }

    private final class Case {
        final int n, c, h, w, o, kh, kw, sh, sw, top, left, oh, ow;
        final float[] x, weight, bias, dz;
        /** Whether this case passes a bias (and asks for its gradient); half the cases do. */
        final boolean withBias;

        Case(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int top, int left, int oh, int ow) {
            this.n = n;
            this.c = c;
            this.h = h;
            this.w = w;
            this.o = o;
            this.kh = kh;
            this.kw = kw;
            this.sh = sh;
            this.sw = sw;
            this.top = top;
            this.left = left;
            this.oh = oh;
            this.ow = ow;
            this.x = randomFloats(n * c * h * w);
            this.weight = randomFloats(o * c * kh * kw);
            this.bias = randomFloats(o);
            this.withBias = casesMade++ % 2 == 0;
            this.dz = randomFloats(n * o * oh * ow);
        }

        /** The unpadded {@code (h + 2 pad - k) / s + 1} output, as a layer with symmetric padding has. */
        Case(int n, int c, int h, int w, int o, int k, int s, int pad) {
            this(n, c, h, w, o, k, k, s, s, pad, pad, (h + 2 * pad - k) / s + 1, (w + 2 * pad - k) / s + 1);
        }

        ConvolutionReference reference() {
            return new ConvolutionReference(n, c, h, w, o, kh, kw, sh, sw, top, left, oh, ow, x, weight);
        }

        @Override
        public String toString() {
            return "x [" + n + ", " + c + ", " + h + ", " + w + "], w [" + o + ", " + c + ", " + kh + ", " + kw
                    + "], stride " + sh + "x" + sw + ", top " + top + ", left " + left + ", out " + oh + "x" + ow;
        }
    }

    private List<Case> cases() {
        return List.of(
                new Case(3, 32, 13, 13, 64, 3, 1, 0),                  // the reference network's second conv
                new Case(2, 1, 12, 11, 32, 3, 1, 0),                   // a first conv: one input channel
                new Case(1, 3, 9, 8, 5, 3, 2, 2, 1, 1, 0, 5, 7),       // stride 2x1, few outputs, bottom padding 1
                new Case(5, 4, 7, 7, 40, 2, 3, 2, 2, 0, 1, 3, 3),      // 40 outputs: a partial second tile; short of the bottom
                new Case(2, 6, 5, 6, 7, 1, 1, 0),                      // 1x1
                new Case(2, 2, 6, 6, 3, 3, 1, 2),                      // padding wider than half the kernel
                new Case(2, 33, 6, 5, 6, 3, 2, 1, 1, 1, 0, 5, 4),      // 33 input channels: a second, one-channel group
                // One image big enough to be split between two cores mid-image (where there are two),
                // through the in-place tiles and through the packed-window tiles.
                new Case(1, 8, 30, 30, 16, 3, 1, 0),
                new Case(1, 1, 100, 100, 16, 3, 1, 0));
    }

    @Test
    void forwardIsWeightsTimesColumns() {
        for (Case k : cases()) {
            ConvolutionReference.Expected expected = k.reference().forward(k.withBias ? k.bias : null);
            try (Tensor x = tensor(k.x, k.n, k.c, k.h, k.w); Tensor w = tensor(k.weight, k.o, k.c, k.kh, k.kw);
                 Tensor b = tensor(k.bias, k.o); Tensor z = backend().allocate(DType.F32, Shape.of(k.n, k.o, k.oh, k.ow))) {
                backend().fill(z, 7f);
                op().forward(x, w, k.withBias ? b : null, k.sh, k.sw, k.top, k.left, z);
                assertClose(expected.values(), expected.scale(), z.toFloatArray(), TOLERANCE, "forward, " + k);
            }
        }
    }

    @Test
    void backwardFilterSumsGradientTimesColumnsOverTheBatch() {
        for (Case k : cases()) {
            ConvolutionReference.Expected expected = k.reference().backwardFilter(k.dz);
            ConvolutionReference.Expected bias = k.reference().backwardBias(k.dz);
            try (Tensor x = tensor(k.x, k.n, k.c, k.h, k.w); Tensor dz = tensor(k.dz, k.n, k.o, k.oh, k.ow);
                 Tensor dw = backend().allocate(DType.F32, Shape.of(k.o, k.c, k.kh, k.kw));
                 Tensor db = backend().allocate(DType.F32, Shape.of(k.o))) {
                backend().fill(dw, 7f);
                backend().fill(db, 7f);
                op().backwardFilter(x, dz, k.sh, k.sw, k.top, k.left, dw, k.withBias ? db : null);
                assertClose(expected.values(), expected.scale(), dw.toFloatArray(), TOLERANCE, "backwardFilter, " + k);
                if (k.withBias) {
                    assertClose(bias.values(), bias.scale(), db.toFloatArray(), TOLERANCE, "bias gradient, " + k);
                } else {
                    for (float v : db.toFloatArray()) {
                        org.junit.jupiter.api.Assertions.assertEquals(7f, v, "no bias gradient asked for, " + k);
                    }
                }
            }
        }
    }

    @Test
    void backwardDataIsCol2imOfWeightsTransposedTimesGradient() {
        for (Case k : cases()) {
            ConvolutionReference.Expected reference = k.reference().backwardData(k.dz);
            try (Tensor dz = tensor(k.dz, k.n, k.o, k.oh, k.ow); Tensor w = tensor(k.weight, k.o, k.c, k.kh, k.kw);
                 Tensor dx = backend().allocate(DType.F32, Shape.of(k.n, k.c, k.h, k.w))) {
                backend().fill(dx, 7f);
                op().backwardData(dz, w, k.sh, k.sw, k.top, k.left, dx);
                assertClose(reference.values(), reference.scale(), dx.toFloatArray(), TOLERANCE, "backwardData, " + k);
            }
        }
    }

    /** Every pass on views: x stored [n, c, w, h] and transposed, outputs written through permuted views. */
    @Test
    void stridedViewsGiveTheSameNumbers() {
        Case k = new Case(2, 3, 7, 6, 9, 3, 3, 2, 1, 1, 1, 4, 6);
        float[] transposed = new float[k.x.length];
        for (int a = 0; a < k.n; a++) {
            for (int b = 0; b < k.c; b++) {
                for (int r = 0; r < k.h; r++) {
                    for (int s = 0; s < k.w; s++) {
                        transposed[((a * k.c + b) * k.w + s) * k.h + r] = k.x[((a * k.c + b) * k.h + r) * k.w + s];
                    }
                }
            }
        }
        try (Tensor xStored = tensor(transposed, k.n, k.c, k.w, k.h); Tensor x = tensor(k.x, k.n, k.c, k.h, k.w);
             Tensor w = tensor(k.weight, k.o, k.c, k.kh, k.kw); Tensor dz = tensor(k.dz, k.n, k.o, k.oh, k.ow);
             Tensor zDense = backend().allocate(DType.F32, Shape.of(k.n, k.o, k.oh, k.ow));
             Tensor zStored = backend().allocate(DType.F32, Shape.of(k.o, k.n, k.ow, k.oh));
             Tensor dzStored = backend().allocate(DType.F32, Shape.of(k.o, k.n, k.ow, k.oh));
             Tensor dwDense = backend().allocate(DType.F32, Shape.of(k.o, k.c, k.kh, k.kw));
             Tensor dwStored = backend().allocate(DType.F32, Shape.of(k.kw, k.kh, k.c, k.o));
             Tensor dxDense = backend().allocate(DType.F32, Shape.of(k.n, k.c, k.h, k.w));
             Tensor dxStored = backend().allocate(DType.F32, Shape.of(k.c, k.n, k.w, k.h))) {
            Tensor xView = xStored.transpose(2, 3);
            Tensor zView = zStored.permute(1, 0, 3, 2);
            Tensor dzView = dzStored.permute(1, 0, 3, 2);
            backend().copy(dz, dzView);
            Tensor dwView = dwStored.permute(3, 2, 1, 0);
            Tensor dxView = dxStored.permute(1, 0, 3, 2);

            op().forward(x, w, null, k.sh, k.sw, k.top, k.left, zDense);
            op().forward(xView, w, null, k.sh, k.sw, k.top, k.left, zView);
            assertClose(toDouble(zDense.toFloatArray()), zView.contiguous().toFloatArray(), 0, "forward on views");

            op().backwardFilter(x, dz, k.sh, k.sw, k.top, k.left, dwDense, null);
            op().backwardFilter(xView, dzView, k.sh, k.sw, k.top, k.left, dwView, null);
            assertClose(toDouble(dwDense.toFloatArray()), dwView.contiguous().toFloatArray(), 0,
                    "backwardFilter on views");

            op().backwardData(dz, w, k.sh, k.sw, k.top, k.left, dxDense);
            op().backwardData(dzView, w, k.sh, k.sw, k.top, k.left, dxView);
            assertClose(toDouble(dxDense.toFloatArray()), dxView.contiguous().toFloatArray(), 0,
                    "backwardData on views");
            ConvolutionReference.Expected reference = k.reference().backwardData(k.dz);
            assertClose(reference.values(), reference.scale(), dxDense.toFloatArray(), TOLERANCE, "backwardData");
        }
    }

    /**
     * The fused ReLU + 2x2 max-pool passes give exactly what the separate ops give: forward, then
     * max pooling and ReLU; and the routed gradient (ReLU backward, then max-pool backward) fed to
     * the plain backward passes. Exact, because both sides run the same products in the same order.
     */
    @Test
    void reluMaxPoolPassesEqualTheSeparateOps() {
        List<Case> pooledCases = List.of(
                new Case(3, 32, 13, 13, 64, 3, 1, 0),                  // the reference network's second conv: 11x11 -> 5x5
                new Case(2, 1, 12, 11, 32, 3, 1, 0),                   // 10x9 -> 5x4
                new Case(5, 4, 9, 9, 40, 3, 3, 2, 2, 1, 1, 5, 4),      // strided, padded, 40 outputs
                new Case(1, 3, 6, 7, 5, 2, 2, 1, 1, 0, 0, 5, 6));
        for (Case k : pooledCases) {
            Shape conv = Shape.of(k.n, k.o, k.oh, k.ow);
            Shape pooledShape = Shape.of(k.n, k.o, k.oh / 2, k.ow / 2);
            int pooledSize = (int) pooledShape.size();
            float[] dPooledValues = randomFloats(pooledSize);
            try (Tensor x = tensor(k.x, k.n, k.c, k.h, k.w); Tensor w = tensor(k.weight, k.o, k.c, k.kh, k.kw);
                 Tensor b = tensor(k.bias, k.o); Tensor z = backend().allocate(DType.F32, conv);
                 Tensor pooled = backend().allocate(DType.F32, pooledShape);
                 Tensor argmax = backend().allocate(DType.I32, pooledShape);
                 Tensor expectedPooled = backend().allocate(DType.F32, pooledShape);
                 Tensor expectedArgmax = backend().allocate(DType.I32, pooledShape);
                 Tensor dPooled = tensor(dPooledValues, pooledShape.dims());
                 Tensor routed = backend().allocate(DType.F32, pooledShape);
                 Tensor dz = backend().allocate(DType.F32, conv);
                 Tensor dw = backend().allocate(DType.F32, w.shape());
                 Tensor db = backend().allocate(DType.F32, b.shape());
                 Tensor dx = backend().allocate(DType.F32, x.shape());
                 Tensor expectedDw = backend().allocate(DType.F32, w.shape());
                 Tensor expectedDb = backend().allocate(DType.F32, b.shape());
                 Tensor expectedDx = backend().allocate(DType.F32, x.shape())) {
                String what = "ReLU + max pool, " + k;
                op().forward(x, w, b, k.sh, k.sw, k.top, k.left, z);
                backend().pooling().maxPoolForward(z, 2, 2, 2, 2, expectedPooled, expectedArgmax);
                backend().elementwise().unary(dev.strix.tensor.UnaryOp.RELU, expectedPooled, expectedPooled);
                op().forwardReluMaxPool(x, w, b, k.sh, k.sw, k.top, k.left, conv, pooled, argmax);
                assertClose(toDouble(expectedPooled.toFloatArray()), pooled.toFloatArray(), 0, what + ": pooled");
                org.junit.jupiter.api.Assertions.assertArrayEquals(expectedArgmax.toIntArray(), argmax.toIntArray(),
                        what + ": argmax");

                backend().activation().reluBackward(expectedPooled, dPooled, routed);
                backend().pooling().maxPoolBackward(routed, expectedArgmax, 2, 2, 2, 2, dz);
                op().backwardFilter(x, dz, k.sh, k.sw, k.top, k.left, expectedDw, expectedDb);
                op().backwardData(dz, w, k.sh, k.sw, k.top, k.left, expectedDx);
                backend().fill(dw, 7f);
                backend().fill(db, 7f);
                backend().fill(dx, 7f);
                op().backwardFilterReluMaxPool(x, dPooled, pooled, argmax, k.sh, k.sw, k.top, k.left, conv, dw, db);
                op().backwardDataReluMaxPool(dPooled, pooled, argmax, w, k.sh, k.sw, k.top, k.left, conv, dx);
                assertClose(toDouble(expectedDw.toFloatArray()), dw.toFloatArray(), 0, what + ": weight gradient");
                assertClose(toDouble(expectedDb.toFloatArray()), db.toFloatArray(), 0, what + ": bias gradient");
                assertClose(toDouble(expectedDx.toFloatArray()), dx.toFloatArray(), 0, what + ": input gradient");
            }
        }
    }

    private static double[] toDouble(float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            d[i] = values[i];
        }
        return d;
    }

    @Test
    void mismatchedShapesAreRefusedWithTheirNames() {
        try (Tensor x = backend().allocate(DType.F32, Shape.of(1, 2, 5, 5));
             Tensor w = backend().allocate(DType.F32, Shape.of(3, 4, 3, 3));
             Tensor z = backend().allocate(DType.F32, Shape.of(1, 3, 3, 3))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> op().forward(x, w, null, 1, 1, 0, 0, z));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("[3, 4, 3, 3]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> op().forward(x, w, null, 0, 1, 0, 0, z));
        }
    }
}
