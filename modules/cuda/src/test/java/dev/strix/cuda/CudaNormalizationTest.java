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
 * Batch normalisation on the GPU against the CPU backend: channels far longer than a block (so every
 * thread sums many values), in place, with strided channel vectors, and many channels; plus the
 * argument checks. The GPU parts skip, with the reason, where there is no GPU.
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
    void longChannelsMatchTheCpu() {
        compare(16, 3, 20, 20);
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
