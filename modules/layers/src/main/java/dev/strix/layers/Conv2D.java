package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * 2-D convolution (cross-correlation) over NCHW input with weights {@code [out, in, kh, kw]} (PyTorch's
 * layout) and an optional bias {@code [out]}:
 * <pre>
 *   Z[n, o, y, x] = b[o] + sum over c, i, j of Xp[n, c, y*sh + i, x*sw + j] * W[o, c, i, j]
 * </pre>
 * where {@code Xp} is the input zero-padded as {@link Padding} says. The bias gradient is the sum of
 * dL/dZ over batch and positions; the weight and input gradients come from the chosen
 * {@link ConvAlgorithm}.
 *
 * <p>Inside a {@link Sequential} that follows it with a {@link BatchNorm}, the output is
 * channel-major ({@code [O, N, OH, OW]} in memory) where the algorithm runs faster so
 * ({@link ConvolutionPath#channelMajorOutput}: materialised im2col columns, one GEMM over the
 * batch); the batch norm reads that layout and hands its gradient back in it.
 */
public final class Conv2D implements Layer {
    private final Backend backend;
    private final int inChannels;
    private final int outChannels;
    private final int kh;
    private final int kw;
    private final int sh;
    private final int sw;
    private final Padding padding;
    private final ConvAlgorithm algorithm;
    private final Parameter weight;
    private final Parameter bias;
    private final ConvolutionPath path;
    private final ReusableTensor output;
    private final ReusableTensor inputGradient;
    /** Whether the next layer takes a channel-major output and returns its gradient so (a batch norm). */
    private boolean nextTakesChannelMajor;
    private final ActivationLayout activationLayout;
    private Tensor input;
    private ConvGeometry geometry;

    private Conv2D(Builder b, Backend backend, RandomGenerator random) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.inChannels = b.inChannels;
        this.outChannels = b.outChannels;
        this.kh = b.kh;
        this.kw = b.kw;
        this.sh = b.sh;
        this.sw = b.sw;
        this.padding = b.padding;
        this.algorithm = b.algorithm;
        this.nextTakesChannelMajor = b.channelMajorOutput;
        // Only cuDNN takes any layout; the other paths reshape their output into GEMM operands.
        this.activationLayout = algorithm == ConvAlgorithm.CUDNN ? ActivationLayout.configured() : ActivationLayout.NCHW;
        this.path = switch (algorithm) {
            case STRIDED_VIEW -> new StridedViewConvolution(backend);
            case IM2COL_GEMM -> new Im2colConvolution(backend);
            case CUDNN -> new DirectConvolutionPath(backend, activationLayout);
        };
        Tensor w = backend.allocate(DType.F32, Shape.of(outChannels, inChannels, kh, kw));
        b.init.initialize(w, random);
        this.weight = new Parameter("weight", w);
        if (b.bias) {
            Tensor t = backend.allocate(DType.F32, Shape.of(outChannels));
            Init.bias(t, Init.fanIn(w.shape()), random);
            this.bias = new Parameter("bias", t);
        } else {
            this.bias = null;
        }
        this.output = ReusableTensor.activations(backend, activationLayout);
        this.inputGradient = ReusableTensor.activations(backend, activationLayout);
    }

    /**
     * Lets the output be channel-major where the path prefers it: {@link Sequential} says so when the
     * next layer is a {@link BatchNorm}, which takes that layout and returns its gradient in it.
     */
    void nextTakesChannelMajor() {
        this.nextTakesChannelMajor = true;
    }

    /** The layout of this convolution's output and input gradient (and of a fused pass over it). */
    ActivationLayout activationLayout() {
        return activationLayout;
    }

    /** A convolution from {@code inChannels} to {@code outChannels}; set the rest on the builder. */
    public static Builder builder(int inChannels, int outChannels) {
        return new Builder(inChannels, outChannels);
    }

    /** Square {@code kernel}, stride 1, no padding, bias, PyTorch's initialisation, im2col + GEMM. */
    public Conv2D(Backend backend, int inChannels, int outChannels, int kernel, RandomGenerator random) {
        this(builder(inChannels, outChannels).kernel(kernel, kernel), backend, random);
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias parameter, or null when the layer has none. */
    public Parameter bias() {
        return bias;
    }

    public ConvAlgorithm algorithm() {
        return algorithm;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public String description() {
        return "Conv2D(" + inChannels + " -> " + outChannels + ", kernel " + kh + "x" + kw + ", stride " + sh + "x" + sw
                + ", padding " + padding + (bias == null && weight != null ? ", no bias" : "") + ")";
    }

    /** How this layer computes its convolution (for the fused passes of {@link Sequential}). */
    ConvolutionPath path() {
        return path;
    }

    /** The sizes of a forward pass on input of shape {@code in}, checked against this layer. */
    ConvGeometry geometry(Shape in) {
        String expected = "[N, " + inChannels + ", H, W]";
        ShapeCheck.rank(this, in, 4, expected);
        if (in.dim(1) != inChannels) {
            throw ShapeCheck.mismatch(this, expected, in);
        }
        Padding.Amounts p = padding.resolve(in.dim(2), in.dim(3), kh, kw, sh, sw);
        int hp = in.dim(2) + p.top() + p.bottom();
        int wp = in.dim(3) + p.left() + p.right();
        if (hp < kh || wp < kw) {
            throw new IllegalArgumentException(description() + ": input " + in + " padded to " + hp + "x" + wp
                    + " is smaller than the " + kh + "x" + kw + " kernel");
        }
        return new ConvGeometry(in.dim(0), inChannels, in.dim(2), in.dim(3), outChannels, kh, kw, sh, sw, p,
                (hp - kh) / sh + 1, (wp - kw) / sw + 1);
    }

    @Override
    public Shape outputShape(Shape inputShape) {
        return geometry(inputShape).output();
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        ConvGeometry g = geometry(x.shape());
        boolean channelMajor = nextTakesChannelMajor && path.channelMajorOutput(g);
        Tensor z = output.get(g.output(), channelMajor);
        path.forward(x, weight.value(), bias == null ? null : bias.value(), g, z);
        input = x;
        geometry = g;
        return z;
    }

    @Override
    public Tensor backward(Tensor dz) {
        Tensor dx = inputGradient.get(checkGradient(dz).input());
        backwardInto(dz, dx);
        return dx;
    }

    /** The weight and bias gradients only: no col2im or transposed correlation for dL/dX. */
    @Override
    public void backwardParameters(Tensor dz) {
        checkGradient(dz);
        backwardInto(dz, null);
    }

    /**
     * dL/dInput only, leaving the parameter gradients as they are: for a frozen layer, or to time
     * the input-gradient half of {@link #backward} on its own.
     */
    public Tensor backwardInput(Tensor dz) {
        Tensor dx = inputGradient.get(checkGradient(dz).input());
        path.backward(input, weight.value(), dz, geometry, null, null, dx);
        return dx;
    }

    private ConvGeometry checkGradient(Tensor dz) {
        ShapeCheck.forwardDone(this, input);
        ShapeCheck.gradient(this, geometry.output(), dz.shape());
        return geometry;
    }

    private void backwardInto(Tensor dz, Tensor dx) {
        path.backward(input, weight.value(), dz, geometry, weight.gradient(), bias == null ? null : bias.gradient(), dx);
    }

    @Override
    public List<Parameter> parameters() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }

    @Override
    public void close() {
        weight.close();
        if (bias != null) {
            bias.close();
        }
        path.close();
        output.close();
        inputGradient.close();
        input = null;
    }

    /** Configuration of a {@link Conv2D}; defaults: 3x3 kernel, stride 1, no padding, bias, IM2COL_GEMM. */
    public static final class Builder {
        private final int inChannels;
        private final int outChannels;
        private int kh = 3;
        private int kw = 3;
        private int sh = 1;
        private int sw = 1;
        private Padding padding = Padding.VALID;
        private boolean bias = true;
        private ConvAlgorithm algorithm = ConvAlgorithm.IM2COL_GEMM;
        private Init init = Init.PYTORCH_DEFAULT;
        private boolean channelMajorOutput;

        private Builder(int inChannels, int outChannels) {
            positive("channels", inChannels, outChannels);
            this.inChannels = inChannels;
            this.outChannels = outChannels;
        }

        public Builder kernel(int height, int width) {
            positive("kernel size", height, width);
            kh = height;
            kw = width;
            return this;
        }

        public Builder stride(int height, int width) {
            positive("stride", height, width);
            sh = height;
            sw = width;
            return this;
        }

        public Builder padding(Padding value) {
            padding = Objects.requireNonNull(value, "padding");
            return this;
        }

        /** Symmetric zero padding: {@code height} rows above and below, {@code width} columns each side. */
        public Builder padding(int height, int width) {
            return padding(Padding.of(height, width));
        }

        public Builder bias(boolean value) {
            bias = value;
            return this;
        }

        public Builder algorithm(ConvAlgorithm value) {
            algorithm = Objects.requireNonNull(value, "algorithm");
            return this;
        }

        public Builder init(Init value) {
            init = Objects.requireNonNull(value, "init");
            return this;
        }

        /**
         * Lets the output be channel-major (the {@code [N, O, OH, OW]} view of a contiguous
         * {@code [O, N, OH, OW]} buffer) where the algorithm runs faster so: {@code IM2COL_GEMM} with
         * materialised columns (a GPU) whose whole batch fits the column budget, which then runs each
         * pass as one GEMM over the batch. Backward takes dL/dZ in any layout, but only a channel-major
         * one keeps that form. Default false; a {@link Sequential} sets it where a batch norm follows.
         */
        public Builder channelMajorOutput(boolean value) {
            channelMajorOutput = value;
            return this;
        }

        /** The layer on {@code backend}, its weights drawn from {@code random}. */
        public Conv2D build(Backend backend, RandomGenerator random) {
            return new Conv2D(this, backend, random);
        }

        private static void positive(String what, int a, int b) {
            if (a < 1 || b < 1) {
                throw new IllegalArgumentException("Conv2D " + what + " must be positive, got " + a + " and " + b);
            }
        }
    }
}
