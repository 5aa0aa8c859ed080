package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.OptimizerSteps;
import dev.strix.tensor.ParameterGroup;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The optimizer steps on the GPU produce the CPU backend's bits: both do the same float operations
 * in the same order (no fused multiply-add on either side) with the same host-computed step scalars,
 * read from device memory. The multi-tensor updates (one launch over a parameter group) give the
 * same bits as well, over a grid of any size. Skipped, with the reason, where there is no GPU.
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

    /** Parameter sizes of the group tests: block boundaries of 256 on both sides, one element, a large one. */
    private static final int[] GROUP_SIZES = {100_003, 1, 255, 256, 257, 3000, 9};

    /** One optimizer variant over {@link #GROUP_SIZES}: parameters, gradients and state, per parameter. */
    private record Tensors(List<Tensor> params, List<Tensor> grads, List<List<Tensor>> states) {
        static Tensors of(Backend b, float[][] start, int slots) {
            List<Tensor> params = new ArrayList<>();
            List<Tensor> grads = new ArrayList<>();
            List<List<Tensor>> states = new ArrayList<>();
            for (int s = 0; s < slots; s++) {
                states.add(new ArrayList<>());
            }
            for (float[] p : start) {
                params.add(Tensor.of(b, p, p.length));
                grads.add(Tensor.zeros(b, DType.F32, p.length));
                for (List<Tensor> slot : states) {
                    slot.add(Tensor.zeros(b, DType.F32, p.length));
                }
            }
            return new Tensors(params, grads, states);
        }

        /** Parameters, then each state slot, as arrays. */
        List<float[]> read() {
            List<float[]> out = new ArrayList<>();
            params.forEach(t -> out.add(t.toFloatArray()));
            states.forEach(slot -> slot.forEach(t -> out.add(t.toFloatArray())));
            return out;
        }

        void close() {
            params.forEach(Tensor::close);
            grads.forEach(Tensor::close);
            states.forEach(slot -> slot.forEach(Tensor::close));
        }
    }

    /**
     * Three steps of SGD with Nesterov momentum and weight decay, and of AdamW, over parameters of
     * {@link #GROUP_SIZES}: one op per parameter, or one multi-tensor op per variant.
     */
    private static List<float[]> runGroups(Backend b, boolean grouped) {
        SplittableRandom random = new SplittableRandom(7);
        float[][] start = new float[GROUP_SIZES.length][];
        float[][][] grads = new float[3][GROUP_SIZES.length][];
        for (int i = 0; i < GROUP_SIZES.length; i++) {
            start[i] = randomFloats(random, GROUP_SIZES[i]);
            for (int step = 0; step < 3; step++) {
                grads[step][i] = randomFloats(random, GROUP_SIZES[i]);
            }
        }
        Tensors sgd = Tensors.of(b, start, 1);
        Tensors adam = Tensors.of(b, start, 2);
        var steps = b.optimizerSteps();
        float[] scalars = new float[OptimizerSteps.ADAM_SCALARS];
        try (Tensor rate = Tensor.zeros(b, DType.F32, OptimizerSteps.SGD_SCALARS);
             Tensor adamScalars = Tensor.zeros(b, DType.F32, OptimizerSteps.ADAM_SCALARS);
             ParameterGroup sgdGroup = steps.group(sgd.params, sgd.grads, sgd.states);
             ParameterGroup adamGroup = steps.group(adam.params, adam.grads, adam.states)) {
            for (int step = 0; step < 3; step++) {
                for (int i = 0; i < GROUP_SIZES.length; i++) {
                    sgd.grads.get(i).copyFrom(grads[step][i]);
                    adam.grads.get(i).copyFrom(grads[step][i]);
                }
                rate.copyFrom(new float[] {0.1f / (step + 1)});
                OptimizerSteps.adamScalars(0.01f / (step + 1), 0.9f, 0.999f, 0.1f, true, step + 1, scalars);
                adamScalars.copyFrom(scalars);
                if (grouped) {
                    steps.sgdAll(sgdGroup, rate, 0.8f, 0f, true, 0.1f, step == 0);
                    steps.adamAll(adamGroup, adamScalars, 0.9f, 0.999f, 1e-8f, 0.1f, true);
                } else {
                    for (int i = 0; i < GROUP_SIZES.length; i++) {
                        steps.sgd(sgd.params.get(i), sgd.grads.get(i), sgd.states.get(0).get(i), rate, 0.8f, 0f, true,
                                0.1f, step == 0);
                        steps.adam(adam.params.get(i), adam.grads.get(i), adam.states.get(0).get(i),
                                adam.states.get(1).get(i), adamScalars, 0.9f, 0.999f, 1e-8f, 0.1f, true);
                    }
                }
            }
            List<float[]> out = new ArrayList<>(sgd.read());
            out.addAll(adam.read());
            return out;
        } finally {
            sgd.close();
            adam.close();
        }
    }

    @Test
    void multiTensorUpdatesMatchTheCpuPerTensorUpdatesBitForBit() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA optimizer tests");
        List<float[]> expected = runGroups(Backends.cpu(), false);
        List<float[]> actual = runGroups(cuda, true);
        for (int k = 0; k < expected.size(); k++) {
            assertArrayEquals(expected.get(k), actual.get(k), "tensor " + k + " (SGD parameters, buffers, then AdamW"
                    + " parameters, exp_avg, exp_avg_sq; " + GROUP_SIZES.length + " of each)");
        }
    }

    @Test
    void aGroupOfMoreBlocksThanOneGridIsCoveredWhole() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA optimizer tests");
        // 65,536 blocks of 256 is the grid cap: the kernel loops over the blocks beyond it.
        int big = (1 << 24) + 1000;
        try (Tensor allBig = cuda.allocate(DType.F32, Shape.of(big));
             Tensor eachSmall = Tensor.of(cuda, new float[] {1f, 2f, 3f}, 3);
             Tensor allSmall = Tensor.of(cuda, new float[] {1f, 2f, 3f}, 3);
             Tensor gradBig = cuda.allocate(DType.F32, Shape.of(big));
             Tensor gradSmall = Tensor.of(cuda, new float[] {1f, 1f, 1f}, 3);
             Tensor rate = Tensor.of(cuda, new float[] {0.5f}, 1)) {
            gradBig.fill(2f);
            var steps = cuda.optimizerSteps();
            try (ParameterGroup group = steps.group(List.of(allBig, allSmall), List.of(gradBig, gradSmall),
                    List.of())) {
                steps.sgdAll(group, rate, 0f, 0f, false, 0f, true);
            }
            steps.sgd(eachSmall, gradSmall, null, rate, 0f, 0f, false, 0f, true);
            // p = 0 - 2 * 0.5 everywhere in the big tensor.
            float[] got = allBig.toFloatArray();
            for (int i = 0; i < big; i++) {
                if (got[i] != -1f) {
                    throw new AssertionError("element " + i + " of " + big + " is " + got[i] + ", expected -1");
                }
            }
            assertArrayEquals(eachSmall.toFloatArray(), allSmall.toFloatArray(), "the small tensor after the big one");
            assertArrayEquals(new float[] {0.5f, 1.5f, 2.5f}, allSmall.toFloatArray());
        }
    }

    @Test
    void groupsOfAnotherBackendOrOverFreedTensorsAreRefused() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA optimizer tests");
        Backend cpu = Backends.cpu();
        var steps = cuda.optimizerSteps();
        try (Tensor rate = Tensor.of(cuda, new float[] {0.1f}, 1); Tensor cpuP = Tensor.of(cpu, new float[4], 4);
             Tensor cpuG = Tensor.of(cpu, new float[4], 4);
             ParameterGroup cpuGroup = cpu.optimizerSteps().group(List.of(cpuP), List.of(cpuG), List.of())) {
            IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
                    () -> steps.sgdAll(cpuGroup, rate, 0f, 0f, false, 0f, true));
            assertTrue(foreign.getMessage().contains("not made by this CUDA backend"), foreign.getMessage());
            assertThrows(IllegalArgumentException.class, () -> steps.group(List.of(cpuP), List.of(cpuG), List.of()));
            Tensor p = Tensor.of(cuda, new float[4], 4);
            try (Tensor g = Tensor.of(cuda, new float[4], 4);
                 ParameterGroup group = steps.group(List.of(p), List.of(g), List.of())) {
                p.close();
                IllegalStateException freed = assertThrows(IllegalStateException.class,
                        () -> steps.sgdAll(group, rate, 0f, 0f, false, 0f, true));
                assertTrue(freed.getMessage().contains("was freed after its parameter group was made"),
                        freed.getMessage());
            }
            try (Tensor q = Tensor.of(cuda, new float[4], 4); Tensor g = Tensor.of(cuda, new float[4], 4)) {
                ParameterGroup closed = steps.group(List.of(q), List.of(g), List.of());
                closed.close();
                assertThrows(IllegalStateException.class, () -> steps.sgdAll(closed, rate, 0f, 0f, false, 0f, true));
            }
        }
    }
}
