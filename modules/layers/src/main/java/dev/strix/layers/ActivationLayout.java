package dev.strix.layers;

import java.util.Locale;

/**
 * The memory order of a model's four-dimensional activations and their gradients. Layers see them
 * as {@code [N, C, H, W]} tensors either way; only the strides differ:
 * <ul>
 *   <li>{@link #NCHW} (the default): contiguous {@code [N, C, H, W]};</li>
 *   <li>{@link #NHWC}: channels last, the {@code permute(0, 3, 1, 2)} view of a contiguous
 *       {@code [N, H, W, C]} buffer, the order cuDNN's tensor-core convolutions work in.</li>
 * </ul>
 * With NHWC the outputs and input gradients of pooling, batch norm, ReLU and {@link ConvAlgorithm#CUDNN}
 * convolutions are channels-last, so that a cuDNN convolution reads and writes activations without
 * transposing them (its weights go to cuDNN as NHWC filters, copied each step); the other convolution
 * algorithms keep their own output NCHW (their GEMMs need it), and {@link Flatten} copies into NCHW
 * order, so dense weights and checkpoints do not change. The fused bias + ReLU + 2x2 pooling passes
 * run in either layout; where a neighbour hands them the other one (the gradient that Flatten
 * returns), they copy it first.
 * Chosen with the system property {@value #PROPERTY} ({@code NCHW} or {@code NHWC}), read when a
 * layer is built.
 */
public enum ActivationLayout {
    NCHW,
    NHWC;

    /** The system property that chooses the layout of layers built afterwards. */
    public static final String PROPERTY = "strix.layers.layout";

    /** The layout {@value #PROPERTY} asks for, NCHW when it is not set. */
    public static ActivationLayout configured() {
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isBlank()) {
            return NCHW;
        }
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + ": expected NCHW or NHWC", e);
        }
    }
}
