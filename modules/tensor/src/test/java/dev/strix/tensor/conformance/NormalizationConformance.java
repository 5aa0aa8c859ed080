package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Normalization;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Batch normalisation (training, inference, backward) against double-precision loops. */
public abstract class NormalizationConformance extends BackendConformance {
    private static final float EPSILON = 1e-5f;
    private static final float MOMENTUM = 0.1f;
    /** Cases of the seeded sweep over random shapes. */
    private static final int SWEEP_CASES = 30;

    /**
     * The implementation under test: the backend's own by default; a backend with a second one (the
     * CUDA backend's cuDNN batch norm) runs the suite again on that.
     */
    protected Normalization normalization() {
        return backend().normalization();
    }

    /**
     * Allowed error of the saved and running statistics, relative to max(1, |value|): 1e-6 for
     * implementations that sum in double precision (ours); a library that accumulates in float32
     * may state a looser bound.
     */
    protected double statisticsTolerance() {
        return 1e-6;
    }

    /** Per-channel statistics of x [N, C, S]: {mean, biased variance}. */
    private static double[][] stats(float[] x, int n, int c, int s) {
        double[] mean = new double[c];
        double[] var = new double[c];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < s; p++) {
                    mean[ch] += x[(i * c + ch) * s + p];
                }
            }
            mean[ch] /= n * s;
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < s; p++) {
                    double d = x[(i * c + ch) * s + p] - mean[ch];
                    var[ch] += d * d;
                }
            }
            var[ch] /= n * s;
        }
        return new double[][] {mean, var};
    }

    private void checkTraining(int... dims) {
        int n = dims[0];
        int c = dims[1];
        int s = 1;
        for (int a = 2; a < dims.length; a++) {
            s *= dims[a];
        }
        float[] x = randomFloats(n * c * s);
        for (int i = 0; i < x.length; i++) {
            x[i] = x[i] * 3 + 2;   // mean 2, so a one-pass variance would lose digits
        }
        float[] gamma = randomFloats(c);
        float[] beta = randomFloats(c);
        float[] rm = randomFloats(c);
        float[] rv = new float[c];
        for (int i = 0; i < c; i++) {
            rv[i] = 0.5f + i;
        }
        double[][] st = stats(x, n, c, s);
        double[] expected = new double[x.length];
        double[] invStd = new double[c];
        double[] runningMean = new double[c];
        double[] runningVar = new double[c];
        int m = n * s;
        for (int ch = 0; ch < c; ch++) {
            invStd[ch] = 1 / Math.sqrt(st[1][ch] + EPSILON);
            runningMean[ch] = 0.9 * rm[ch] + 0.1 * st[0][ch];
            runningVar[ch] = 0.9 * rv[ch] + 0.1 * st[1][ch] * m / (m - 1);
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < s; p++) {
                    int at = (i * c + ch) * s + p;
                    expected[at] = gamma[ch] * (x[at] - st[0][ch]) * invStd[ch] + beta[ch];
                }
            }
        }
        try (Tensor tx = tensor(x, dims); Tensor g = tensor(gamma, c); Tensor b = tensor(beta, c);
             Tensor trm = tensor(rm, c); Tensor trv = tensor(rv, c); Tensor out = tx.copy();
             Tensor mean = tensor(new float[c], c); Tensor inv = tensor(new float[c], c)) {
            normalization().batchNormTraining(tx, g, b, MOMENTUM, EPSILON, trm, trv, out, mean, inv);
            assertClose(expected, out.toFloatArray(), 1e-5, "batch norm output");
            assertClose(st[0], mean.toFloatArray(), statisticsTolerance(), "saved mean");
            assertClose(invStd, inv.toFloatArray(), statisticsTolerance(), "saved inverse std");
            assertClose(runningMean, trm.toFloatArray(), statisticsTolerance(), "running mean");
            assertClose(runningVar, trv.toFloatArray(), statisticsTolerance(), "running variance (unbiased)");
        }
    }

    @Test
    void trainingNormalisesPerFeature() {
        checkTraining(7, 5);
    }

    @Test
    void trainingNormalisesPerChannelOfImages() {
        checkTraining(3, 5, 4, 3);
    }

    @Test
    void trainingWithOneSamplePerBatchStillHasSpatialValues() {
        checkTraining(1, 3, 3, 3);
    }

    @Test
    void trainingOnPlanesLongerThanAVector() {
        // 35 values per (sample, channel): whole vectors and a tail, whatever the vector width.
        checkTraining(2, 3, 5, 7);
    }

    @Test
    void inferenceUsesTheRunningStatistics() {
        checkInference(6);
        checkInference(37);
    }

    private void checkInference(int s) {
        int n = 3;
        int c = 5;
        float[] x = randomFloats(n * c * s);
        float[] gamma = randomFloats(c);
        float[] beta = randomFloats(c);
        float[] rm = randomFloats(c);
        float[] rv = new float[c];
        for (int i = 0; i < c; i++) {
            rv[i] = 0.25f + 0.5f * i;
        }
        double[] expected = new double[x.length];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < s; p++) {
                    int at = (i * c + ch) * s + p;
                    expected[at] = gamma[ch] * (x[at] - rm[ch]) / Math.sqrt(rv[ch] + EPSILON) + beta[ch];
                }
            }
        }
        try (Tensor tx = tensor(x, n, c, s); Tensor g = tensor(gamma, c); Tensor b = tensor(beta, c);
             Tensor trm = tensor(rm, c); Tensor trv = tensor(rv, c); Tensor out = tx.copy()) {
            normalization().batchNormInference(tx, g, b, trm, trv, EPSILON, out);
            assertClose(expected, out.toFloatArray(), 1e-5, "batch norm inference");
        }
    }

    @Test
    void backwardMatchesTheClosedForm() {
        checkBackward(5);
        checkBackward(37);
    }

    private void checkBackward(int s) {
        int n = 4;
        int c = 3;
        int m = n * s;
        float[] x = randomFloats(n * c * s);
        float[] dy = randomFloats(x.length);
        float[] gamma = randomFloats(c);
        double[][] st = stats(x, n, c, s);
        double[] dx = new double[x.length];
        double[] dGamma = new double[c];
        double[] dBeta = new double[c];
        float[] mean = new float[c];
        float[] inv = new float[c];
        for (int ch = 0; ch < c; ch++) {
            mean[ch] = (float) st[0][ch];
            inv[ch] = (float) (1 / Math.sqrt(st[1][ch] + EPSILON));
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < s; p++) {
                    int at = (i * c + ch) * s + p;
                    double xhat = (x[at] - mean[ch]) * (double) inv[ch];
                    dBeta[ch] += dy[at];
                    dGamma[ch] += dy[at] * xhat;
                }
            }
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < s; p++) {
                    int at = (i * c + ch) * s + p;
                    double xhat = (x[at] - mean[ch]) * (double) inv[ch];
                    dx[at] = gamma[ch] * inv[ch] / m * (m * dy[at] - dBeta[ch] - xhat * dGamma[ch]);
                }
            }
        }
        try (Tensor tx = tensor(x, n, c, s); Tensor tdy = tensor(dy, n, c, s); Tensor g = tensor(gamma, c);
             Tensor tm = tensor(mean, c); Tensor ti = tensor(inv, c); Tensor tdx = tx.copy();
             Tensor tdg = tensor(new float[c], c); Tensor tdb = tensor(new float[c], c)) {
            normalization().batchNormBackward(tx, tdy, g, tm, ti, tdx, tdg, tdb);
            assertClose(dx, tdx.toFloatArray(), 1e-5, "dx");
            assertClose(dGamma, tdg.toFloatArray(), 1e-5, "dGamma");
            assertClose(dBeta, tdb.toFloatArray(), 1e-5, "dBeta");
        }
    }

    /**
     * Seeded random dense [N, C] and image [N, C, H, W] shapes from two values per channel to some
     * thousands (so a device that cuts long channels into slices does so, at odd lengths).
     */
    @Test
    void trainingAndBackwardOverRandomShapes() {
        for (int c = 0; c < SWEEP_CASES; c++) {
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
            // Every other image case reads x and writes dx channel-major ([C, N, H, W] in memory, as a
            // convolution over one batch matrix writes its output), with y and dy contiguous.
            boolean channelMajor = image && c % 2 == 1;
            what += channelMajor ? ", x and dx channel-major" : "";
            int[] majorDims = image ? new int[] {ch, n, h, w} : dims;
            try (Tensor x0 = tensor(x, dims); Tensor g = tensor(gamma, ch); Tensor b = tensor(beta, ch);
                 Tensor rm = tensor(halves, ch); Tensor rv = tensor(twos, ch); Tensor out = x0.copy();
                 Tensor savedMean = tensor(new float[ch], ch); Tensor savedInv = tensor(new float[ch], ch);
                 Tensor tdy = tensor(dy, dims); Tensor xStore = tensor(new float[x.length], majorDims);
                 Tensor dxStore = tensor(new float[x.length], majorDims); Tensor tdg = tensor(new float[ch], ch);
                 Tensor tdb = tensor(new float[ch], ch)) {
                Tensor tx = channelMajor ? xStore.permute(1, 0, 2, 3) : x0;
                Tensor tdx = channelMajor ? dxStore.permute(1, 0, 2, 3) : dxStore.reshape(dims);
                if (channelMajor) {
                    backend().copy(x0, tx);
                }
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

    @Test
    void mistakesAreRefusedWithTheSameWordsOnEveryBackend() {
        try (Tensor x = tensor(randomFloats(24), 2, 3, 4); Tensor wrong = tensor(new float[24], 2, 4, 3);
             Tensor planes = tensor(randomFloats(60), 2, 3, 2, 5); Tensor planesOut = tensor(new float[60], 2, 3, 2, 5);
             Tensor gamma = tensor(new float[] {1, 1, 1}, 3); Tensor beta = tensor(new float[3], 3);
             Tensor rm = tensor(new float[3], 3); Tensor rv = tensor(new float[] {1, 1, 1}, 3);
             Tensor mean = tensor(new float[3], 3); Tensor invStd = tensor(new float[3], 3)) {
            Normalization norm = backend().normalization();
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> norm.batchNormTraining(x, gamma, beta, MOMENTUM, EPSILON, rm, rv, wrong, mean, invStd));
            assertEquals(
                    "batchNormTraining output [2, 4, 3] does not match the input's [N, C, S] = [2, 3, 4]",
                    shape.getMessage());
            // Rows and columns of each plane swapped: the plane is no longer one strided run.
            IllegalArgumentException run = assertThrows(IllegalArgumentException.class,
                    () -> norm.batchNormInference(planes.transpose(2, 3), gamma, beta, rm, rv, EPSILON,
                            planesOut.transpose(2, 3)));
            assertTrue(run.getMessage().startsWith(
                    "batchNormInference input: the axes after the channel axis of "), run.getMessage());
            assertTrue(run.getMessage().endsWith(
                    " do not form one strided run; pass a contiguous tensor"), run.getMessage());
        }
    }
}
