package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.BinaryOp;
import dev.strix.tensor.ReduceOp;
import dev.strix.tensor.Tensor;

/**
 * One way to compute a convolution and its bias: the algorithm a {@link Conv2D} delegates to. The
 * bias goes through the path so that a path whose backend fuses it (the CPU's implicit GEMM, cuDNN)
 * saves the extra passes over Z and dL/dZ; the others use {@link #addBias} and {@link #biasGradient}.
 */
interface ConvolutionPath extends AutoCloseable {
    /** {@code z = x (*) weight + bias} for input {@code x}, weights {@code [o, c, kh, kw]}, bias {@code [o]} or null. */
    void forward(Tensor x, Tensor weight, Tensor bias, ConvGeometry g, Tensor z);

    /**
     * Writes dL/dWeight into {@code dWeight}, dL/dBias into {@code dBias} and dL/dX into
     * {@code dx}, given dL/dZ of the last forward; a null output skips that gradient.
     */
    void backward(Tensor x, Tensor weight, Tensor dz, ConvGeometry g, Tensor dWeight, Tensor dBias, Tensor dx);

    /**
     * Whether this path would rather get Z and dL/dZ of geometry {@code g} channel-major: as the
     * {@code [N, O, OH, OW]} view of a contiguous {@code [O, N, OH, OW]} buffer (which a caller that
     * owns Z, such as a fused pass, can lay out freely). Every path takes any layout; this one runs
     * faster in that one.
     */
    default boolean channelMajorOutput(ConvGeometry g) {
        return false;
    }

    /** {@code z += bias} broadcast over [n, o, y, x]; nothing when bias is null. */
    static void addBias(Backend backend, Tensor bias, Tensor z) {
        if (bias != null) {
            backend.elementwise().binary(BinaryOp.ADD, z, bias.reshape(bias.dim(0), 1, 1), z);
        }
    }

    /** {@code dBias = sum of dz over n, y, x}; nothing when dBias is null. */
    static void biasGradient(Backend backend, Tensor dz, Tensor dBias) {
        if (dBias != null) {
            backend.reductions().reduce(ReduceOp.SUM, dz, new int[] {0, 2, 3}, dBias);
        }
    }

    @Override
    void close();
}
