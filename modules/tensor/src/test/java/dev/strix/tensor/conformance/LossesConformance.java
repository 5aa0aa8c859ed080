package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Softmax cross-entropy on logits and cross-entropy on probabilities, with their gradients. */
public abstract class LossesConformance extends BackendConformance {
    private static final int N = 5;
    private static final int K = 7;
    private static final int[] LABELS = {3, 0, 6, 6, 2};
    /** Cases of the seeded sweep over random batch shapes. */
    private static final int SWEEP_CASES = 25;

    private Tensor scalar() {
        return backend().allocate(DType.F32, Shape.of());
    }

    private Tensor labels() {
        return Tensor.ofInts(backend(), LABELS, N);
    }

    private float[] probabilities() {
        float[] p = new float[N * K];
        for (int r = 0; r < N; r++) {
            double sum = 0;
            for (int j = 0; j < K; j++) {
                p[r * K + j] = (float) (random.nextDouble() + 0.05);
                sum += p[r * K + j];
            }
            for (int j = 0; j < K; j++) {
                p[r * K + j] /= (float) sum;
            }
        }
        return p;
    }

    @Test
    void softmaxCrossEntropyIsStableAndKeepsTheProbabilities() {
        float[] z = randomFloats(N * K);
        for (int j = 0; j < K; j++) {
            z[j] = 500f + 3 * j;     // would overflow exp() without the shift
        }
        double loss = 0;
        double[] p = new double[N * K];
        double[] grad = new double[N * K];
        for (int r = 0; r < N; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < K; j++) {
                max = Math.max(max, z[r * K + j]);
            }
            double sum = 0;
            for (int j = 0; j < K; j++) {
                sum += Math.exp(z[r * K + j] - max);
            }
            for (int j = 0; j < K; j++) {
                p[r * K + j] = Math.exp(z[r * K + j] - max) / sum;
                grad[r * K + j] = (p[r * K + j] - (j == LABELS[r] ? 1 : 0)) / N;
            }
            loss -= (z[r * K + LABELS[r]] - max - Math.log(sum)) / N;
        }
        try (Tensor tz = tensor(z, N, K); Tensor t = labels(); Tensor tp = tensor(new float[N * K], N, K);
             Tensor l = scalar(); Tensor dz = tensor(new float[N * K], N, K)) {
            backend().losses().softmaxCrossEntropy(tz, t, tp, l);
            assertClose(new double[] {loss}, l.toFloatArray(), 1e-6, "loss");
            assertClose(p, tp.toFloatArray(), 1e-6, "probabilities");
            backend().losses().softmaxCrossEntropyBackward(tp, t, dz);
            assertClose(grad, dz.toFloatArray(), 1e-6, "gradient (p - t) / N");
        }
    }

    @Test
    void crossEntropyOnProbabilitiesWithLabelsOrOneHotTargets() {
        float[] p = probabilities();
        float[] oneHot = new float[N * K];
        double loss = 0;
        double[] grad = new double[N * K];
        for (int r = 0; r < N; r++) {
            oneHot[r * K + LABELS[r]] = 1;
            loss -= Math.log(p[r * K + LABELS[r]]) / N;
            grad[r * K + LABELS[r]] = -1.0 / p[r * K + LABELS[r]] / N;
        }
        try (Tensor tp = tensor(p, N, K); Tensor t = labels(); Tensor oh = tensor(oneHot, N, K); Tensor l = scalar();
             Tensor dp = tensor(new float[N * K], N, K)) {
            backend().losses().crossEntropy(tp, t, l);
            assertClose(new double[] {loss}, l.toFloatArray(), 1e-6, "loss from labels");
            backend().losses().crossEntropy(tp, oh, l);
            assertClose(new double[] {loss}, l.toFloatArray(), 1e-6, "loss from one-hot targets");
            dp.fill(4f);
            backend().losses().crossEntropyBackward(tp, t, dp);
            assertClose(grad, dp.toFloatArray(), 1e-6, "gradient from labels");
            dp.fill(4f);
            backend().losses().crossEntropyBackward(tp, oh, dp);
            assertClose(grad, dp.toFloatArray(), 1e-6, "gradient from one-hot targets");
        }
    }

    @Test
    void softTargetsWeighEveryClass() {
        float[] p = probabilities();
        float[] t = probabilities();
        double loss = 0;
        double[] grad = new double[N * K];
        for (int i = 0; i < N * K; i++) {
            loss -= t[i] * Math.log(p[i]) / N;
            grad[i] = -t[i] / (double) p[i] / N;
        }
        try (Tensor tp = tensor(p, N, K); Tensor tt = tensor(t, N, K); Tensor l = scalar();
             Tensor dp = tensor(new float[N * K], N, K)) {
            backend().losses().crossEntropy(tp, tt, l);
            assertClose(new double[] {loss}, l.toFloatArray(), 1e-6, "soft-target loss");
            backend().losses().crossEntropyBackward(tp, tt, dp);
            assertClose(grad, dp.toFloatArray(), 1e-6, "soft-target gradient");
        }
    }

    @Test
    void labelOutsideTheClassesIsRefused() {
        try (Tensor tz = tensor(randomFloats(2 * 3), 2, 3); Tensor t = Tensor.ofInts(backend(), new int[] {1, 3}, 2);
             Tensor tp = tensor(new float[6], 2, 3); Tensor l = scalar()) {
            // Refused before any result is read: a device backend may find it in a kernel and throw at
            // the next synchronisation point instead of waiting for the GPU inside the op.
            assertThrows(IllegalArgumentException.class, () -> {
                backend().losses().softmaxCrossEntropy(tz, t, tp, l);
                backend().synchronize();
            });
        }
    }

    /**
     * The running tally: two batches (the second over 300 rows, beyond one block's threads) added to
     * a tally that starts at (5, 1) and lies as a column of a [2, 3] tensor; row sums of the losses
     * and correct rows against loops here, ties going to the first largest logit. The loss and the
     * probabilities are the same bits as without a tally.
     */
    @Test
    void softmaxCrossEntropyAddsTheBatchToARunningTally() {
        int[] rows = {6, 300};
        int k = 4;
        double expectedLoss = 5;
        int expectedCorrect = 1;
        try (Tensor store = tensor(new float[] {5, 0, 0, 1, 0, 0}, 2, 3)) {
            Tensor tally = store.select(1, 0);
            for (int b = 0; b < 2; b++) {
                int n = rows[b];
                float[] z = randomFloats(n * k);
                int[] labels = new int[n];
                for (int r = 0; r < n; r++) {
                    labels[r] = random.nextInt(k);
                }
                if (b == 0) {
                    // Ties: the largest logit twice in rows 0 to 2; the label at the second in rows 0
                    // and 2 (not counted), at the first in row 1 (counted).
                    z[0] = 2f; z[1] = 2f; labels[0] = 1;
                    z[k] = 3f; z[k + 2] = 3f; labels[1] = 0;
                    z[2 * k + 1] = 4f; z[2 * k + 3] = 4f; labels[2] = 3;
                }
                double rowLosses = 0;
                for (int r = 0; r < n; r++) {
                    double max = Double.NEGATIVE_INFINITY;
                    int best = 0;
                    for (int j = 0; j < k; j++) {
                        max = Math.max(max, z[r * k + j]);
                        if (z[r * k + j] > z[r * k + best]) {
                            best = j;
                        }
                    }
                    double sum = 0;
                    for (int j = 0; j < k; j++) {
                        sum += Math.exp(z[r * k + j] - max);
                    }
                    rowLosses += -(z[r * k + labels[r]] - max - Math.log(sum));
                    expectedCorrect += best == labels[r] ? 1 : 0;
                }
                expectedLoss += rowLosses;
                try (Tensor tz = tensor(z, n, k); Tensor tl = Tensor.ofInts(backend(), labels, n);
                     Tensor p1 = backend().allocate(DType.F32, Shape.of(n, k));
                     Tensor p2 = backend().allocate(DType.F32, Shape.of(n, k));
                     Tensor l1 = scalar(); Tensor l2 = scalar()) {
                    backend().losses().softmaxCrossEntropy(tz, tl, p1, l1);
                    backend().losses().softmaxCrossEntropy(tz, tl, p2, l2, tally);
                    assertArrayEquals(l1.toFloatArray(), l2.toFloatArray(), "batch " + b + ": the same loss");
                    assertArrayEquals(p1.toFloatArray(), p2.toFloatArray(), "batch " + b + ": the same probabilities");
                }
                float[] t = tally.toFloatArray();
                assertClose(new double[] {expectedLoss}, new float[] {t[0]}, 1e-6, "batch " + b + ": loss sum");
                assertEquals(expectedCorrect, t[1], "batch " + b + ": correct rows");
            }
            float[] untouched = store.toFloatArray();
            assertArrayEquals(new float[] {0, 0, 0, 0}, new float[] {untouched[1], untouched[2], untouched[4],
                untouched[5]}, "only the tally's column is written");
        }
    }

    @Test
    void aTallyThatIsNotTwoFloatsIsRefused() {
        try (Tensor tz = tensor(randomFloats(2 * 3), 2, 3); Tensor t = Tensor.ofInts(backend(), new int[] {1, 2}, 2);
             Tensor tp = tensor(new float[6], 2, 3); Tensor l = scalar(); Tensor three = tensor(new float[3], 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend().losses().softmaxCrossEntropy(tz, t, tp, l, three));
            assertEquals("softmaxCrossEntropy: the tally must be a float32 [2] (loss sum, correct rows), got [3]",
                    e.getMessage());
        }
    }

    /** Seeded random batch shapes: rows beyond one block's threads, classes across a warp's width. */
    @Test
    void softmaxCrossEntropyOverRandomRowsAndClasses() {
        for (int c = 0; c < SWEEP_CASES; c++) {
            int[] rk = randomRowsAndClasses();
            int n = rk[0];
            int k = rk[1];
            String what = "case " + c + ", [" + n + ", " + k + "]";
            float[] z = largeLogits(n, k);
            int[] labels = new int[n];
            for (int r = 0; r < n; r++) {
                labels[r] = random.nextInt(k);
            }
            double[] p = ActivationConformance.referenceSoftmax(z, n, k);
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
