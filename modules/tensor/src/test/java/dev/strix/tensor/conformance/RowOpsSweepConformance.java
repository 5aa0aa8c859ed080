package dev.strix.tensor.conformance;

import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Softmax (forward and backward) and softmax cross-entropy (loss, probabilities, gradient) over
 * seeded random batch sizes from 1 to 700 rows and 1 to 70 classes: rows fewer and more than a
 * block's threads, classes on both sides of a warp's width. Expectations from loops in double here.
 */
public abstract class RowOpsSweepConformance extends BackendConformance {
    private static final int CASES = 25;

    private int[] randomRowsAndClasses() {
        int rows = random.nextInt(4) == 0 ? 1 + random.nextInt(700) : 1 + random.nextInt(40);
        int classes = random.nextInt(3) == 0 ? 1 + random.nextInt(70) : 1 + random.nextInt(12);
        return new int[] {rows, classes};
    }

    /** Row-wise softmax of {@code x} [n, k] in double, with the row maximum shifted out. */
    private static double[] softmax(float[] x, int n, int k) {
        double[] y = new double[n * k];
        for (int r = 0; r < n; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                max = Math.max(max, x[r * k + j]);
            }
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += Math.exp(x[r * k + j] - max);
            }
            for (int j = 0; j < k; j++) {
                y[r * k + j] = Math.exp(x[r * k + j] - max) / sum;
            }
        }
        return y;
    }

    private float[] logits(int n, int k) {
        float[] x = randomFloats(n * k);
        for (int i = 0; i < x.length; i++) {
            x[i] *= 8;
        }
        x[random.nextInt(x.length)] = 300f;   // exp() overflows unless the row maximum is shifted out
        return x;
    }

    @Test
    void softmaxForwardAndBackwardOverRandomRowsAndClasses() {
        for (int c = 0; c < CASES; c++) {
            int[] rk = randomRowsAndClasses();
            int n = rk[0];
            int k = rk[1];
            String what = "case " + c + ", [" + n + ", " + k + "]";
            float[] x = logits(n, k);
            double[] y = softmax(x, n, k);
            float[] yf = new float[y.length];
            for (int i = 0; i < y.length; i++) {
                yf[i] = (float) y[i];
            }
            float[] g = randomFloats(n * k);
            double[] dx = new double[n * k];
            for (int r = 0; r < n; r++) {
                double dot = 0;
                for (int j = 0; j < k; j++) {
                    dot += (double) yf[r * k + j] * g[r * k + j];
                }
                for (int j = 0; j < k; j++) {
                    dx[r * k + j] = yf[r * k + j] * (g[r * k + j] - dot);
                }
            }
            try (Tensor tx = tensor(x, n, k); Tensor ty = backend().allocate(DType.F32, Shape.of(n, k));
                 Tensor tyf = tensor(yf, n, k); Tensor tg = tensor(g, n, k);
                 Tensor tdx = backend().allocate(DType.F32, Shape.of(n, k))) {
                backend().activation().softmax(tx, ty);
                assertClose(y, ty.toFloatArray(), 1e-6, what + ", softmax");
                backend().activation().softmaxBackward(tyf, tg, tdx);
                assertClose(dx, tdx.toFloatArray(), 1e-5, what + ", softmax backward");
            }
        }
    }

    @Test
    void softmaxCrossEntropyOverRandomRowsAndClasses() {
        for (int c = 0; c < CASES; c++) {
            int[] rk = randomRowsAndClasses();
            int n = rk[0];
            int k = rk[1];
            String what = "case " + c + ", [" + n + ", " + k + "]";
            float[] z = logits(n, k);
            int[] labels = new int[n];
            for (int r = 0; r < n; r++) {
                labels[r] = random.nextInt(k);
            }
            double[] p = softmax(z, n, k);
            double loss = 0;
            double[] grad = new double[n * k];
            for (int r = 0; r < n; r++) {
                loss -= Math.log(Math.max(Double.MIN_NORMAL, p[r * k + labels[r]])) / n;
                for (int j = 0; j < k; j++) {
                    grad[r * k + j] = (p[r * k + j] - (j == labels[r] ? 1 : 0)) / n;
                }
            }
            try (Tensor tz = tensor(z, n, k); Tensor tl = Tensor.ofInts(backend(), labels, n);
                 Tensor tp = backend().allocate(DType.F32, Shape.of(n, k));
                 Tensor tloss = backend().allocate(DType.F32, Shape.of());
                 Tensor dz = backend().allocate(DType.F32, Shape.of(n, k))) {
                backend().losses().softmaxCrossEntropy(tz, tl, tp, tloss);
                // The loss sums n terms of up to a few hundred: its error scales with their sum.
                double scale = Math.max(1, Math.abs(loss));
                assertClose(new double[] {loss}, new double[] {scale}, tloss.toFloatArray(), 1e-5, what + ", loss");
                assertClose(p, tp.toFloatArray(), 1e-6, what + ", probabilities");
                backend().losses().softmaxCrossEntropyBackward(tp, tl, dz);
                assertClose(grad, dz.toFloatArray(), 1e-6, what + ", gradient (p - t) / N");
            }
        }
    }
}
