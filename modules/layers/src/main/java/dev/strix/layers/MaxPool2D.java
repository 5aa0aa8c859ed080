package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.BiasReluEpilogue;
import dev.strix.tensor.DType;
import dev.strix.tensor.DirectPooling;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.Objects;

/**
 * Max pooling over {@code kh x kw} windows taken with stride {@code (sh, sw)}, no padding
 * ({@code OH = (H - kh) / sh + 1}, as PyTorch's {@code MaxPool2d} without ceil mode). With
 * {@link PoolingAlgorithm#ARGMAX} (the default) the forward pass stores the argmax of every window
 * and the backward pass routes each gradient to it alone; with {@link PoolingAlgorithm#CUDNN} the
 * backward pass finds each window's maximum again from the input and output it keeps.
 */
public final class MaxPool2D implements Layer {
    private final Backend backend;
    private final int kh;
    private final int kw;
    private final int sh;
    private final int sw;
    private final PoolingAlgorithm algorithm;
    private final DirectPooling direct;
    private final ReusableTensor output;
    private final ReusableTensor argmax;
    private final ReusableTensor inputGradient;
    /** A fused pass's input or gradient copied into this layer's layout, where a neighbour's differs. */
    private final ReusableTensor layoutCopy;
    private Shape inputShape;
    private Tensor indices;
    private Tensor input;
    private Tensor lastOutput;

    /** A {@code size x size} window with stride {@code size}. */
    public MaxPool2D(Backend backend, int size) {
        this(backend, size, size, size, size);
    }

    /** A {@code size x size} window with stride {@code size}, pooled by {@code algorithm}. */
    public MaxPool2D(Backend backend, int size, PoolingAlgorithm algorithm) {
        this(backend, size, size, size, size, algorithm);
    }

    public MaxPool2D(Backend backend, int kh, int kw, int sh, int sw) {
        this(backend, kh, kw, sh, sw, PoolingAlgorithm.ARGMAX);
    }

    /**
     * @throws IllegalArgumentException for a window or stride below 1, or {@link PoolingAlgorithm#CUDNN}
     *     on a backend without {@link DirectPooling}
     */
    public MaxPool2D(Backend backend, int kh, int kw, int sh, int sw, PoolingAlgorithm algorithm) {
        if (kh < 1 || kw < 1 || sh < 1 || sw < 1) {
            throw new IllegalArgumentException("MaxPool2D window and stride must be positive, got window " + kh + "x"
                    + kw + ", stride " + sh + "x" + sw);
        }
        this.backend = Objects.requireNonNull(backend, "backend");
        this.kh = kh;
        this.kw = kw;
        this.sh = sh;
        this.sw = sw;
        this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
        this.direct = algorithm == PoolingAlgorithm.CUDNN ? backend.directPooling().orElseThrow(
                () -> new IllegalArgumentException("MaxPool2D with PoolingAlgorithm.CUDNN needs a backend with"
                        + " DirectPooling; backend '" + backend.name() + "' has none")) : null;
        ActivationLayout layout = ActivationLayout.configured();
        this.output = ReusableTensor.activations(backend, layout);
        this.argmax = new ReusableTensor(backend, DType.I32, layout);
        this.inputGradient = ReusableTensor.activations(backend, layout);
        this.layoutCopy = ReusableTensor.activations(backend, layout);
    }

    /** Whether this is the 2x2 window with stride 2, argmax kept, that a fused convolution pass can pool. */
    boolean isTwoByTwoArgmaxPooling() {
        return kh == 2 && kw == 2 && sh == 2 && sw == 2 && algorithm == PoolingAlgorithm.ARGMAX;
    }

    public PoolingAlgorithm algorithm() {
        return algorithm;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public String description() {
        return "MaxPool2D(" + kh + "x" + kw + ", stride " + sh + "x" + sw
                + (algorithm == PoolingAlgorithm.ARGMAX ? "" : ", " + algorithm) + ")";
    }

    @Override
    public Shape outputShape(Shape in) {
        ShapeCheck.rank(this, in, 4, "[N, C, H, W] with H >= " + kh + ", W >= " + kw);
        if (in.dim(2) < kh || in.dim(3) < kw) {
            throw ShapeCheck.mismatch(this, "[N, C, H, W] with H >= " + kh + ", W >= " + kw, in);
        }
        return Shape.of(in.dim(0), in.dim(1), (in.dim(2) - kh) / sh + 1, (in.dim(3) - kw) / sw + 1);
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        Shape out = outputShape(x.shape());
        Tensor y = output.get(out);
        if (direct != null) {
            direct.maxPoolForward(x, kh, kw, sh, sw, y);
            // Kept for the backward pass, which reads both: the layers before and after write these
            // buffers only in their forward passes.
            input = x;
            lastOutput = y;
        } else {
            indices = argmax.get(out);
            backend.pooling().maxPoolForward(x, kh, kw, sh, sw, y, indices);
        }
        inputShape = x.shape();
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        ShapeCheck.forwardDone(this, inputShape);
        ShapeCheck.gradient(this, outputShape(inputShape), dy.shape());
        Tensor dx = inputGradient.get(inputShape);
        if (direct != null) {
            direct.maxPoolBackward(input, lastOutput, dy, kh, kw, sh, sw, dx);
        } else {
            backend.pooling().maxPoolBackward(dy, indices, kh, kw, sh, sw, dx);
        }
        return dx;
    }

    /**
     * {@code max(0, pooling of x)} with the argmax kept, for a {@link ReLU} just before this 2x2
     * stride-2 argmax pooling ({@link #isTwoByTwoArgmaxPooling}): one bias-free pass of the
     * epilogue. The same numbers as the ReLU and the pooling, in either order.
     */
    Tensor forwardRelu(Tensor x, BiasReluEpilogue epilogue) {
        Shape out = outputShape(x.shape());
        Tensor y = output.get(out);
        indices = argmax.get(out);
        epilogue.biasReluMaxPool(EpilogueLayout.like(backend, x, y, layoutCopy), null, y, indices);
        inputShape = x.shape();
        // Read by the backward pass (which passes no gradient where it is 0): the layers after
        // this one write it only in their forward passes.
        lastOutput = y;
        return y;
    }

    /** dL/dx for {@link #forwardRelu}'s output gradient {@code dy}: {@code dy} at each argmax where the output is positive. */
    Tensor backwardRelu(Tensor dy, BiasReluEpilogue epilogue) {
        ShapeCheck.forwardDone(this, inputShape);
        ShapeCheck.gradient(this, outputShape(inputShape), dy.shape());
        Tensor dx = inputGradient.get(inputShape);
        epilogue.biasReluMaxPoolBackward(EpilogueLayout.like(backend, dy, lastOutput, layoutCopy), lastOutput, indices,
                dx, null);
        return dx;
    }

    @Override
    public void close() {
        output.close();
        argmax.close();
        inputGradient.close();
        layoutCopy.close();
        inputShape = null;
        indices = null;
        input = null;
        lastOutput = null;
    }
}
