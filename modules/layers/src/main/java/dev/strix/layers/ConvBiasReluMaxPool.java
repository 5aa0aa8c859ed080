package dev.strix.layers;

import dev.strix.tensor.BiasReluEpilogue;
import dev.strix.tensor.Tensor;

/**
 * {@link Conv2D} (any algorithm), {@link ReLU} and a 2x2, stride-2 {@link MaxPool2D} run by
 * {@link Sequential} as the convolution without its bias, then one {@link BiasReluEpilogue} pass:
 * <pre>
 *   Z = conv(X);            P, A = max-pool(ReLU(Z + b)) with argmax   (one pass over Z)
 *   dZ = dP at A where P &gt; 0, zero elsewhere;  db = sum of dZ          (one pass writing dZ)
 *   dW, dX = the convolution's backward for dZ
 * </pre>
 * where the separate layers take three passes over Z forward and four over dL/dZ backward (on a GPU,
 * as many launches). Where the convolution adds its bias as a float32 addition after the products
 * (strided view, im2col + GEMM), outputs, weight and input gradients are the layer-by-layer numbers
 * and the bias gradient is the same sum taken in another order; a convolution that adds the bias
 * inside its sums (the CPU's direct loops) rounds differently. Z and dL/dZ share one buffer: the
 * convolution's output is dead once pooled. That buffer is channel-major ({@code [O, N, OH, OW]} in
 * memory) where the convolution path runs faster so ({@link ConvolutionPath#channelMajorOutput}:
 * materialised im2col columns, one GEMM for the batch); the epilogue reads and writes it in place.
 */
final class ConvBiasReluMaxPool extends ConvPoolPass {
    private final BiasReluEpilogue epilogue;
    private final ReusableTensor convOutput;

    private ConvBiasReluMaxPool(Conv2D conv, BiasReluEpilogue epilogue) {
        super(conv);
        this.epilogue = epilogue;
        this.convOutput = ReusableTensor.activations(conv.backend(), conv.activationLayout());
    }

    /**
     * The fused pass for layers {@code a, b, c}, or null when they are not a Conv2D, a ReLU and a
     * 2x2 stride-2 max pooling, or the backend has no bias-ReLU-pool epilogue.
     */
    static ConvBiasReluMaxPool of(Layer a, Layer b, Layer c) {
        Conv2D conv = convReluPool(a, b, c);
        if (conv == null) {
            return null;
        }
        return conv.backend().biasReluEpilogue().map(op -> new ConvBiasReluMaxPool(conv, op)).orElse(null);
    }

    @Override
    public String description() {
        return "conv, then bias + ReLU + 2x2 max pool in one pass";
    }

    @Override
    void pool(Tensor x, ConvGeometry g, Tensor pooled, Tensor argmax) {
        Tensor z = convOutput.get(g.output(), conv.path().channelMajorOutput(g));
        conv.path().forward(x, weight(), null, g, z);
        epilogue.biasReluMaxPool(z, bias(), pooled, argmax);
    }

    @Override
    void backwardInto(Tensor dPooled, Tensor dx) {
        Tensor dz = convOutput.get(geometry.output(), conv.path().channelMajorOutput(geometry));
        epilogue.biasReluMaxPoolBackward(dPooled, lastPooled, lastArgmax, dz, biasGradient());
        conv.path().backward(input, weight(), dz, geometry, conv.weight().gradient(), null, dx);
    }

    @Override
    public void close() {
        super.close();
        convOutput.close();
    }
}
