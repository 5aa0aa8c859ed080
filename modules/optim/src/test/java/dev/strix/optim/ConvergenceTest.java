package dev.strix.optim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.layers.Parameter;
import dev.strix.optim.schedule.CosineAnnealing;
import dev.strix.tensor.Backends;
import dev.strix.tensor.BinaryOp;
import dev.strix.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Minimises the ill-conditioned quadratic L(x) = 1/2 sum a_i (x_i - c_i)^2, with curvatures a_i
 * from 0.5 to 5, whose gradient a (x - c) is computed with backend ops. Seeded; the bounds
 * leave two to five orders of magnitude of margin over the ratios these runs reach.
 */
class ConvergenceTest {
    private static final int N = 4096;

    private static double minimise(Function<List<Parameter>, Optimizer> make, int steps) {
        SplittableRandom random = new SplittableRandom(42);
        float[] a = new float[N];
        float[] c = new float[N];
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            a[i] = (float) (0.5 + 4.5 * random.nextDouble());
            c[i] = (float) (random.nextDouble() * 4 - 2);
            x[i] = (float) (random.nextDouble() * 4 - 2);
        }
        var cpu = Backends.cpu();
        try (Parameter p = new Parameter("x", Tensor.of(cpu, x, N)); Tensor ta = Tensor.of(cpu, a, N);
             Tensor tc = Tensor.of(cpu, c, N); Optimizer opt = make.apply(List.of(p))) {
            double initial = loss(p.value(), a, c);
            for (int s = 0; s < steps; s++) {
                cpu.elementwise().binary(BinaryOp.SUBTRACT, p.value(), tc, p.gradient());
                cpu.elementwise().binary(BinaryOp.MULTIPLY, p.gradient(), ta, p.gradient());
                opt.step();
            }
            return loss(p.value(), a, c) / initial;
        }
    }

    private static double loss(Tensor x, float[] a, float[] c) {
        float[] v = x.toFloatArray();
        double sum = 0;
        for (int i = 0; i < v.length; i++) {
            double d = v[i] - c[i];
            sum += 0.5 * a[i] * d * d;
        }
        return sum;
    }

    @Test
    void adamWithCosineAnnealingConverges() {
        double ratio = minimise(ps -> Adam.builder(ps).schedule(new CosineAnnealing(0.1, 0, 300)).build(), 300);
        assertTrue(ratio < 1e-8, "Adam: final / initial loss = " + ratio);
    }

    @Test
    void sgdWithNesterovMomentumConverges() {
        double ratio = minimise(ps -> SGD.builder(ps).learningRate(0.1).momentum(0.9).nesterov(true).build(), 200);
        assertTrue(ratio < 1e-10, "SGD: final / initial loss = " + ratio);
    }

    @Test
    void plainSgdConverges() {
        double ratio = minimise(ps -> new SGD(ps, 0.2), 100);
        assertTrue(ratio < 1e-10, "plain SGD: final / initial loss = " + ratio);
    }
}
