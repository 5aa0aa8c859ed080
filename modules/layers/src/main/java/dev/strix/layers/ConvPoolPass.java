package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;

/**
 * What the two fused conv + ReLU + 2x2 max-pool passes share: the layers they stand for, the pooled
 * output and argmax buffers, the state a backward pass needs, and the shape checks. A subclass says
 * how the pooled output is computed and how the gradients are routed back through it.
 */
abstract sealed class ConvPoolPass implements FusedPass permits ConvReluMaxPool, ConvBiasReluMaxPool {
    final Conv2D conv;
    private final ReusableTensor pooled;
    private final ReusableTensor argmax;
    private final ReusableTensor inputGradient;
    /** The pooled gradient in this pass's layout, where the next layer's differs. */
    private final ReusableTensor gradientCopy;
    Tensor input;
    ConvGeometry geometry;
    Tensor lastPooled;
    Tensor lastArgmax;

    ConvPoolPass(Conv2D conv) {
        this.conv = conv;
        Backend backend = conv.backend();
        ActivationLayout layout = conv.activationLayout();
        this.pooled = ReusableTensor.activations(backend, layout);
        this.argmax = new ReusableTensor(backend, DType.I32, layout);
        this.inputGradient = ReusableTensor.activations(backend, layout);
        this.gradientCopy = ReusableTensor.activations(backend, layout);
    }

    /** The conv of layers {@code a, b, c} when they are a Conv2D, a ReLU and a fusable 2x2 max pooling, else null. */
    static Conv2D convReluPool(Layer a, Layer b, Layer c) {
        return a instanceof Conv2D conv && b instanceof ReLU && c instanceof MaxPool2D pool
                && pool.isTwoByTwoArgmaxPooling() ? conv : null;
    }

    /** Writes {@code pooled} and {@code argmax} for input {@code x} of geometry {@code g}. */
    abstract void pool(Tensor x, ConvGeometry g, Tensor pooled, Tensor argmax);

    /**
     * The conv's weight and bias gradients, and {@code dx} unless it is null, for {@code dPooled} of
     * the last forward (already checked).
     */
    abstract void backwardInto(Tensor dPooled, Tensor dx);

    @Override
    public int layerCount() {
        return 3;
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        ConvGeometry g = conv.geometry(x.shape());
        Shape out = Shape.of(g.n(), g.o(), g.oh() / 2, g.ow() / 2);
        Tensor p = pooled.get(out);
        Tensor where = argmax.get(out);
        pool(x, g, p, where);
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
        backwardInto(EpilogueLayout.like(conv.backend(), dPooled, lastPooled, gradientCopy), dx);
        return dx;
    }

    @Override
    public void backwardParameters(Tensor dPooled) {
        checkGradient(dPooled);
        backwardInto(EpilogueLayout.like(conv.backend(), dPooled, lastPooled, gradientCopy), null);
    }

    private void checkGradient(Tensor dPooled) {
        ShapeCheck.forwardDone(conv, input);
        ShapeCheck.gradient(conv, lastPooled.shape(), dPooled.shape());
    }

    Tensor weight() {
        return conv.weight().value();
    }

    /** The bias value, or null when the conv has none. */
    Tensor bias() {
        return conv.bias() == null ? null : conv.bias().value();
    }

    /** The bias gradient, or null when the conv has none. */
    Tensor biasGradient() {
        return conv.bias() == null ? null : conv.bias().gradient();
    }

    @Override
    public void close() {
        pooled.close();
        argmax.close();
        inputGradient.close();
        gradientCopy.close();
        input = null;
        lastPooled = null;
        lastArgmax = null;
    }
}
