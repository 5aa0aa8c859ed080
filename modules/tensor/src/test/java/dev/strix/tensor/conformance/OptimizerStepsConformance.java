package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.OptimizerSteps;
import dev.strix.tensor.ParameterGroup;
import dev.strix.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * SGD and Adam updates against the update rules evaluated in double precision in the test, over
 * three consecutive steps (so the state carried between steps is checked too), on a length that
 * leaves a scalar tail and on one large enough to be split across threads. The rate and step count
 * reach the ops through a tensor of step scalars rewritten before each step, as the optimizers do.
 * The multi-tensor updates ({@code sgdAll}, {@code adamAll}) must give the bits of the per-tensor
 * ones, over parameters of odd sizes (an empty one, one element, either side of 256).
 */
public abstract class OptimizerStepsConformance extends BackendConformance {
    private static final int SMALL = 1003;
    private static final int LARGE = 200_003;
    /** Parameter sizes of the multi-tensor tests. */
    private static final int[] GROUP_SIZES = {1003, 1, 0, 255, 257, 4099, 64, 7};

    /** Three steps' worth of gradients for n elements. */
    private float[][] gradients(int n) {
        return new float[][] {randomFloats(n), randomFloats(n), randomFloats(n)};
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    @ParameterizedTest(name = "momentum {0}, dampening {1}, nesterov {2}, weight decay {3}")
    @CsvSource({
        "0.0, 0.0, false, 0.0",
        "0.0, 0.0, false, 0.01",
        "0.9, 0.0, false, 0.0",
        "0.9, 0.25, false, 0.05",
        "0.9, 0.0, true, 0.0",
        "0.8, 0.0, true, 0.1",
    })
    void sgdMatchesTheUpdateRule(float momentum, float dampening, boolean nesterov, float weightDecay) {
        for (int n : new int[] {SMALL, LARGE}) {
            float lr = 0.1f;
            float[] p0 = randomFloats(n);
            float[][] grads = gradients(n);
            double[] p = toDouble(p0);
            double[] buf = new double[n];
            float[] scalars = new float[OptimizerSteps.SGD_SCALARS];
            try (Tensor param = tensor(p0, n); Tensor grad = tensor(new float[n], n);
                 Tensor buffer = tensor(new float[n], n); Tensor stepScalars = tensor(scalars, scalars.length)) {
                // Garbage in the buffer before the first step must be ignored.
                buffer.fill(Float.NaN);
                for (int step = 0; step < 3; step++) {
                    grad.copyFrom(grads[step]);
                    OptimizerSteps.sgdScalars(lr, scalars);
                    stepScalars.copyFrom(scalars);
                    backend().optimizerSteps().sgd(param, grad, momentum == 0f ? null : buffer, stepScalars, momentum,
                            dampening, nesterov, weightDecay, step == 0);
                    for (int i = 0; i < n; i++) {
                        double d = grads[step][i] + (double) weightDecay * p[i];
                        if (momentum != 0f) {
                            buf[i] = step == 0 ? d : momentum * buf[i] + (1.0 - dampening) * d;
                            d = nesterov ? d + momentum * buf[i] : buf[i];
                        }
                        p[i] -= lr * d;
                    }
                    String what = "sgd step " + (step + 1) + " of " + n;
                    assertClose(p, param.toFloatArray(), 8 * FLOAT_TOLERANCE, what + " parameter");
                    if (momentum != 0f) {
                        assertClose(buf, buffer.toFloatArray(), 8 * FLOAT_TOLERANCE, what + " buffer");
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "weight decay {0}, decoupled {1}")
    @CsvSource({"0.0, false", "0.1, false", "0.1, true"})
    void adamMatchesTheUpdateRule(float weightDecay, boolean decoupled) {
        for (int n : new int[] {SMALL, LARGE}) {
            float lr = 0.01f;
            float beta1 = 0.9f;
            float beta2 = 0.999f;
            float eps = 1e-8f;
            float[] p0 = randomFloats(n);
            float[][] grads = gradients(n);
            double[] p = toDouble(p0);
            double[] m = new double[n];
            double[] v = new double[n];
            float[] scalars = new float[OptimizerSteps.ADAM_SCALARS];
            try (Tensor param = tensor(p0, n); Tensor grad = tensor(new float[n], n);
                 Tensor tm = tensor(new float[n], n); Tensor tv = tensor(new float[n], n);
                 Tensor stepScalars = tensor(scalars, scalars.length)) {
                for (int step = 1; step <= 3; step++) {
                    grad.copyFrom(grads[step - 1]);
                    OptimizerSteps.adamScalars(lr, beta1, beta2, weightDecay, decoupled, step, scalars);
                    stepScalars.copyFrom(scalars);
                    backend().optimizerSteps().adam(param, grad, tm, tv, stepScalars, beta1, beta2, eps, weightDecay,
                            decoupled);
                    for (int i = 0; i < n; i++) {
                        double g = grads[step - 1][i];
                        if (decoupled) {
                            p[i] *= 1.0 - (double) lr * weightDecay;
                        } else {
                            g += (double) weightDecay * p[i];
                        }
                        m[i] = beta1 * m[i] + (1.0 - beta1) * g;
                        v[i] = beta2 * v[i] + (1.0 - beta2) * g * g;
                        double mHat = m[i] / (1.0 - Math.pow(beta1, step));
                        double vHat = v[i] / (1.0 - Math.pow(beta2, step));
                        p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
                    }
                    String what = "adam step " + step + " of " + n;
                    // Each update moves p by about lr = 0.01, so 1e-5 absolute is 0.1% of a step.
                    assertClose(p, param.toFloatArray(), 10 * FLOAT_TOLERANCE, what + " parameter");
                    assertClose(m, tm.toFloatArray(), 4 * FLOAT_TOLERANCE, what + " exp_avg");
                    assertClose(v, tv.toFloatArray(), 4 * FLOAT_TOLERANCE, what + " exp_avg_sq");
                }
            }
        }
    }

    @Test
    void adamWeightDecayModesDiffer() {
        // Same inputs, L2 versus decoupled decay: the parameters must end up different.
        float[] p0 = randomFloats(64);
        float[] g = randomFloats(64);
        try (Tensor a = tensor(p0, 64); Tensor b = tensor(p0, 64); Tensor grad = tensor(g, 64);
             Tensor ma = tensor(new float[64], 64); Tensor va = tensor(new float[64], 64);
             Tensor mb = tensor(new float[64], 64); Tensor vb = tensor(new float[64], 64);
             Tensor l2 = adamScalars(0.1f, 0.5f, false, 1); Tensor decoupled = adamScalars(0.1f, 0.5f, true, 1)) {
            backend().optimizerSteps().adam(a, grad, ma, va, l2, 0.9f, 0.999f, 1e-8f, 0.5f, false);
            backend().optimizerSteps().adam(b, grad, mb, vb, decoupled, 0.9f, 0.999f, 1e-8f, 0.5f, true);
            float[] fa = a.toFloatArray();
            float[] fb = b.toFloatArray();
            int differing = 0;
            for (int i = 0; i < 64; i++) {
                differing += Math.abs(fa[i] - fb[i]) > 1e-4 ? 1 : 0;
            }
            assertTrue(differing > 32, "L2 and decoupled decay gave near-identical results at " + (64 - differing)
                    + " of 64 elements");
        }
    }

    @Test
    void badOperandsAreRefused() {
        try (Tensor p = tensor(randomFloats(12), 3, 4); Tensor g = tensor(randomFloats(12), 3, 4);
             Tensor wrong = tensor(randomFloats(12), 4, 3); Tensor m = tensor(new float[12], 3, 4);
             Tensor v = tensor(new float[12], 3, 4); Tensor wide = tensor(randomFloats(24), 3, 8);
             Tensor rate = tensor(new float[] {0.1f}, 1); Tensor adam = adamScalars(0.1f, 0f, false, 1)) {
            var steps = backend().optimizerSteps();
            assertThrows(IllegalArgumentException.class,
                    () -> steps.sgd(p, wrong, null, rate, 0f, 0f, false, 0f, true), "gradient shape");
            assertThrows(IllegalArgumentException.class,
                    () -> steps.sgd(p, g, null, rate, 0.9f, 0f, false, 0f, true), "missing momentum buffer");
            assertThrows(IllegalArgumentException.class,
                    () -> steps.sgd(p, g, null, adam, 0f, 0f, false, 0f, true), "SGD given Adam's three scalars");
            assertThrows(IllegalArgumentException.class,
                    () -> steps.sgd(p, g, null, null, 0f, 0f, false, 0f, true), "no step scalars");
            assertThrows(IllegalArgumentException.class,
                    () -> steps.adam(p, g, m, wrong, adam, 0.9f, 0.999f, 1e-8f, 0f, false), "moment shape");
            assertThrows(IllegalArgumentException.class,
                    () -> steps.adam(p, g, m, v, rate, 0.9f, 0.999f, 1e-8f, 0f, false), "Adam given SGD's one scalar");
            Tensor strided = wide.slice(1, 0, 8, 2);
            assertThrows(IllegalArgumentException.class,
                    () -> steps.adam(strided, g, m, v, adam, 0.9f, 0.999f, 1e-8f, 0f, false), "non-contiguous");
            assertThrows(IllegalArgumentException.class,
                    () -> OptimizerSteps.adamScalars(0.1f, 0.9f, 0.999f, 0f, false, 0, new float[3]), "step 0");
        }
    }

    /**
     * Tensors for {@link #GROUP_SIZES}: {@code [tensor][parameter]}, tensor 0 the parameters (one
     * random start), 1 the gradients, the rest state (NaN: must be ignored or overwritten first).
     */
    private Tensor[][] groupTensors(int roles, float[][] start) {
        Tensor[][] t = new Tensor[roles][GROUP_SIZES.length];
        for (int i = 0; i < GROUP_SIZES.length; i++) {
            int n = GROUP_SIZES[i];
            t[0][i] = tensor(start[i], n);
            t[1][i] = tensor(new float[n], n);
            for (int r = 2; r < roles; r++) {
                t[r][i] = tensor(new float[n], n);
            }
        }
        return t;
    }

    private ParameterGroup group(Tensor[][] t) {
        List<List<Tensor>> states = new ArrayList<>();
        for (int r = 2; r < t.length; r++) {
            states.add(List.of(t[r]));
        }
        return backend().optimizerSteps().group(List.of(t[0]), List.of(t[1]), states);
    }

    private static void close(Tensor[][] t) {
        for (Tensor[] row : t) {
            for (Tensor x : row) {
                x.close();
            }
        }
    }

    /** Per parameter: three steps of gradients. */
    private float[][][] groupGradients() {
        float[][][] g = new float[GROUP_SIZES.length][][];
        for (int i = 0; i < GROUP_SIZES.length; i++) {
            g[i] = gradients(GROUP_SIZES[i]);
        }
        return g;
    }

    private float[][] groupStart() {
        float[][] p = new float[GROUP_SIZES.length][];
        for (int i = 0; i < GROUP_SIZES.length; i++) {
            p[i] = randomFloats(GROUP_SIZES[i]);
        }
        return p;
    }

    /** Every tensor of {@code a} has the bits of the same tensor of {@code b}. */
    private static void assertSameBits(Tensor[][] expected, Tensor[][] actual, String what) {
        for (int r = 0; r < expected.length; r++) {
            for (int i = 0; i < expected[r].length; i++) {
                assertArrayEquals(expected[r][i].toFloatArray(), actual[r][i].toFloatArray(),
                        what + ": tensor " + r + " (0 parameter, 1 gradient, 2.. state) of parameter " + i
                                + " (" + GROUP_SIZES[i] + " elements)");
            }
        }
    }

    @ParameterizedTest(name = "momentum {0}, dampening {1}, nesterov {2}, weight decay {3}")
    @CsvSource({
        "0.0, 0.0, false, 0.0",
        "0.0, 0.0, false, 0.01",
        "0.9, 0.0, false, 0.0",
        "0.9, 0.25, false, 0.05",
        "0.9, 0.0, true, 0.0",
        "0.8, 0.0, true, 0.1",
    })
    void sgdAllGivesTheBitsOfSgdOnEachParameter(float momentum, float dampening, boolean nesterov, float weightDecay) {
        boolean useMomentum = momentum != 0f;
        int roles = useMomentum ? 3 : 2;
        float[][] start = groupStart();
        float[][][] grads = groupGradients();
        Tensor[][] each = groupTensors(roles, start);
        Tensor[][] all = groupTensors(roles, start);
        float[] scalars = new float[OptimizerSteps.SGD_SCALARS];
        try (Tensor stepScalars = tensor(scalars, scalars.length); ParameterGroup group = group(all)) {
            var steps = backend().optimizerSteps();
            for (int r = 2; r < roles; r++) {
                for (int i = 0; i < GROUP_SIZES.length; i++) {
                    each[r][i].fill(Float.NaN);
                    all[r][i].fill(Float.NaN);
                }
            }
            for (int step = 0; step < 3; step++) {
                for (int i = 0; i < GROUP_SIZES.length; i++) {
                    each[1][i].copyFrom(grads[i][step]);
                    all[1][i].copyFrom(grads[i][step]);
                }
                OptimizerSteps.sgdScalars(0.1f / (step + 1), scalars);
                stepScalars.copyFrom(scalars);
                for (int i = 0; i < GROUP_SIZES.length; i++) {
                    steps.sgd(each[0][i], each[1][i], useMomentum ? each[2][i] : null, stepScalars, momentum,
                            dampening, nesterov, weightDecay, step == 0);
                }
                steps.sgdAll(group, stepScalars, momentum, dampening, nesterov, weightDecay, step == 0);
                assertSameBits(each, all, "sgdAll step " + (step + 1));
            }
        } finally {
            close(each);
            close(all);
        }
    }

    @ParameterizedTest(name = "weight decay {0}, decoupled {1}")
    @CsvSource({"0.0, false", "0.1, false", "0.1, true"})
    void adamAllGivesTheBitsOfAdamOnEachParameter(float weightDecay, boolean decoupled) {
        float[][] start = groupStart();
        float[][][] grads = groupGradients();
        Tensor[][] each = groupTensors(4, start);
        Tensor[][] all = groupTensors(4, start);
        float[] scalars = new float[OptimizerSteps.ADAM_SCALARS];
        try (Tensor stepScalars = tensor(scalars, scalars.length); ParameterGroup group = group(all)) {
            var steps = backend().optimizerSteps();
            for (int step = 1; step <= 3; step++) {
                for (int i = 0; i < GROUP_SIZES.length; i++) {
                    each[1][i].copyFrom(grads[i][step - 1]);
                    all[1][i].copyFrom(grads[i][step - 1]);
                }
                OptimizerSteps.adamScalars(0.01f / step, 0.9f, 0.999f, weightDecay, decoupled, step, scalars);
                stepScalars.copyFrom(scalars);
                for (int i = 0; i < GROUP_SIZES.length; i++) {
                    steps.adam(each[0][i], each[1][i], each[2][i], each[3][i], stepScalars, 0.9f, 0.999f, 1e-8f,
                            weightDecay, decoupled);
                }
                steps.adamAll(group, stepScalars, 0.9f, 0.999f, 1e-8f, weightDecay, decoupled);
                assertSameBits(each, all, "adamAll step " + step);
            }
        } finally {
            close(each);
            close(all);
        }
    }

    @Test
    void badParameterGroupsAreRefused() {
        var steps = backend().optimizerSteps();
        try (Tensor p = tensor(randomFloats(12), 3, 4); Tensor g = tensor(randomFloats(12), 3, 4);
             Tensor wrong = tensor(randomFloats(12), 4, 3); Tensor m = tensor(new float[12], 3, 4);
             Tensor v = tensor(new float[12], 3, 4); Tensor wide = tensor(randomFloats(24), 3, 8);
             Tensor rate = tensor(new float[] {0.1f}, 1); Tensor adam = adamScalars(0.1f, 0f, false, 1)) {
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> steps.group(List.of(p), List.of(wrong), List.of()), "gradient shape");
            assertTrue(shape.getMessage().contains("[4, 3]") && shape.getMessage().contains("[3, 4]"),
                    shape.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> steps.group(List.of(p), List.of(g, g), List.of()), "two gradients for one parameter");
            assertThrows(IllegalArgumentException.class,
                    () -> steps.group(List.of(), List.of(), List.of()), "no parameters");
            assertThrows(IllegalArgumentException.class,
                    () -> steps.group(List.of(p), List.of(g), List.of(List.of(m), List.of())), "missing state");
            Tensor strided = wide.slice(1, 0, 8, 2);
            assertThrows(IllegalArgumentException.class,
                    () -> steps.group(List.of(strided), List.of(g), List.of()), "non-contiguous");
            try (ParameterGroup none = steps.group(List.of(p), List.of(g), List.of());
                 ParameterGroup one = steps.group(List.of(p), List.of(g), List.of(List.of(m)));
                 ParameterGroup two = steps.group(List.of(p), List.of(g), List.of(List.of(m), List.of(v)))) {
                assertThrows(IllegalArgumentException.class,
                        () -> steps.adamAll(one, adam, 0.9f, 0.999f, 1e-8f, 0f, false), "adam with one state slot");
                assertThrows(IllegalArgumentException.class,
                        () -> steps.sgdAll(none, rate, 0.9f, 0f, false, 0f, true), "momentum without a buffer");
                assertThrows(IllegalArgumentException.class,
                        () -> steps.sgdAll(two, rate, 0.9f, 0f, false, 0f, true), "momentum with two slots");
                assertThrows(IllegalArgumentException.class,
                        () -> steps.sgdAll(none, adam, 0f, 0f, false, 0f, true), "SGD given Adam's three scalars");
                assertThrows(IllegalArgumentException.class,
                        () -> steps.adamAll(two, rate, 0.9f, 0.999f, 1e-8f, 0f, false), "Adam given SGD's one scalar");
            }
        }
    }

    /** Adam's step scalars for rate {@code lr}, betas (0.9, 0.999), at update {@code step}, on the backend. */
    private Tensor adamScalars(float lr, float weightDecay, boolean decoupled, long step) {
        float[] s = new float[OptimizerSteps.ADAM_SCALARS];
        OptimizerSteps.adamScalars(lr, 0.9f, 0.999f, weightDecay, decoupled, step, s);
        return tensor(s, s.length);
    }
}
