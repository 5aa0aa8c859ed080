package dev.strix.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.layers.Parameter;
import dev.strix.optim.schedule.CosineAnnealing;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Inspecting, saving and restoring optimizer state, and reuse of the state tensors. */
class OptimizerStateTest {
    private final SplittableRandom random = new SplittableRandom(7);

    private float[] randomFloats(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return a;
    }

    /** A small two-layer model's parameters with the given values. */
    private static List<Parameter> model(float[] weight, float[] bias) {
        return List.of(new Parameter("0.weight", Tensor.of(Backends.cpu(), weight, 3, 5)),
                new Parameter("0.bias", Tensor.of(Backends.cpu(), bias, 3)));
    }

    private static void setGradients(List<Parameter> ps, float[][] grads) {
        for (int i = 0; i < ps.size(); i++) {
            ps.get(i).gradient().copyFrom(grads[i]);
        }
    }

    private static void close(List<Parameter> ps) {
        ps.forEach(Parameter::close);
    }

    /** Steps twice, saves, restores into a fresh optimizer, and checks the third step is identical. */
    private void roundTrip(Function<List<Parameter>, Optimizer> make, Set<String> expectedNames) {
        float[] w = randomFloats(15);
        float[] b = randomFloats(3);
        float[][][] grads = new float[3][][];
        for (int s = 0; s < 3; s++) {
            grads[s] = new float[][] {randomFloats(15), randomFloats(3)};
        }
        List<Parameter> original = model(w, b);
        Map<String, float[]> saved = new HashMap<>();
        long savedStep;
        float[][] savedValues;
        try (Optimizer first = make.apply(original)) {
            for (int s = 0; s < 2; s++) {
                setGradients(original, grads[s]);
                first.step();
            }
            OptimizerState state = first.state();
            assertEquals(expectedNames, state.tensors().keySet());
            state.tensors().forEach((name, t) -> saved.put(name, t.toFloatArray()));
            savedStep = state.step();
            savedValues = new float[][] {original.get(0).value().toFloatArray(), original.get(1).value().toFloatArray()};
            setGradients(original, grads[2]);
            first.step();
        }

        List<Parameter> restored = model(savedValues[0], savedValues[1]);
        Map<String, Tensor> loaded = new HashMap<>();
        saved.forEach((name, data) -> loaded.put(name,
                Tensor.of(Backends.cpu(), data, name.startsWith("0.weight") ? new int[] {3, 5} : new int[] {3})));
        try (Optimizer second = make.apply(restored)) {
            second.loadState(new OptimizerState(savedStep, loaded));
            assertEquals(2, second.stepCount());
            setGradients(restored, grads[2]);
            second.step();
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(original.get(i).value().toFloatArray(), restored.get(i).value().toFloatArray(),
                        "parameter " + original.get(i).name() + " after the restored step");
            }
        } finally {
            loaded.values().forEach(Tensor::close);
            close(original);
            close(restored);
        }
    }

    @Test
    void adamStateRoundTripsExactly() {
        roundTrip(ps -> Adam.builder(ps).schedule(new CosineAnnealing(0.1, 0.01, 3)).weightDecay(0.01).build(),
                Set.of("0.weight.exp_avg", "0.weight.exp_avg_sq", "0.bias.exp_avg", "0.bias.exp_avg_sq"));
    }

    @Test
    void adamWStateRoundTripsExactly() {
        roundTrip(ps -> Adam.adamW(ps).learningRate(0.05).build(),
                Set.of("0.weight.exp_avg", "0.weight.exp_avg_sq", "0.bias.exp_avg", "0.bias.exp_avg_sq"));
    }

    @Test
    void sgdMomentumStateRoundTripsExactly() {
        // Without the restored buffer the third step would treat the buffer as new (buf = d).
        roundTrip(ps -> SGD.builder(ps).learningRate(0.1).momentum(0.9).dampening(0.3).build(),
                Set.of("0.weight.momentum_buffer", "0.bias.momentum_buffer"));
    }

    @Test
    void stateIsAllocatedOnTheFirstStepAndReused() {
        List<Parameter> ps = model(randomFloats(15), randomFloats(3));
        try (Adam adam = new Adam(ps, 0.01)) {
            assertTrue(adam.state().tensors().isEmpty(), "no state before the first step");
            assertEquals(0, adam.state().step());
            adam.step();
            Tensor m = adam.state().tensors().get("0.weight.exp_avg");
            Tensor v = adam.state().tensors().get("0.bias.exp_avg_sq");
            adam.step();
            adam.step();
            assertSame(m, adam.state().tensors().get("0.weight.exp_avg"), "exp_avg reused");
            assertSame(v, adam.state().tensors().get("0.bias.exp_avg_sq"), "exp_avg_sq reused");
            assertEquals(3, adam.state().step());
        } finally {
            close(ps);
        }
    }

    @Test
    void zeroGradientsClearsEveryGradient() {
        List<Parameter> ps = model(randomFloats(15), randomFloats(3));
        try (SGD sgd = new SGD(ps, 0.1)) {
            setGradients(ps, new float[][] {randomFloats(15), randomFloats(3)});
            sgd.zeroGradients();
            assertArrayEquals(new float[15], ps.get(0).gradient().toFloatArray());
            assertArrayEquals(new float[3], ps.get(1).gradient().toFloatArray());
        } finally {
            close(ps);
        }
    }

    @Test
    void mismatchedStateIsRefusedWithTheNames() {
        List<Parameter> ps = model(randomFloats(15), randomFloats(3));
        try (Adam adam = new Adam(ps, 0.01); Tensor w = Tensor.zeros(Backends.cpu(), DType.F32, 3, 5);
             Tensor wrongShape = Tensor.zeros(Backends.cpu(), DType.F32, 5, 3);
             Tensor bias = Tensor.zeros(Backends.cpu(), DType.F32, 3)) {
            var missing = assertThrows(IllegalArgumentException.class, () -> adam.loadState(
                    new OptimizerState(4, Map.of("0.weight.exp_avg", w, "0.weight.exp_avg_sq", w))));
            assertTrue(missing.getMessage().contains("0.bias.exp_avg"), missing.getMessage());
            var shape = assertThrows(IllegalArgumentException.class, () -> adam.loadState(new OptimizerState(4, Map.of(
                    "0.weight.exp_avg", wrongShape, "0.weight.exp_avg_sq", w,
                    "0.bias.exp_avg", bias, "0.bias.exp_avg_sq", bias))));
            assertTrue(shape.getMessage().contains("[5, 3]") && shape.getMessage().contains("[3, 5]"), shape.getMessage());
            assertThrows(IllegalArgumentException.class, () -> adam.loadState(new OptimizerState(4, Map.of())),
                    "Adam at step 4 cannot resume without its moments");
        } finally {
            close(ps);
        }
    }
}
