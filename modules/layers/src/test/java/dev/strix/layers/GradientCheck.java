package dev.strix.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Numeric gradient checks by central differences. The layer runs in float32; the scalar
 * {@code S = sum(output * R)} (R fixed random weights, so dS/dOutput = R) is accumulated in double,
 * and each derivative {@code (S(v + eps) - S(v - eps)) / 2 eps} is compared with what backward
 * produced. Tolerances are relative, with a floor at a tenth of the largest gradient so that
 * float32 rounding in tiny entries cannot fail a correct layer.
 */
public final class GradientCheck {
    public static final double EPSILON = 1e-2;
    public static final double TOLERANCE = 1e-2;

    private GradientCheck() {
    }

    /** Checks dS/dInput and every dS/dParameter of {@code layer} at {@code input}. */
    public static void check(Layer layer, Tensor input, Mode mode, SplittableRandom random) {
        Tensor y = layer.forward(input, mode);
        float[] weights = new float[Math.toIntExact(y.size())];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) (random.nextDouble() * 2 - 1);
        }
        try (Tensor r = Tensor.of(layer.backend(), weights, y.shape().dims())) {
            DoubleSupplier objective = () -> dot(layer.forward(input, mode).toFloatArray(), weights);
            float[] inputGradient = layer.backward(r).toFloatArray();
            float[][] parameterGradients = new float[layer.parameters().size()][];
            for (int p = 0; p < parameterGradients.length; p++) {
                parameterGradients[p] = layer.parameters().get(p).gradient().toFloatArray();
            }
            compare(layer.description() + " input gradient", inputGradient, numeric(input, objective));
            for (int p = 0; p < parameterGradients.length; p++) {
                Parameter param = layer.parameters().get(p);
                compare(layer.description() + " gradient of " + param.name(), parameterGradients[p],
                        numeric(param.value(), objective));
            }
        }
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    /** dObjective/dv for every element v of {@code t}, perturbing it in place and restoring it. */
    public static double[] numeric(Tensor t, DoubleSupplier objective) {
        float[] values = t.toFloatArray();
        double[] grad = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            float original = values[i];
            values[i] = (float) (original + EPSILON);
            double up = values[i];
            t.copyFrom(values);
            double plus = objective.getAsDouble();
            values[i] = (float) (original - EPSILON);
            double down = values[i];
            t.copyFrom(values);
            double minus = objective.getAsDouble();
            values[i] = original;
            // Divide by the step actually taken in float32, not the nominal 2 eps.
            grad[i] = (plus - minus) / (up - down);
        }
        t.copyFrom(values);
        return grad;
    }

    /** Fails naming {@code what} and the first element whose analytic and numeric values disagree. */
    public static void compare(String what, float[] analytic, double[] numeric) {
        if (analytic.length != numeric.length) {
            fail(what + ": " + analytic.length + " analytic values for " + numeric.length + " numeric ones");
        }
        double largest = 0;
        for (double v : numeric) {
            largest = Math.max(largest, Math.abs(v));
        }
        assertTrue(largest > 1e-6, what + ": every numeric derivative is zero, so the check would prove nothing");
        for (int i = 0; i < numeric.length; i++) {
            double scale = Math.max(Math.max(Math.abs(analytic[i]), Math.abs(numeric[i])), 0.1 * largest);
            if (!(Math.abs(analytic[i] - numeric[i]) <= TOLERANCE * scale)) {
                fail(what + ": element " + i + " is " + analytic[i] + " but central differences give " + numeric[i]
                        + " (largest derivative " + largest + ")");
            }
        }
    }
}
