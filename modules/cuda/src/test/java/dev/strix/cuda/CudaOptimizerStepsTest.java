package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The optimizer steps on the GPU produce the CPU backend's bits: both do the same float operations
 * in the same order (no fused multiply-add on either side) with the same host-computed scalars. The
 * GPU parts skip, with the reason, where there is no GPU.
 */
class CudaOptimizerStepsTest {
    private static final int N = 100_003;

    @Test
    void adamScalarsFollowTheWeightDecayMode() {
        CudaOptimizerSteps.AdamScalars adam = CudaOptimizerSteps.AdamScalars.of(0.01f, 0.9f, 0.999f, 0.1f, false, 1);
        assertEquals((float) (0.01f / (1 - (double) 0.9f)), adam.stepSize());
        assertEquals((float) Math.sqrt(1 - (double) 0.999f), adam.correction2Sqrt());
        assertEquals(1f, adam.shrink());
        assertEquals(0.1f, adam.l2());
        CudaOptimizerSteps.AdamScalars adamW = CudaOptimizerSteps.AdamScalars.of(0.01f, 0.9f, 0.999f, 0.1f, true, 1);
        assertEquals(1f - 0.01f * 0.1f, adamW.shrink());
        assertEquals(0f, adamW.l2());
        assertEquals(1f - 0.9f, adamW.mix1());
        assertEquals(1f - 0.999f, adamW.mix2());
        CudaOptimizerSteps.AdamScalars late = CudaOptimizerSteps.AdamScalars.of(0.01f, 0.9f, 0.999f, 0f, false, 100_000);
        assertEquals(0.01f, late.stepSize(), "bias corrections vanish");
        assertEquals(1f, late.correction2Sqrt());
    }

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
             Tensor vW = Tensor.zeros(b, DType.F32, N)) {
            var steps = b.optimizerSteps();
            for (int step = 0; step < 3; step++) {
                grad.copyFrom(grads[step]);
                steps.sgd(plain, grad, null, 0.1f, 0f, 0f, false, 0.01f, step == 0);
                steps.sgd(heavy, grad, heavyBuf, 0.1f, 0.9f, 0.25f, false, 0.05f, step == 0);
                steps.sgd(nesterov, grad, nesterovBuf, 0.1f, 0.8f, 0f, true, 0.1f, step == 0);
                steps.adam(adam, grad, m, v, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, false, step + 1);
                steps.adam(adamW, grad, mW, vW, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, true, step + 1);
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
