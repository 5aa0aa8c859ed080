package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Whole convolutions (forward, data, filter and bias gradients) against the defining sums as naive
 * loops in double precision ({@link ConvolutionReference}), on strided input views, with strides
 * and padding.
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

    private Case small() {
        return new Case(2, 3, 7, 6, 4, 3, 2, 2, 1, 1, 0);
    }

    private Case square() {
        return new Case(3, 2, 8, 8, 5, 3, 3, 1, 1, 1, 1);
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
    void anOutputOfTheWrongShapeIsRefused() {
        try (Tensor x = backend().allocate(DType.F32, Shape.of(1, 2, 5, 5));
             Tensor w = backend().allocate(DType.F32, Shape.of(3, 2, 3, 3));
             Tensor y = backend().allocate(DType.F32, Shape.of(1, 3, 5, 5))) {
            assertThrows(IllegalArgumentException.class,
                    () -> backend().directConvolution().forward(x, w, null, 1, 1, 0, 0, y));
        }
    }
}
