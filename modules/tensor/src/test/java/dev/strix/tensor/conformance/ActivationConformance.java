package dev.strix.tensor.conformance;

import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** ReLU backward, softmax and softmax backward (through an explicit Jacobian) against loops. */
public abstract class ActivationConformance extends BackendConformance {

    @Test
    void reluBackwardPassesGradientsWhereTheOutputIsPositive() {
        float[] y = randomFloats(6 * 35);
        float[] g = randomFloats(y.length);
        double[] expected = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = Math.max(0, y[i]);
            expected[i] = y[i] > 0 ? g[i] : 0;
        }
        try (Tensor ty = tensor(y, 6, 35); Tensor tg = tensor(g, 6, 35); Tensor dx = tensor(new float[y.length], 6, 35)) {
            backend().activation().reluBackward(ty, tg, dx);
            assertClose(expected, dx.toFloatArray(), 0, "relu backward");
        }
    }

    /** Cases of the seeded sweep over random batch shapes. */
    private static final int SWEEP_CASES = 25;

    /** Row-wise softmax of {@code x} [n, k] in double, with the row maximum shifted out. */
    static double[] referenceSoftmax(float[] x, int n, int k) {
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

    @Test
    void softmaxOfEachRowIsStableForLargeLogits() {
        int n = 5;
        int k = 7;
        float[] x = randomFloats(n * k);
        for (int j = 0; j < k; j++) {
            x[j] = 1000f + j;    // exp(1000) overflows unless the row maximum is subtracted
        }
        try (Tensor tx = tensor(x, n, k); Tensor y = tensor(new float[n * k], n, k)) {
            backend().activation().softmax(tx, y);
            assertClose(referenceSoftmax(x, n, k), y.toFloatArray(), 1e-6, "softmax");
        }
    }

    @Test
    void softmaxBackwardIsTheJacobianTimesTheGradient() {
        int n = 4;
        int k = 6;
        float[] x = randomFloats(n * k);
        float[] g = randomFloats(n * k);
        double[] y = referenceSoftmax(x, n, k);
        float[] yf = new float[n * k];
        for (int i = 0; i < yf.length; i++) {
            yf[i] = (float) y[i];
        }
        double[] expected = new double[n * k];
        for (int r = 0; r < n; r++) {
            // J[i][j] = dy_i/dx_j = y_i (delta_ij - y_j); dx_j = sum_i J[i][j] g_i.
            for (int j = 0; j < k; j++) {
                for (int i = 0; i < k; i++) {
                    double jac = yf[r * k + i] * ((i == j ? 1 : 0) - (double) yf[r * k + j]);
                    expected[r * k + j] += jac * g[r * k + i];
                }
            }
        }
        try (Tensor ty = tensor(yf, n, k); Tensor tg = tensor(g, n, k); Tensor dx = tensor(new float[n * k], n, k)) {
            backend().activation().softmaxBackward(ty, tg, dx);
            assertClose(expected, dx.toFloatArray(), 1e-6, "softmax backward");
        }
    }

    /** Seeded random batch shapes: rows beyond one block's threads, classes across a warp's width. */
    @Test
    void softmaxForwardAndBackwardOverRandomRowsAndClasses() {
        for (int c = 0; c < SWEEP_CASES; c++) {
            int[] rk = randomRowsAndClasses();
            int n = rk[0];
            int k = rk[1];
            String what = "case " + c + ", [" + n + ", " + k + "]";
            float[] x = largeLogits(n, k);
            double[] y = referenceSoftmax(x, n, k);
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
}
