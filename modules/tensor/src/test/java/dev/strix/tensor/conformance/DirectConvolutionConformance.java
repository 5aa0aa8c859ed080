package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Whole convolutions (forward, data, filter and bias gradients) against the defining sums as naive
 * loops in double precision ({@link ConvolutionReference}), on strided input views, with strides
 * and padding, and with every operand in NHWC order (data as views of [N, H, W, C] tensors, the
 * weights and their gradient as views of [O, KH, KW, C] ones: cuDNN's NHWC path on the GPU).
 * Tolerances are relative to the sum of absolute terms (a library may reorder the float sums).
 */
public abstract class DirectConvolutionConformance extends BackendConformance {
    private static final double TOLERANCE = 1e-5;

    /** One problem: sizes, strides, padding, and random data for x, w, bias and dy. */
    private final class Case {
        final int n, c, h, w, o, kh, kw, sh, sw, ph, pw, oh, ow;
        final float[] x, weight, bias, dy;

        Case(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw) {
            this.n = n;
            this.c = c;
            this.h = h;
            this.w = w;
            this.o = o;
            this.kh = kh;
            this.kw = kw;
            this.sh = sh;
            this.sw = sw;
            this.ph = ph;
            this.pw = pw;
            this.oh = (h + 2 * ph - kh) / sh + 1;
            this.ow = (w + 2 * pw - kw) / sw + 1;
            this.x = randomFloats(n * c * h * w);
            this.weight = randomFloats(o * c * kh * kw);
            this.bias = randomFloats(o);
            this.dy = randomFloats(n * o * oh * ow);
        }

        ConvolutionReference reference() {
            return new ConvolutionReference(n, c, h, w, o, kh, kw, sh, sw, ph, pw, oh, ow, x, weight);
        }

        /** Input x as a strided view: stored [n, c, w, h] and transposed back. */
        Tensor xView(Tensor[] keep) {
            float[] t = new float[x.length];
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < c; b++) {
                    for (int r = 0; r < h; r++) {
                        for (int s = 0; s < w; s++) {
                            t[((a * c + b) * w + s) * h + r] = x[((a * c + b) * h + r) * w + s];
                        }
                    }
                }
            }
            keep[0] = tensor(t, n, c, w, h);
            return keep[0].transpose(2, 3);
        }
    }

    /**
     * The row-major {@code [d0, d1, d2, d3]} values as a contiguous {@code [d0, d2, d3, d1]} tensor
     * (channels last: NHWC data, or the [O, KH, KW, C] filter order); {@link #asNchw} views it with
     * the original shape.
     */
    private Tensor channelsLast(float[] values, int d0, int d1, int d2, int d3) {
        float[] t = new float[values.length];
        for (int a = 0; a < d0; a++) {
            for (int b = 0; b < d1; b++) {
                for (int r = 0; r < d2; r++) {
                    for (int s = 0; s < d3; s++) {
                        t[((a * d2 + r) * d3 + s) * d1 + b] = values[((a * d1 + b) * d2 + r) * d3 + s];
                    }
                }
            }
        }
        return tensor(t, d0, d2, d3, d1);
    }

    /** An uninitialised channels-last tensor for {@code [d0, d1, d2, d3]}. */
    private Tensor channelsLast(int d0, int d1, int d2, int d3) {
        Tensor t = backend().allocate(DType.F32, Shape.of(d0, d2, d3, d1));
        backend().fill(t, 7f); // overwritten, not accumulated
        return t;
    }

    /** {@code [d0, d2, d3, d1]} seen as {@code [d0, d1, d2, d3]}: strides (d2*d3*d1, 1, d3*d1, d1). */
    private static Tensor asNchw(Tensor channelsLast) {
        return channelsLast.permute(0, 3, 1, 2);
    }

    private Case small() {
        return new Case(2, 3, 7, 6, 4, 3, 2, 2, 1, 1, 0);
    }

    private Case square() {
        return new Case(3, 2, 8, 8, 5, 3, 3, 1, 1, 1, 1);
    }

    /** One input channel, as the reference network's first convolution: both filter orders coincide. */
    private Case oneChannel() {
        return new Case(2, 1, 9, 9, 6, 3, 3, 1, 1, 0, 0);
    }

    @Test
    void forwardIsTheDefiningSumPlusBias() {
        for (Case k : new Case[] {small(), square()}) {
            ConvolutionReference.Expected expected = k.reference().forward(k.bias);
            Tensor[] keep = new Tensor[1];
            try (Tensor xs = k.xView(keep); Tensor w = tensor(k.weight, k.o, k.c, k.kh, k.kw);
                 Tensor b = tensor(k.bias, k.o); Tensor y = backend().allocate(DType.F32, Shape.of(k.n, k.o, k.oh, k.ow))) {
                backend().directConvolution().forward(xs, w, b, k.sh, k.sw, k.ph, k.pw, y);
                assertClose(expected.values(), expected.scale(), y.toFloatArray(), TOLERANCE, "forward");
            } finally {
                keep[0].close();
            }
        }
    }

    @Test
    void backwardDataSpreadsTheGradientThroughTheKernels() {
        for (Case k : new Case[] {small(), square()}) {
            ConvolutionReference.Expected expected = k.reference().backwardData(k.dy);
            try (Tensor dy = tensor(k.dy, k.n, k.o, k.oh, k.ow); Tensor w = tensor(k.weight, k.o, k.c, k.kh, k.kw);
                 Tensor dx = backend().allocate(DType.F32, Shape.of(k.n, k.c, k.h, k.w))) {
                backend().fill(dx, 7f); // overwritten, not accumulated
                backend().directConvolution().backwardData(dy, w, k.sh, k.sw, k.ph, k.pw, dx);
                assertClose(expected.values(), expected.scale(), dx.toFloatArray(), TOLERANCE, "backwardData");
            }
        }
    }

    @Test
    void backwardFilterAndBiasSumOverTheBatch() {
        for (Case k : new Case[] {small(), square()}) {
            ConvolutionReference.Expected expected = k.reference().backwardFilter(k.dy);
            ConvolutionReference.Expected bias = k.reference().backwardBias(k.dy);
            Tensor[] keep = new Tensor[1];
            try (Tensor xs = k.xView(keep); Tensor dy = tensor(k.dy, k.n, k.o, k.oh, k.ow);
                 Tensor dw = backend().allocate(DType.F32, Shape.of(k.o, k.c, k.kh, k.kw));
                 Tensor db = backend().allocate(DType.F32, Shape.of(k.o))) {
                backend().fill(dw, 7f);
                backend().fill(db, 7f);
                backend().directConvolution().backwardFilter(xs, dy, k.sh, k.sw, k.ph, k.pw, dw);
                backend().directConvolution().backwardBias(dy, db);
                assertClose(expected.values(), expected.scale(), dw.toFloatArray(), TOLERANCE, "backwardFilter");
                assertClose(bias.values(), bias.scale(), db.toFloatArray(), TOLERANCE, "backwardBias");
            } finally {
                keep[0].close();
            }
        }
    }

    @Test
    void forwardInNhwcIsTheDefiningSumPlusBias() {
        for (Case k : new Case[] {small(), square(), oneChannel()}) {
            ConvolutionReference.Expected expected = k.reference().forward(k.bias);
            try (Tensor x = channelsLast(k.x, k.n, k.c, k.h, k.w); Tensor w = channelsLast(k.weight, k.o, k.c, k.kh, k.kw);
                 Tensor b = tensor(k.bias, k.o); Tensor y = channelsLast(k.n, k.o, k.oh, k.ow)) {
                backend().directConvolution().forward(asNchw(x), asNchw(w), b, k.sh, k.sw, k.ph, k.pw, asNchw(y));
                assertClose(expected.values(), expected.scale(), asNchw(y).toFloatArray(), TOLERANCE, "NHWC forward");
            }
        }
    }

    @Test
    void backwardDataInNhwcSpreadsTheGradientThroughTheKernels() {
        for (Case k : new Case[] {small(), square(), oneChannel()}) {
            ConvolutionReference.Expected expected = k.reference().backwardData(k.dy);
            try (Tensor dy = channelsLast(k.dy, k.n, k.o, k.oh, k.ow);
                 Tensor w = channelsLast(k.weight, k.o, k.c, k.kh, k.kw); Tensor dx = channelsLast(k.n, k.c, k.h, k.w)) {
                backend().directConvolution().backwardData(asNchw(dy), asNchw(w), k.sh, k.sw, k.ph, k.pw, asNchw(dx));
                assertClose(expected.values(), expected.scale(), asNchw(dx).toFloatArray(), TOLERANCE,
                        "NHWC backwardData");
            }
        }
    }

    @Test
    void backwardFilterAndBiasInNhwcSumOverTheBatch() {
        for (Case k : new Case[] {small(), square(), oneChannel()}) {
            ConvolutionReference.Expected expected = k.reference().backwardFilter(k.dy);
            ConvolutionReference.Expected bias = k.reference().backwardBias(k.dy);
            try (Tensor x = channelsLast(k.x, k.n, k.c, k.h, k.w); Tensor dy = channelsLast(k.dy, k.n, k.o, k.oh, k.ow);
                 Tensor dw = channelsLast(k.o, k.c, k.kh, k.kw); Tensor db = backend().allocate(DType.F32, Shape.of(k.o))) {
                backend().fill(db, 7f);
                backend().directConvolution().backwardFilter(asNchw(x), asNchw(dy), k.sh, k.sw, k.ph, k.pw, asNchw(dw));
                backend().directConvolution().backwardBias(asNchw(dy), db);
                assertClose(expected.values(), expected.scale(), asNchw(dw).toFloatArray(), TOLERANCE,
                        "NHWC backwardFilter");
                assertClose(bias.values(), bias.scale(), db.toFloatArray(), TOLERANCE, "NHWC backwardBias");
            }
        }
    }

    @Test
    void anOutputOfTheWrongShapeIsRefused() {
        try (Tensor x = backend().allocate(DType.F32, Shape.of(1, 2, 5, 5));
             Tensor w = backend().allocate(DType.F32, Shape.of(3, 2, 3, 3));
             Tensor y = backend().allocate(DType.F32, Shape.of(1, 3, 5, 5))) {
            assertThrows(IllegalArgumentException.class,
                    () -> backend().directConvolution().forward(x, w, null, 1, 1, 0, 0, y));
        }
    }
}
