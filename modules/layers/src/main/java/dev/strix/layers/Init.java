package dev.strix.layers;

import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.random.RandomGenerator;

/**
 * Weight initialisation schemes, seeded through the {@link RandomGenerator} passed in. Fans follow
 * PyTorch: for weights {@code [out, in, k...]}, {@code fanIn = in * prod(k)} and
 * {@code fanOut = out * prod(k)}.
 *
 * <p>{@link #PYTORCH_DEFAULT} is what {@code torch.nn.Linear} and {@code torch.nn.Conv2d} do on
 * construction ({@code kaiming_uniform_(w, a=sqrt(5))}, i.e. {@code U(-1/sqrt(fanIn), 1/sqrt(fanIn))}),
 * so a strix model and the equivalent torch.nn model start from the same distribution. Biases always
 * get PyTorch's default, {@link #bias}.
 */
public enum Init {
    /** Kaiming uniform with {@code a = sqrt(5)}: {@code U(-b, b)}, {@code b = 1 / sqrt(fanIn)}. */
    PYTORCH_DEFAULT,
    /** He / Kaiming uniform for ReLU ({@code a = 0}): {@code U(-b, b)}, {@code b = sqrt(6 / fanIn)}. */
    KAIMING_UNIFORM,
    /** He / Kaiming normal for ReLU: {@code N(0, 2 / fanIn)}. */
    KAIMING_NORMAL,
    /** Glorot / Xavier uniform: {@code U(-b, b)}, {@code b = sqrt(6 / (fanIn + fanOut))}. */
    GLOROT_UNIFORM,
    /** Glorot / Xavier normal: {@code N(0, 2 / (fanIn + fanOut))}. */
    GLOROT_NORMAL;

    /** Fills {@code weight} by this scheme. */
    public void initialize(Tensor weight, RandomGenerator random) {
        int fanIn = fanIn(weight.shape());
        int fanOut = fanOut(weight.shape());
        float[] values = new float[Math.toIntExact(weight.size())];
        switch (this) {
            case PYTORCH_DEFAULT -> uniform(values, kaimingBound(Math.sqrt(5), fanIn), random);
            case KAIMING_UNIFORM -> uniform(values, kaimingBound(0, fanIn), random);
            case KAIMING_NORMAL -> normal(values, Math.sqrt(2.0 / fanIn), random);
            case GLOROT_UNIFORM -> uniform(values, Math.sqrt(6.0 / (fanIn + fanOut)), random);
            case GLOROT_NORMAL -> normal(values, Math.sqrt(2.0 / (fanIn + fanOut)), random);
        }
        weight.copyFrom(values);
    }

    /** PyTorch's bias default: {@code U(-1/sqrt(fanIn), 1/sqrt(fanIn))}. */
    public static void bias(Tensor bias, int fanIn, RandomGenerator random) {
        float[] values = new float[Math.toIntExact(bias.size())];
        uniform(values, 1 / Math.sqrt(fanIn), random);
        bias.copyFrom(values);
    }

    /**
     * Bound of {@code kaiming_uniform_} with negative slope {@code a}: gain {@code sqrt(2 / (1 + a^2))}
     * times {@code sqrt(3 / fanIn)}.
     */
    public static double kaimingBound(double a, int fanIn) {
        return Math.sqrt(2 / (1 + a * a)) * Math.sqrt(3.0 / fanIn);
    }

    /** Inputs feeding one output: dim 1 times the receptive field (dims 2...). */
    public static int fanIn(Shape weight) {
        return weight.rank() < 2 ? weight.dim(0) : weight.dim(1) * receptiveField(weight);
    }

    /** Outputs fed by one input: dim 0 times the receptive field (dims 2...). */
    public static int fanOut(Shape weight) {
        return weight.dim(0) * receptiveField(weight);
    }

    private static int receptiveField(Shape weight) {
        int r = 1;
        for (int a = 2; a < weight.rank(); a++) {
            r *= weight.dim(a);
        }
        return r;
    }

    private static void uniform(float[] values, double bound, RandomGenerator random) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble(-bound, bound);
        }
    }

    private static void normal(float[] values, double std, RandomGenerator random) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
    }
}
