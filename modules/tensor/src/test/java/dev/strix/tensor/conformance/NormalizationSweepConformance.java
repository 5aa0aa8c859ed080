package dev.strix.tensor.conformance;

import dev.strix.tensor.Normalization;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Batch normalisation (training with its statistics and running averages, then backward) over
 * seeded random shapes: dense [N, C] and image [N, C, H, W] inputs from two values per channel to
 * some thousands (so a device that cuts long channels into slices does so, at odd lengths), against
 * loops in double precision here.
 */
public abstract class NormalizationSweepConformance extends BackendConformance {
    private static final int CASES = 30;
    private static final float EPSILON = 1e-5f;
    private static final float MOMENTUM = 0.1f;

    /** The implementation under test: the backend's own, or a second one a backend offers. */
    protected Normalization normalization() {
        return backend().normalization();
    }

    /** Allowed error of the statistics, relative to max(1, |value|) (see {@link NormalizationConformance}). */
    protected double statisticsTolerance() {
        return 1e-6;
    }

    @Test
    void trainingAndBackwardOverRandomShapes() {
        for (int c = 0; c < CASES; c++) {
            int n = 1 + random.nextInt(16);
            int ch = 1 + random.nextInt(6);
            boolean image = random.nextInt(4) != 0;
            int h = image ? 1 + random.nextInt(24) : 1;
            int w = image ? 1 + random.nextInt(24) : 1;
            if (n * h * w < 2) {
                n = 2;   // one value per channel has no variance; refused, as its own test checks
            }
            int[] dims = image ? new int[] {n, ch, h, w} : new int[] {n, ch};
            int s = h * w;
            int m = n * s;
            String what = "case " + c + ", " + java.util.Arrays.toString(dims);
            float[] x = randomFloats(n * ch * s);
            for (int i = 0; i < x.length; i++) {
                x[i] = x[i] * 3 + 2;
            }
            float[] gamma = randomFloats(ch);
            float[] beta = randomFloats(ch);
            float[] dy = randomFloats(x.length);
            double[] mean = new double[ch];
            double[] var = new double[ch];
            for (int k = 0; k < ch; k++) {
                for (int i = 0; i < n; i++) {
                    for (int p = 0; p < s; p++) {
                        mean[k] += x[(i * ch + k) * s + p];
                    }
                }
                mean[k] /= m;
                for (int i = 0; i < n; i++) {
                    for (int p = 0; p < s; p++) {
                        double d = x[(i * ch + k) * s + p] - mean[k];
                        var[k] += d * d;
                    }
                }
                var[k] /= m;
            }
            double[] y = new double[x.length];
            double[] invStd = new double[ch];
            double[] runningMean = new double[ch];
            double[] runningVar = new double[ch];
            double[] dx = new double[x.length];
            double[] dGamma = new double[ch];
            double[] dBeta = new double[ch];
            for (int k = 0; k < ch; k++) {
                invStd[k] = 1 / Math.sqrt(var[k] + EPSILON);
                runningMean[k] = 0.9 * 0.5 + 0.1 * mean[k];
                runningVar[k] = 0.9 * 2 + 0.1 * var[k] * m / Math.max(1, m - 1);
                for (int i = 0; i < n; i++) {
                    for (int p = 0; p < s; p++) {
                        int at = (i * ch + k) * s + p;
                        double xhat = (x[at] - mean[k]) * invStd[k];
                        y[at] = gamma[k] * xhat + beta[k];
                        dBeta[k] += dy[at];
                        dGamma[k] += dy[at] * xhat;
                    }
                }
                for (int i = 0; i < n; i++) {
                    for (int p = 0; p < s; p++) {
                        int at = (i * ch + k) * s + p;
                        double xhat = (x[at] - mean[k]) * invStd[k];
                        dx[at] = gamma[k] * invStd[k] / m * (m * dy[at] - dBeta[k] - xhat * dGamma[k]);
                    }
                }
            }
            float[] halves = new float[ch];
            float[] twos = new float[ch];
            java.util.Arrays.fill(halves, 0.5f);
            java.util.Arrays.fill(twos, 2f);
            try (Tensor tx = tensor(x, dims); Tensor g = tensor(gamma, ch); Tensor b = tensor(beta, ch);
                 Tensor rm = tensor(halves, ch); Tensor rv = tensor(twos, ch); Tensor out = tx.copy();
                 Tensor savedMean = tensor(new float[ch], ch); Tensor savedInv = tensor(new float[ch], ch);
                 Tensor tdy = tensor(dy, dims); Tensor tdx = tx.copy(); Tensor tdg = tensor(new float[ch], ch);
                 Tensor tdb = tensor(new float[ch], ch)) {
                normalization().batchNormTraining(tx, g, b, MOMENTUM, EPSILON, rm, rv, out, savedMean, savedInv);
                assertClose(y, out.toFloatArray(), 1e-5, what + ", output");
                assertClose(mean, savedMean.toFloatArray(), statisticsTolerance(), what + ", saved mean");
                assertClose(invStd, savedInv.toFloatArray(), statisticsTolerance(), what + ", saved inverse std");
                assertClose(runningMean, rm.toFloatArray(), statisticsTolerance(), what + ", running mean");
                assertClose(runningVar, rv.toFloatArray(), statisticsTolerance(), what + ", running variance");
                normalization().batchNormBackward(tx, tdy, g, savedMean, savedInv, tdx, tdg, tdb);
                // Gradients are sums of up to thousands of terms: scaled by their magnitude.
                assertClose(dx, tdx.toFloatArray(), 1e-4, what + ", dx");
                assertClose(dGamma, tdg.toFloatArray(), 1e-4, what + ", dGamma");
                assertClose(dBeta, tdb.toFloatArray(), 1e-4, what + ", dBeta");
            }
        }
    }
}
