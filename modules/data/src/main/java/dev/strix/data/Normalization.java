package dev.strix.data;

/**
 * How a uint8 pixel becomes a float input: {@code (pixel / 255 - mean) / std}, in float32
 * arithmetic, the division by 255 rounded as IEEE division so that 255 maps to exactly 1.
 * {@link #NONE} only scales to [0, 1].
 *
 * <p>A GPU kernel that must match bit for bit computes the same two float divisions and one
 * subtraction, without fused multiply-add.
 *
 * @param mean subtracted after scaling to [0, 1]
 * @param std  divided by after subtracting the mean; positive
 */
public record Normalization(float mean, float std) {
    /** Scale to [0, 1] only. */
    public static final Normalization NONE = new Normalization(0f, 1f);
    /** Mean and standard deviation of the MNIST training pixels after scaling to [0, 1]. */
    public static final Normalization MNIST = new Normalization(0.1307f, 0.3081f);
    /** Mean and standard deviation of the Fashion-MNIST training pixels after scaling to [0, 1]. */
    public static final Normalization FASHION_MNIST = new Normalization(0.2860f, 0.3530f);

    public Normalization {
        if (!(std > 0) || !Float.isFinite(std) || !Float.isFinite(mean)) {
            throw new IllegalArgumentException("normalization needs a finite mean and a positive std, got mean "
                    + mean + ", std " + std);
        }
    }

    /** The float input for a pixel value in [0, 255] (fractional after bilinear sampling). */
    public float apply(float pixel) {
        return apply(pixel, mean, std);
    }

    /** {@link #apply(float)} with the parameters passed, for inner loops. */
    public static float apply(float pixel, float mean, float std) {
        return (pixel / 255f - mean) / std;
    }

    /** The 256 values {@link #apply(float)} gives for the uint8 pixels, for table look-up. */
    public float[] table() {
        float[] t = new float[256];
        for (int v = 0; v < 256; v++) {
            t[v] = apply(v);
        }
        return t;
    }
}
