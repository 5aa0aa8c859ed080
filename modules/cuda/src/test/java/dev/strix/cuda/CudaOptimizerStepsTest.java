package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.OptimizerSteps;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The optimizer steps on the GPU produce the CPU backend's bits: both do the same float operations
 * in the same order (no fused multiply-add on either side) with the same host-computed step scalars,
 * read from device memory. Skipped, with the reason, where there is no GPU.
 */
class CudaOptimizerStepsTest {
    private static final int N = 100_003;

    private static float[] randomFloats(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return a;
    }

    /** Three steps of every SGD variant and of Adam and AdamW; returns every parameter and state. */
    private static float[][] run(Backend b, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] p0 = randomFloats(random, N);
        float[][] grads = {randomFloats(random, N), randomFloats(random, N), randomFloats(random, N)};
        float[][] out = new float[10][];
        try (Tensor plain = Tensor.of(b, p0, N); Tensor heavy = Tensor.of(b, p0, N); Tensor nesterov = Tensor.of(b, p0, N);
             Tensor adam = Tensor.of(b, p0, N); Tensor adamW = Tensor.of(b, p0, N); Tensor grad = Tensor.zeros(b, DType.F32, N);
             Tensor heavyBuf = Tensor.zeros(b, DType.F32, N);
             Tensor nesterovBuf = Tensor.zeros(b, DType.F32, N);
             Tensor m = Tensor.zeros(b, DType.F32, N); Tensor v = Tensor.zeros(b, DType.F32, N);
             Tensor mW = Tensor.zeros(b, DType.F32, N);
             Tensor vW = Tensor.zeros(b, DType.F32, N);
             Tensor rate = Tensor.zeros(b, DType.F32, OptimizerSteps.SGD_SCALARS);
             Tensor adamScalars = Tensor.zeros(b, DType.F32, OptimizerSteps.ADAM_SCALARS);
             Tensor adamWScalars = Tensor.zeros(b, DType.F32, OptimizerSteps.ADAM_SCALARS)) {
            var steps = b.optimizerSteps();
            float[] scalars = new float[OptimizerSteps.ADAM_SCALARS];
            for (int step = 0; step < 3; step++) {
                grad.copyFrom(grads[step]);
                // A rate that changes every step, as under a schedule.
                rate.copyFrom(new float[] {0.1f / (step + 1)});
                OptimizerSteps.adamScalars(0.01f / (step + 1), 0.9f, 0.999f, 0.1f, false, step + 1, scalars);
                adamScalars.copyFrom(scalars);
                OptimizerSteps.adamScalars(0.01f / (step + 1), 0.9f, 0.999f, 0.1f, true, step + 1, scalars);
                adamWScalars.copyFrom(scalars);
                steps.sgd(plain, grad, null, rate, 0f, 0f, false, 0.01f, step == 0);
                steps.sgd(heavy, grad, heavyBuf, rate, 0.9f, 0.25f, false, 0.05f, step == 0);
                steps.sgd(nesterov, grad, nesterovBuf, rate, 0.8f, 0f, true, 0.1f, step == 0);
                steps.adam(adam, grad, m, v, adamScalars, 0.9f, 0.999f, 1e-8f, 0.1f, false);
                steps.adam(adamW, grad, mW, vW, adamWScalars, 0.9f, 0.999f, 1e-8f, 0.1f, true);
            }
            Tensor[] all = {plain, heavy, nesterov, adam, adamW, heavyBuf, nesterovBuf, m, v, mW};
            for (int i = 0; i < all.length; i++) {
                out[i] = all[i].toFloatArray();
            }
        }
        return out;
    }

    @Test
    void everyUpdateMatchesTheCpuBitForBit() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA optimizer tests");
        float[][] expected = run(Backends.cpu(), 99);
        float[][] actual = run(cuda, 99);
        String[] names = {"sgd", "sgd momentum + dampening + decay", "sgd nesterov + decay", "adam", "adamW",
            "momentum buffer", "nesterov buffer", "adam exp_avg", "adam exp_avg_sq", "adamW exp_avg"};
        for (int i = 0; i < names.length; i++) {
            assertArrayEquals(expected[i], actual[i], names[i]);
        }
    }
}
