package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.ImplicitGemmConvolution;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;

/**
 * {@link Conv2D} (im2col + GEMM), {@link ReLU} and a 2x2, stride-2 {@link MaxPool2D} run by
 * {@link Sequential} as one pass on a backend whose {@link ImplicitGemmConvolution} fuses them:
 * <pre>
 *   P = max-pool(ReLU(conv(X)))                    forward; the full-size Z never goes through memory
 *   dZ[argmax] = dP where P > 0, zero elsewhere      backward, rebuilt image by image on the heap
 * </pre>
 * The numbers are exactly those of the three layers run one by one (the pooling commutes with the
 * ReLU, and the same products run in the same order); only the passes over the full-size Z and
 * dL/dZ disappear. The three layers keep their parameters, names and descriptions.
 */
final class ConvReluMaxPool implements FusedPass {
    private final Conv2D conv;
    private final ImplicitGemmConvolution op;
    private final ReusableTensor pooled;
    private final ReusableTensor argmax;
    private final ReusableTensor inputGradient;
    private Tensor input;
    private ConvGeometry geometry;
    private Tensor lastPooled;
    private Tensor lastArgmax;

    private ConvReluMaxPool(Conv2D conv, ImplicitGemmConvolution op) {
        this.conv = conv;
        this.op = op;
        Backend backend = conv.backend();
        this.pooled = new ReusableTensor(backend);
        this.argmax = new ReusableTensor(backend, DType.I32);
        this.inputGradient = new ReusableTensor(backend);
    }

    /**
     * The fused pass for layers {@code a, b, c}, or null when they are not a Conv2D using
     * {@link ConvAlgorithm#IM2COL_GEMM}, a ReLU and a 2x2 stride-2 max pooling, or the backend has no
     * implicit-GEMM convolution.
     */
    static ConvReluMaxPool of(Layer a, Layer b, Layer c) {
        if (a instanceof Conv2D conv && b instanceof ReLU && c instanceof MaxPool2D pool
                && conv.algorithm() == ConvAlgorithm.IM2COL_GEMM && pool.isTwoByTwoArgmaxPooling()) {
            return conv.backend().implicitGemmConvolution().map(op -> new ConvReluMaxPool(conv, op)).orElse(null);
        }
        return null;
    }

    @Override
    public String description() {
        return "conv + ReLU + 2x2 max pool (implicit GEMM)";
    }

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
        op.forwardReluMaxPool(x, weight(), bias(), g.sh(), g.sw(), g.pad().top(), g.pad().left(), g.output(), p, where);
        input = x;
        geometry = g;
        lastPooled = p;
        lastArgmax = where;
        return p;
    }

    @Override
    public Tensor backward(Tensor dPooled) {
        backwardParameters(dPooled);
        Tensor dx = inputGradient.get(geometry.input());
        op.backwardDataReluMaxPool(dPooled, lastPooled, lastArgmax, weight(), geometry.sh(),
                geometry.sw(), geometry.pad().top(), geometry.pad().left(), geometry.output(), dx);
        return dx;
    }

    @Override
    public void backwardParameters(Tensor dPooled) {
        ShapeCheck.forwardDone(conv, input);
        ShapeCheck.gradient(conv, lastPooled.shape(), dPooled.shape());
        Parameter bias = conv.bias();
        op.backwardFilterReluMaxPool(input, dPooled, lastPooled, lastArgmax, geometry.sh(), geometry.sw(),
                geometry.pad().top(), geometry.pad().left(), geometry.output(), conv.weight().gradient(),
                bias == null ? null : bias.gradient());
    }

    private Tensor weight() {
        return conv.weight().value();
    }

    private Tensor bias() {
        return conv.bias() == null ? null : conv.bias().value();
    }

    @Override
    public void close() {
        pooled.close();
        argmax.close();
        inputGradient.close();
        input = null;
        lastPooled = null;
        lastArgmax = null;
    }
}
