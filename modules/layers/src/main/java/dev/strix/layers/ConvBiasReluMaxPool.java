package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.BiasReluEpilogue;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
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
 * convolution's output is dead once pooled.
 */
final class ConvBiasReluMaxPool implements FusedPass {
    private final Conv2D conv;
    private final BiasReluEpilogue epilogue;
    private final ReusableTensor convOutput;
    private final ReusableTensor pooled;
    private final ReusableTensor argmax;
    private final ReusableTensor inputGradient;
    private Tensor input;
    private ConvGeometry geometry;
    private Tensor lastPooled;
    private Tensor lastArgmax;

    private ConvBiasReluMaxPool(Conv2D conv, BiasReluEpilogue epilogue) {
        this.conv = conv;
        this.epilogue = epilogue;
        Backend backend = conv.backend();
        this.convOutput = new ReusableTensor(backend);
        this.pooled = new ReusableTensor(backend);
        this.argmax = new ReusableTensor(backend, DType.I32);
        this.inputGradient = new ReusableTensor(backend);
    }

    /**
     * The fused pass for layers {@code a, b, c}, or null when they are not a Conv2D, a ReLU and a
     * 2x2 stride-2 max pooling, or the backend has no bias-ReLU-pool epilogue.
     */
    static ConvBiasReluMaxPool of(Layer a, Layer b, Layer c) {
        if (a instanceof Conv2D conv && b instanceof ReLU && c instanceof MaxPool2D pool
                && pool.isTwoByTwoArgmaxPooling()) {
            return conv.backend().biasReluEpilogue().map(op -> new ConvBiasReluMaxPool(conv, op)).orElse(null);
        }
        return null;
    }

    @Override
    public String description() {
        return "conv, then bias + ReLU + 2x2 max pool in one pass";
    }

    @Override
    public int layerCount() {
        return 3;
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        ConvGeometry g = conv.geometry(x.shape());
        Tensor z = convOutput.get(g.output());
        conv.path().forward(x, conv.weight().value(), null, g, z);
        Shape out = Shape.of(g.n(), g.o(), g.oh() / 2, g.ow() / 2);
        Tensor p = pooled.get(out);
        Tensor where = argmax.get(out);
        epilogue.biasReluMaxPool(z, conv.bias() == null ? null : conv.bias().value(), p, where);
        input = x;
        geometry = g;
        lastPooled = p;
        lastArgmax = where;
        return p;
    }

    @Override
    public Tensor backward(Tensor dPooled) {
        checkGradient(dPooled);
        Tensor dx = inputGradient.get(geometry.input());
        backwardInto(dPooled, dx);
        return dx;
    }

    @Override
    public void backwardParameters(Tensor dPooled) {
        checkGradient(dPooled);
        backwardInto(dPooled, null);
    }

    private void checkGradient(Tensor dPooled) {
        ShapeCheck.forwardDone(conv, input);
        ShapeCheck.gradient(conv, lastPooled.shape(), dPooled.shape());
    }

    private void backwardInto(Tensor dPooled, Tensor dx) {
        Tensor dz = convOutput.get(geometry.output());
        Parameter bias = conv.bias();
        epilogue.biasReluMaxPoolBackward(dPooled, lastPooled, lastArgmax, dz, bias == null ? null : bias.gradient());
        conv.path().backward(input, conv.weight().value(), dz, geometry, conv.weight().gradient(), null, dx);
    }

    @Override
    public void close() {
        convOutput.close();
        pooled.close();
        argmax.close();
        inputGradient.close();
        input = null;
        lastPooled = null;
        lastArgmax = null;
    }
}
