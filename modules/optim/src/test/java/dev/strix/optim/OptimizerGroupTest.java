package dev.strix.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.layers.Parameter;
import dev.strix.optim.schedule.CosineAnnealing;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.OptimizerSteps;
import dev.strix.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The optimizers update all their parameters with one multi-tensor op
 * ({@link OptimizerSteps#adamAll}, {@link OptimizerSteps#sgdAll}) and get the bits of the
 * per-parameter ops called in the test, step after step under a changing rate, with the state
 * carried between steps and restored from a saved state; a parameter that is not contiguous keeps
 * the per-parameter path, whose op names the problem.
 */
class OptimizerGroupTest {
    /** Odd sizes: a scalar tail in every vector loop, one single element. */
    private static final int[] SIZES = {1003, 1, 37, 260};
    private static final int STEPS = 4;

    private final SplittableRandom random = new SplittableRandom(3);

    private float[] randomFloats(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return a;
    }

    private static List<Parameter> parameters(float[][] start) {
        List<Parameter> ps = new ArrayList<>();
        for (int i = 0; i < start.length; i++) {
            ps.add(new Parameter(i + ".weight", Tensor.of(Backends.cpu(), start[i], start[i].length)));
        }
        return ps;
    }

    /** What one step of the optimizer must do to parameter i, through the per-tensor op. */
    private interface PerTensorStep {
        void apply(OptimizerSteps steps, Tensor p, Tensor g, Tensor[] state, Tensor scalars, boolean first);
    }

    /**
     * Runs {@code make}'s optimizer for {@link #STEPS} steps and, beside it, the per-tensor ops on
     * copies with state tensors of the test's own, and compares every parameter's bits after each step.
     */
    private void matchesPerTensorOps(Function<List<Parameter>, Optimizer> make, int slots, int scalarCount,
                                     PerTensorStep step) {
        Backend cpu = Backends.cpu();
        float[][] start = new float[SIZES.length][];
        for (int i = 0; i < SIZES.length; i++) {
            start[i] = randomFloats(SIZES[i]);
        }
        List<Parameter> params = parameters(start);
        List<Tensor> mine = new ArrayList<>();
        Tensor[][] state = new Tensor[SIZES.length][slots];
        for (int i = 0; i < SIZES.length; i++) {
            mine.add(Tensor.of(cpu, start[i], SIZES[i]));
            for (int s = 0; s < slots; s++) {
                state[i][s] = Tensor.zeros(cpu, DType.F32, SIZES[i]);
            }
        }
        float[] scalars = new float[scalarCount];
        try (Optimizer optimizer = make.apply(params); Tensor stepScalars = Tensor.zeros(cpu,
                DType.F32, scalarCount)) {
            for (int t = 1; t <= STEPS; t++) {
                float[][] grads = new float[SIZES.length][];
                for (int i = 0; i < SIZES.length; i++) {
                    grads[i] = randomFloats(SIZES[i]);
                    params.get(i).gradient().copyFrom(grads[i]);
                }
                float rate = (float) optimizer.learningRate();
                optimizer.step();
                assertTrue(optimizer.updatesAsOneGroup(), "contiguous parameters are updated as one group");
                optimizer.writeStepScalars(rate, t, scalars);
                stepScalars.copyFrom(scalars);
                for (int i = 0; i < SIZES.length; i++) {
                    try (Tensor g = Tensor.of(cpu, grads[i], SIZES[i])) {
                        step.apply(cpu.optimizerSteps(), mine.get(i), g, state[i], stepScalars, t == 1);
                    }
                    assertArrayEquals(mine.get(i).toFloatArray(), params.get(i).value().toFloatArray(),
                            optimizer + ", step " + t + ", parameter " + i + " of " + SIZES[i] + " elements");
                }
            }
        } finally {
            params.forEach(Parameter::close);
            mine.forEach(Tensor::close);
            for (Tensor[] row : state) {
                for (Tensor x : row) {
                    x.close();
                }
            }
        }
    }

    private static CosineAnnealing schedule(double lr) {
        return new CosineAnnealing(lr, lr / 10, STEPS);
    }

    @Test
    void adamWithL2DecayMatchesThePerTensorOp() {
        matchesPerTensorOps(ps -> Adam.builder(ps).schedule(schedule(1e-2)).weightDecay(0.1).build(), 2,
                OptimizerSteps.ADAM_SCALARS, (steps, p, g, s, scalars, first) ->
                        steps.adam(p, g, s[0], s[1], scalars, 0.9f, 0.999f, 1e-8f, 0.1f, false));
    }

    @Test
    void adamWMatchesThePerTensorOp() {
        matchesPerTensorOps(ps -> Adam.adamW(ps).schedule(schedule(1e-2)).weightDecay(0.05).betas(0.8, 0.99).build(),
                2, OptimizerSteps.ADAM_SCALARS, (steps, p, g, s, scalars, first) ->
                        steps.adam(p, g, s[0], s[1], scalars, 0.8f, 0.99f, 1e-8f, 0.05f, true));
    }

    @Test
    void plainSgdMatchesThePerTensorOp() {
        matchesPerTensorOps(ps -> SGD.builder(ps).schedule(schedule(0.1)).weightDecay(0.01).build(), 0,
                OptimizerSteps.SGD_SCALARS, (steps, p, g, s, scalars, first) ->
                        steps.sgd(p, g, null, scalars, 0f, 0f, false, 0.01f, first));
    }

    @Test
    void sgdWithMomentumAndDampeningMatchesThePerTensorOp() {
        matchesPerTensorOps(ps -> SGD.builder(ps).schedule(schedule(0.1)).momentum(0.9).dampening(0.25).build(), 1,
                OptimizerSteps.SGD_SCALARS, (steps, p, g, s, scalars, first) ->
                        steps.sgd(p, g, s[0], scalars, 0.9f, 0.25f, false, 0f, first));
    }

    @Test
    void nesterovSgdMatchesThePerTensorOp() {
        matchesPerTensorOps(ps -> SGD.builder(ps).schedule(schedule(0.1)).momentum(0.8).nesterov(true)
                .weightDecay(0.1).build(), 1, OptimizerSteps.SGD_SCALARS, (steps, p, g, s, scalars, first) ->
                        steps.sgd(p, g, s[0], scalars, 0.8f, 0f, true, 0.1f, first));
    }

    @Test
    void restoredStateIsUpdatedAsOneGroup() {
        float[][] start = {randomFloats(5), randomFloats(3)};
        List<Parameter> a = parameters(start);
        List<Parameter> b = parameters(start);
        try (Optimizer first = new Adam(a, 1e-2); Optimizer second = new Adam(b, 1e-2)) {
            for (int i = 0; i < 2; i++) {
                a.get(i).gradient().copyFrom(randomFloats(start[i].length));
            }
            first.step();
            assertFalse(second.updatesAsOneGroup(), "no state, no group before the first step");
            second.loadState(first.state());
            assertTrue(second.updatesAsOneGroup(), "restoring allocates the state and makes the group");
            for (int i = 0; i < 2; i++) {
                float[] g = randomFloats(start[i].length);
                a.get(i).gradient().copyFrom(g);
                b.get(i).gradient().copyFrom(g);
                b.get(i).value().copyFrom(a.get(i).value().toFloatArray());
            }
            first.step();
            second.step();
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(a.get(i).value().toFloatArray(), b.get(i).value().toFloatArray(), "parameter " + i);
            }
            second.loadState(new OptimizerState(0, Map.of()));
            assertFalse(second.updatesAsOneGroup(), "a reset frees the state and its group");
        } finally {
            a.forEach(Parameter::close);
            b.forEach(Parameter::close);
        }
    }

    @Test
    void aNonContiguousParameterKeepsThePerParameterOpAndItsMessage() {
        try (Tensor wide = Tensor.zeros(Backends.cpu(), DType.F32, 4, 2)) {
            Parameter strided = new Parameter("0.weight", wide.transpose(0, 1));
            Optimizer adam = new Adam(List.of(strided), 1e-2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, adam::step);
            assertTrue(e.getMessage().contains("must be contiguous"), e.getMessage());
            assertFalse(adam.updatesAsOneGroup());
            adam.close();
            strided.gradient().close();
        }
    }
}
