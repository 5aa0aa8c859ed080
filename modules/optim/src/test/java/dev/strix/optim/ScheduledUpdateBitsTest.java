package dev.strix.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.layers.Parameter;
import dev.strix.optim.schedule.CosineRestarts;
import dev.strix.optim.schedule.LearningRateSchedule;
import dev.strix.optim.schedule.OneCycle;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Several steps of Adam, AdamW and Nesterov SGD under a changing learning rate, bit for bit against
 * the update rules evaluated in the test in float32, operation by operation in the documented order
 * (the per-step scalars in double precision, rounded once to float). This pins the arithmetic down
 * exactly: the rate and Adam's step count reach the update through a small tensor
 * ({@link Optimizer#prepareStep()}), and steps split into {@link Optimizer#prepareStep()} and
 * {@link Optimizer#applyStep()} must give the same bits as {@link Optimizer#step()}.
 *
 * <p>1,003 elements: full vector lanes and a scalar tail.
 */
class ScheduledUpdateBitsTest {
    private static final int N = 1003;
    private static final int STEPS = 7;

    private final SplittableRandom random = new SplittableRandom(21);

    private float[] randomFloats() {
        float[] a = new float[N];
        for (int i = 0; i < N; i++) {
            a[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return a;
    }

    /** Restarts with a warm-up over 7 steps: the rate rises, falls and jumps back up. */
    private static LearningRateSchedule restarts() {
        return new CosineRestarts(3e-3, 3e-6, new long[] {3, 4}, 2);
    }

    /** Float32 Adam as the CPU backend documents it; returns p and updates m and v in place. */
    private static float[] adamReference(float[] p0, float[][] grads, LearningRateSchedule schedule, float weightDecay,
                                         boolean decoupled, float[] m, float[] v) {
        float beta1 = 0.9f;
        float beta2 = 0.999f;
        float eps = 1e-8f;
        float[] p = p0.clone();
        for (int t = 1; t <= STEPS; t++) {
            float lr = (float) schedule.learningRate(t - 1);
            float stepSize = (float) (lr / (1 - Math.pow(beta1, t)));
            float correction2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, t));
            float shrink = decoupled ? 1f - lr * weightDecay : 1f;
            float l2 = decoupled ? 0f : weightDecay;
            for (int i = 0; i < N; i++) {
                float g = grads[t - 1][i];
                if (l2 != 0f) {
                    g = g + p[i] * l2;
                }
                m[i] = m[i] * beta1 + g * (1f - beta1);
                v[i] = v[i] * beta2 + g * g * (1f - beta2);
                float denom = (float) Math.sqrt(v[i]) / correction2Sqrt + eps;
                p[i] = p[i] * shrink - m[i] / denom * stepSize;
            }
        }
        return p;
    }

    private float[][] gradients() {
        float[][] g = new float[STEPS][];
        for (int s = 0; s < STEPS; s++) {
            g[s] = randomFloats();
        }
        return g;
    }

    /** Runs {@code optimizer} over the gradients, as whole steps or split into its two parts. */
    private static void train(Optimizer optimizer, Parameter p, float[][] grads, boolean split) {
        for (float[] g : grads) {
            p.gradient().copyFrom(g);
            if (split) {
                optimizer.prepareStep();
                optimizer.applyStep();
            } else {
                optimizer.step();
            }
        }
    }

    @Test
    void adamAndAdamWUnderWarmRestartsMatchTheFloatRuleBitForBit() {
        for (boolean decoupled : new boolean[] {false, true}) {
            for (boolean split : new boolean[] {false, true}) {
                float[] p0 = randomFloats();
                float[][] grads = gradients();
                float[] m = new float[N];
                float[] v = new float[N];
                float decay = decoupled ? 0.01f : 0.001f;
                float[] expected = adamReference(p0, grads, restarts(), decay, decoupled, m, v);
                try (Parameter p = new Parameter("w", Tensor.of(Backends.cpu(), p0, N));
                     Adam adam = (decoupled ? Adam.adamW(List.of(p)) : Adam.builder(List.of(p)))
                             .schedule(restarts()).weightDecay(decay).build()) {
                    train(adam, p, grads, split);
                    String what = (decoupled ? "AdamW" : "Adam") + (split ? ", split steps" : "");
                    assertArrayEquals(expected, p.value().toFloatArray(), what + " parameter");
                    assertArrayEquals(m, adam.state().tensors().get("w.exp_avg").toFloatArray(), what + " exp_avg");
                    assertArrayEquals(v, adam.state().tensors().get("w.exp_avg_sq").toFloatArray(), what + " exp_avg_sq");
                    assertEquals(STEPS, adam.stepCount());
                }
            }
        }
    }

    @Test
    void nesterovSgdUnderOneCycleMatchesTheFloatRuleBitForBit() {
        LearningRateSchedule schedule = new OneCycle(0.1, STEPS, 0.3, 10, 100);
        float momentum = 0.9f;
        float weightDecay = 0.01f;
        float[] p0 = randomFloats();
        float[][] grads = gradients();
        float[] p = p0.clone();
        float[] buf = new float[N];
        for (int t = 0; t < STEPS; t++) {
            float lr = (float) schedule.learningRate(t);
            for (int i = 0; i < N; i++) {
                float d = grads[t][i] + p[i] * weightDecay;
                buf[i] = t == 0 ? d : buf[i] * momentum + d * 1f;
                d = d + buf[i] * momentum;
                p[i] = p[i] - d * lr;
            }
        }
        for (boolean split : new boolean[] {false, true}) {
            try (Parameter param = new Parameter("w", Tensor.of(Backends.cpu(), p0, N));
                 SGD sgd = SGD.builder(List.of(param)).schedule(schedule).momentum(momentum).nesterov(true)
                         .weightDecay(weightDecay).build()) {
                train(sgd, param, grads, split);
                assertArrayEquals(p, param.value().toFloatArray(), "SGD parameter" + (split ? ", split steps" : ""));
                assertArrayEquals(buf, sgd.state().tensors().get("w.momentum_buffer").toFloatArray(), "momentum buffer");
            }
        }
    }

    @Test
    void applyingBeforeAnyPreparedStepIsRefused() {
        try (Parameter p = new Parameter("w", Tensor.of(Backends.cpu(), new float[] {1f}, 1));
             Adam adam = new Adam(List.of(p), 1e-3)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, adam::applyStep);
            assertTrue(e.getMessage().contains("prepareStep"), e.getMessage());
        }
    }
}
