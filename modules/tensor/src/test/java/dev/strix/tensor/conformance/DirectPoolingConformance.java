package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strix.tensor.DType;
import dev.strix.tensor.DirectPooling;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Max pooling without argmax (for backends that offer it) against loops in the test: window maxima
 * exactly, and the gradient routed to each window's maximum (distinct values, so every backend
 * agrees on the element), with overlapping windows, odd planes, strided views in and out, and the
 * reference network's shape; then against the backend's argmax pooling.
 */
public abstract class DirectPoolingConformance extends BackendConformance {
    private DirectPooling op() {
        return backend().directPooling().orElseThrow();
    }

    /** x dims, then kh, kw, sh, sw. */
    private static List<int[]> cases() {
        return List.of(
                new int[] {2, 3, 7, 9, 2, 2, 2, 2},      // 2x2 / 2 on odd planes: a row and a column dropped
                new int[] {2, 2, 7, 6, 3, 2, 2, 1},      // overlapping windows: gradients accumulate
                new int[] {16, 32, 26, 26, 2, 2, 2, 2},  // the reference network's first pooling
                new int[] {1, 1, 5, 5, 5, 5, 1, 1});     // one window over the whole plane
    }

    /** Distinct values (a shuffled ramp), so no window has two maxima. */
    private float[] distinct(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i - n / 2) / 64f;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return v;
    }

    /** Where each window's maximum is, as the flat index into x. */
    private static int[] maxima(float[] x, int[] d, int kh, int kw, int sh, int sw, int oh, int ow) {
        int[] at = new int[d[0] * d[1] * oh * ow];
        for (int p = 0; p < d[0] * d[1]; p++) {
            for (int y = 0; y < oh; y++) {
                for (int q = 0; q < ow; q++) {
                    int best = -1;
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            int k = (p * d[2] + y * sh + i) * d[3] + q * sw + j;
                            if (best < 0 || x[k] > x[best]) {
                                best = k;
                            }
                        }
                    }
                    at[(p * oh + y) * ow + q] = best;
                }
            }
        }
        return at;
    }

    @Test
    void forwardTakesWindowMaximaAndBackwardRoutesEachGradientToItsMaximum() {
        for (int[] k : cases()) {
            int[] d = {k[0], k[1], k[2], k[3]};
            int kh = k[4], kw = k[5], sh = k[6], sw = k[7];
            int oh = (d[2] - kh) / sh + 1, ow = (d[3] - kw) / sw + 1;
            Shape outShape = Shape.of(d[0], d[1], oh, ow);
            float[] x = distinct(d[0] * d[1] * d[2] * d[3]);
            int[] at = maxima(x, d, kh, kw, sh, sw, oh, ow);
            float[] expectedOut = new float[at.length];
            float[] dOut = randomFloats(at.length);
            double[] expectedDx = new double[x.length];
            for (int i = 0; i < at.length; i++) {
                expectedOut[i] = x[at[i]];
                expectedDx[at[i]] += dOut[i];
            }
            String what = Shape.of(d) + ", window " + kh + "x" + kw + ", stride " + sh + "x" + sw;
            try (Tensor xt = tensor(x, d); Tensor g = tensor(dOut, outShape.dims());
                 Tensor out = backend().allocate(DType.F32, outShape);
                 Tensor dx = backend().allocate(DType.F32, Shape.of(d))) {
                backend().fill(out, 7f);
                backend().fill(dx, 7f);
                op().maxPoolForward(xt, kh, kw, sh, sw, out);
                assertArrayEquals(expectedOut, out.toFloatArray(), 0f, "forward, " + what);
                op().maxPoolBackward(xt, out, g, kh, kw, sh, sw, dx);
                assertClose(expectedDx, dx.toFloatArray(), FLOAT_TOLERANCE, "backward, " + what);
            }
        }
    }

    /** Input stored [N, C, W, H] and transposed; output and gradients written through permuted views. */
    @Test
    void stridedViewsGiveTheSameNumbers() {
        int[] d = {2, 3, 7, 9};
        Shape outShape = Shape.of(2, 3, 3, 4);
        float[] x = distinct(2 * 3 * 7 * 9);
        float[] dOut = randomFloats((int) outShape.size());
        try (Tensor dense = tensor(x, d); Tensor stored = backend().allocate(DType.F32, Shape.of(2, 3, 9, 7));
             Tensor g = tensor(dOut, outShape.dims());
             Tensor out = backend().allocate(DType.F32, outShape);
             Tensor outStored = backend().allocate(DType.F32, Shape.of(3, 2, 4, 3));
             Tensor gStored = backend().allocate(DType.F32, Shape.of(3, 2, 4, 3));
             Tensor dx = backend().allocate(DType.F32, Shape.of(d));
             Tensor dxStored = backend().allocate(DType.F32, Shape.of(3, 2, 9, 7))) {
            Tensor xView = stored.transpose(2, 3);
            backend().copy(dense, xView);
            Tensor outView = outStored.permute(1, 0, 3, 2);
            Tensor gView = gStored.permute(1, 0, 3, 2);
            backend().copy(g, gView);
            Tensor dxView = dxStored.permute(1, 0, 3, 2);
            op().maxPoolForward(dense, 2, 2, 2, 2, out);
            op().maxPoolForward(xView, 2, 2, 2, 2, outView);
            assertArrayEquals(out.toFloatArray(), outView.contiguous().toFloatArray(), 0f, "forward on views");
            op().maxPoolBackward(dense, out, g, 2, 2, 2, 2, dx);
            op().maxPoolBackward(xView, outView, gView, 2, 2, 2, 2, dxView);
            assertArrayEquals(dx.toFloatArray(), dxView.contiguous().toFloatArray(), 0f, "backward on views");
        }
    }

    @Test
    void givesTheNumbersOfTheArgmaxPooling() {
        int[] d = {4, 8, 11, 11};
        Shape outShape = Shape.of(4, 8, 5, 5);
        float[] x = distinct(4 * 8 * 11 * 11);
        float[] dOut = randomFloats((int) outShape.size());
        try (Tensor xt = tensor(x, d); Tensor g = tensor(dOut, outShape.dims());
             Tensor out = backend().allocate(DType.F32, outShape);
             Tensor argmaxOut = backend().allocate(DType.F32, outShape);
             Tensor argmax = backend().allocate(DType.I32, outShape);
             Tensor dx = backend().allocate(DType.F32, Shape.of(d));
             Tensor argmaxDx = backend().allocate(DType.F32, Shape.of(d))) {
            op().maxPoolForward(xt, 2, 2, 2, 2, out);
            op().maxPoolBackward(xt, out, g, 2, 2, 2, 2, dx);
            backend().pooling().maxPoolForward(xt, 2, 2, 2, 2, argmaxOut, argmax);
            backend().pooling().maxPoolBackward(g, argmax, 2, 2, 2, 2, argmaxDx);
            assertArrayEquals(argmaxOut.toFloatArray(), out.toFloatArray(), 0f, "forward");
            assertArrayEquals(argmaxDx.toFloatArray(), dx.toFloatArray(), 0f, "backward");
        }
    }

    @Test
    void shapesThatDoNotFitAreRefused() {
        try (Tensor x = backend().allocate(DType.F32, Shape.of(2, 3, 6, 6));
             Tensor wrong = backend().allocate(DType.F32, Shape.of(2, 3, 2, 3));
             Tensor out = backend().allocate(DType.F32, Shape.of(2, 3, 3, 3))) {
            assertThrows(IllegalArgumentException.class, () -> op().maxPoolForward(x, 2, 2, 2, 2, wrong));
            assertThrows(IllegalArgumentException.class, () -> op().maxPoolForward(x, 7, 2, 1, 1, out));
            assertThrows(IllegalArgumentException.class, () -> op().maxPoolBackward(x, out, wrong, 2, 2, 2, 2, x));
        }
    }
}
