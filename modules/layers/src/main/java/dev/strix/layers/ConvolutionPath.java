package dev.strix.layers;

import dev.strix.tensor.Tensor;

/** One way to compute a convolution without bias: the algorithm a {@link Conv2D} delegates to. */
interface ConvolutionPath extends AutoCloseable {
    /** {@code z = x (*) weight} for input {@code x} and weights {@code [o, c, kh, kw]}. */
    void forward(Tensor x, Tensor weight, ConvGeometry g, Tensor z);

    /**
     * Writes dL/dWeight into {@code dWeight} and dL/dX into {@code dx}, given dL/dZ of the last
     * forward; a null {@code dx} skips the input gradient, a null {@code dWeight} the weight gradient.
     */
    void backward(Tensor x, Tensor weight, Tensor dz, ConvGeometry g, Tensor dWeight, Tensor dx);

    @Override
    void close();
}
