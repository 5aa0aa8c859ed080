package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Batch normalisation on the GPU against the CPU backend: channels far longer than a block (so every
 * thread sums many values), cut into many slices of odd lengths, in place, with strided channel
 * vectors, and many channels; the same bits on every run; plus the argument checks and how channels
 * are cut into slices (pure Java, runs everywhere). The GPU parts skip, with the reason, where there
 * is no GPU.
 */
class CudaNormalizationTest {
    private static final float EPSILON = 1e-5f;
    private static final float MOMENTUM = 0.1f;
    private final SplittableRandom random = new SplittableRandom(23);

    private float[] randomFloats(int n, double scale, double shift) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((random.nextDouble() * 2 - 1) * scale + shift);
        }
        return a;
    }

    /**
     * Training in place, inference, and backward on one backend; the channel vectors are every other
     * element of [2C] tensors. Returns every output.
     */
    private static float[][] run(Backend b, float[] x, float[] dy, float[] vectors, int[] dims) {
        int c = dims[1];
        try (Tensor tx = Tensor.of(b, x, dims); Tensor tdy = Tensor.of(b, dy, dims);
             Tensor v = Tensor.of(b, vectors, 4, 2 * c); Tensor saved = b.allocate(DType.F32, Shape.of(2, c));
             Tensor y = b.allocate(DType.F32, Shape.of(dims)); Tensor dx = b.allocate(DType.F32, Shape.of(dims));
             Tensor grads = b.allocate(DType.F32, Shape.of(2, c))) {
            Tensor gamma = v.select(0, 0).slice(0, 0, 2 * c, 2);
            Tensor beta = v.select(0, 1).slice(0, 1, 2 * c, 2);
            Tensor runningMean = v.select(0, 2).slice(0, 0, 2 * c, 2);
            Tensor runningVar = v.select(0, 3).slice(0, 1, 2 * c, 2);
            b.normalization().batchNormInference(tx, gamma, beta, runningMean, runningVar, EPSILON, y);
            Tensor normalised = b.allocate(DType.F32, Shape.of(dims));
            b.copy(tx, normalised);
            b.normalization().batchNormTraining(normalised, gamma, beta, MOMENTUM, EPSILON, runningMean, runningVar,
                    normalised, saved.select(0, 0), saved.select(0, 1));
            b.normalization().batchNormBackward(tx, tdy, gamma, saved.select(0, 0), saved.select(0, 1), dx,
                    grads.select(0, 0), grads.select(0, 1));
            float[][] out = {y.toFloatArray(), normalised.toFloatArray(), saved.toFloatArray(), v.toFloatArray(),
                dx.toFloatArray(), grads.toFloatArray()};
            normalised.close();
            return out;
        }
    }

    private void compare(int... dims) {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA normalisation tests");
        int size = 1;
        for (int d : dims) {
            size *= d;
        }
        int c = dims[1];
        float[] x = randomFloats(size, 3, 2);          // mean 2: a one-pass variance would lose digits
        float[] dy = randomFloats(size, 1, 0);
        float[] vectors = randomFloats(4 * 2 * c, 1, 0);
        for (int i = 3 * 2 * c; i < vectors.length; i++) {
            vectors[i] = Math.abs(vectors[i]) + 0.5f;    // running variances
        }
        float[][] expected = run(Backends.cpu(), x, dy, vectors, dims);
        float[][] actual = run(cuda, x, dy, vectors, dims);
        String[] names = {"inference", "training output (in place)", "saved mean and inverse std",
            "channel vectors with updated running statistics", "dx", "dGamma and dBeta"};
        for (int r = 0; r < names.length; r++) {
            for (int i = 0; i < expected[r].length; i++) {
                double e = expected[r][i];
                // Both in double precision, summed in different orders: equal to a few float ulps.
                if (!(Math.abs(e - actual[r][i]) <= 1e-6 * Math.max(1, Math.abs(e)))) {
                    fail(names[r] + " element " + i + ": cpu " + e + ", cuda " + actual[r][i]);
                }
            }
        }
    }

    @Test
    void convolutionChannelsAreSlicedToFillTheGpuAndDenseChannelsKeptWhole() {
        assertEquals(128, CudaNormalization.slices(32, 1024L * 26 * 26), "[1024, 32, 26, 26]: 4096 blocks");
        assertEquals(43, CudaNormalization.slices(32, 128L * 26 * 26), "[128, 32, 26, 26]: 86528 / 2048 values");
        assertEquals(7, CudaNormalization.slices(64, 128L * 10 * 10), "[128, 64, 10, 10]: 12800 / 2048 values");
        assertEquals(50, CudaNormalization.slices(64, 1024L * 10 * 10), "[1024, 64, 10, 10]: 102400 / 2048 values");
        assertEquals(1, CudaNormalization.slices(128, 1024), "dense [1024, 128]");
        assertEquals(1, CudaNormalization.slices(700, 33), "dense [33, 700]");
        assertEquals(1, CudaNormalization.slices(3, 0), "no values");
    }

    @Test
    void slicedChannelsNeverOutgrowThePartialsWorkspace() {
        for (long channels = 1; channels <= 5000; channels = channels * 3 + 1) {
            for (long values = 0; values <= 1L << 31; values = values * 5 + 7) {
                int s = CudaNormalization.slices(channels, values);
                assertTrue(s >= 1, "at least one slice");
                assertTrue(s == 1 || channels * s <= CudaBiasReluEpilogue.TARGET_BLOCKS,
                        channels + " channels x " + s + " slices overflow the partials");
            }
        }
    }

    @Test
    void longChannelsMatchTheCpu() {
        assertEquals(4, CudaNormalization.slices(3, 16 * 20 * 20));
        compare(16, 3, 20, 20);
    }

    @Test
    void channelsCutIntoManyOddSlicesMatchTheCpu() {
        assertEquals(12, CudaNormalization.slices(2, 7 * 61 * 53));
        compare(7, 2, 61, 53);
        assertEquals(85, CudaNormalization.slices(2, 256 * 26 * 26));
        compare(256, 2, 26, 26);
    }

    @Test
    void slicedStatisticsAndGradientsAreTheSameOnEveryRun() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA normalisation tests");
        int[] dims = {64, 4, 13, 13};
        float[] x = randomFloats(64 * 4 * 13 * 13, 3, 2);
        float[] dy = randomFloats(x.length, 1, 0);
        float[] vectors = randomFloats(4 * 2 * 4, 1, 0);
        for (int i = 3 * 2 * 4; i < vectors.length; i++) {
            vectors[i] = Math.abs(vectors[i]) + 0.5f;
        }
        float[][] first = run(cuda, x, dy, vectors, dims);
        float[][] second = run(cuda, x, dy, vectors, dims);
        for (int r = 0; r < first.length; r++) {
            assertArrayEquals(first[r], second[r], "output " + r + " of two runs");
        }
    }

    @Test
    void manyChannelsOfADenseLayerMatchTheCpu() {
        compare(33, 700);
    }

    @Test
    void aSingleValuePerChannelIsRefused() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA normalisation tests");
        try (Tensor x = Tensor.zeros(cuda, DType.F32, 1, 4); Tensor v = Tensor.zeros(cuda, DType.F32, 4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cuda.normalization().batchNormTraining(x, v, v, 0.1f, 1e-5f, v, v, x, v, v));
            assertEquals("batchNormTraining needs more than one value per channel to estimate a variance, got input"
                    + " [1, 4]", e.getMessage());
        }
    }
}
