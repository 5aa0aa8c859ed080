package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Loss specifics: a bad label is refused by every op that reads labels with the CPU backend's
 * message (the first bad row is named), the next call is clean, and a batch larger than the loss
 * kernel's block with column-major logits matches the CPU. The GPU parts skip, with the reason,
 * where there is no GPU.
 */
class CudaLossesTest {
    private static final int[] BAD = {1, 0, 7, 2, -4};

    /** The message of each label-reading op on labels {1, 0, 7, 2, -4} for 5 rows of 3 classes. */
    private static String[] badLabelMessages(Backend b) {
        String[] messages = new String[4];
        try (Tensor z = Tensor.zeros(b, DType.F32, 5, 3); Tensor p = Tensor.zeros(b, DType.F32, 5, 3);
             Tensor labels = Tensor.ofInts(b, BAD, 5); Tensor loss = b.allocate(DType.F32, Shape.of())) {
            p.fill(1f / 3);
            messages[0] = message(b, () -> b.losses().softmaxCrossEntropy(z, labels, p, loss));
            messages[1] = message(b, () -> b.losses().softmaxCrossEntropyBackward(p, labels, z));
            messages[2] = message(b, () -> b.losses().crossEntropy(p, labels, loss));
            messages[3] = message(b, () -> b.losses().crossEntropyBackward(p, labels, z));
        }
        return messages;
    }

    /** The op's message: thrown by the op on the CPU, at the next synchronisation on the GPU. */
    private static String message(Backend b, Runnable op) {
        return assertThrows(IllegalArgumentException.class, () -> {
            op.run();
            b.synchronize();
        }).getMessage();
    }

    @Test
    void aBadLabelCostsNoWaitAndIsThrownAtTheNextSynchronisation() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA loss tests");
        try (Tensor z = Tensor.zeros(cuda, DType.F32, 5, 3); Tensor p = Tensor.zeros(cuda, DType.F32, 5, 3);
             Tensor labels = Tensor.ofInts(cuda, BAD, 5); Tensor loss = cuda.allocate(DType.F32, Shape.of())) {
            cuda.synchronize();
            long waits = cuda.hostWaits();
            for (int i = 0; i < 3; i++) {
                cuda.losses().softmaxCrossEntropy(z, labels, p, loss);
                cuda.losses().softmaxCrossEntropyBackward(p, labels, z);
            }
            assertEquals(waits, cuda.hostWaits(), "ops that read labels must not wait for the GPU");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, cuda::synchronize);
            assertEquals(dev.strix.tensor.spi.LossShapes.badLabel(2, 7, 3), e.getMessage());
            cuda.synchronize(); // reported once, then clear
        }
    }

    @Test
    void theBadLabelMessageIsTheCpuBackends() {
        String[] cpu = badLabelMessages(Backends.cpu());
        for (String m : cpu) {
            assertEquals(dev.strix.tensor.spi.LossShapes.badLabel(2, 7, 3), m);
        }
    }

    @Test
    void everyOpThatReadsLabelsRefusesABadOneAndTheNextCallIsClean() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA loss tests");
        String[] expected = badLabelMessages(Backends.cpu());
        String[] actual = badLabelMessages(cuda);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], "op " + i);
        }
        try (Tensor z = Tensor.zeros(cuda, DType.F32, 2, 3); Tensor p = Tensor.zeros(cuda, DType.F32, 2, 3);
             Tensor labels = Tensor.ofInts(cuda, new int[] {2, 0}, 2); Tensor loss = cuda.allocate(DType.F32, Shape.of())) {
            cuda.losses().softmaxCrossEntropy(z, labels, p, loss);
            assertEquals(Math.log(3), loss.toFloatArray()[0], 1e-6);
        }
    }

    private static float[][] lossesOf(Backend b, float[] logitsByClass, int[] labels, int n, int k) {
        try (Tensor zBase = Tensor.of(b, logitsByClass, k, n); Tensor t = Tensor.ofInts(b, labels, n);
             Tensor p = b.allocate(DType.F32, Shape.of(n, k)); Tensor dz = b.allocate(DType.F32, Shape.of(n, k));
             Tensor loss = b.allocate(DType.F32, Shape.of()); Tensor ce = b.allocate(DType.F32, Shape.of());
             Tensor dp = b.allocate(DType.F32, Shape.of(n, k))) {
            Tensor z = zBase.transpose(0, 1);                       // [n, k], column-major
            b.losses().softmaxCrossEntropy(z, t, p, loss);
            b.losses().softmaxCrossEntropyBackward(p, t, dz);
            b.losses().crossEntropy(p, p, ce);                      // soft targets: the entropy of p
            b.losses().crossEntropyBackward(p, t, dp);
            return new float[][] {loss.toFloatArray(), p.toFloatArray(), dz.toFloatArray(), ce.toFloatArray(),
                dp.toFloatArray()};
        }
    }

    @Test
    void aLargeBatchOfColumnMajorLogitsMatchesTheCpu() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA loss tests");
        int n = 1000;
        int k = 10;
        SplittableRandom random = new SplittableRandom(17);
        float[] z = new float[n * k];
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) (random.nextDouble() * 8 - 4);
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(k);
        }
        float[][] expected = lossesOf(Backends.cpu(), z, labels, n, k);
        float[][] actual = lossesOf(cuda, z, labels, n, k);
        String[] names = {"loss", "probabilities", "softmax cross-entropy gradient", "entropy", "cross-entropy gradient"};
        for (int r = 0; r < expected.length; r++) {
            close(expected[r], actual[r], n, names[r]);
        }
    }

    /**
     * Within 1e-6 of max(|expected|, 1/n), a few float ulps: the same double-precision formulas, summed
     * in another order, each backend's gradients computed from its own probabilities (so an ulp of p
     * near 1 shows in p - 1, hence the floor of 1/n, the size of the gradients' entries).
     */
    private static void close(float[] expected, float[] actual, int n, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            if (!(Math.abs(e - actual[i]) <= 1e-6 * Math.max(Math.abs(e), 1.0 / n))) {
                fail(what + " element " + i + ": cpu " + e + ", cuda " + actual[i]);
            }
        }
    }
}
