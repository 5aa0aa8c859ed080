package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.ReduceOp;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * A fully connected layer, PyTorch's {@code Linear}: weights {@code [out, in]}, bias {@code [out]},
 * <pre>
 *   forward:  Y = X W^T + b                       X [N, in], Y [N, out]
 *   backward: dW = dY^T X,  db = sum_n dY[n],  dX = dY W
 * </pre>
 */
public final class Dense implements Layer {
    private final Backend backend;
    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;
    private final ReusableTensor output;
    private final ReusableTensor inputGradient;
    private Tensor input;

    /** {@code in -> out} with bias and PyTorch's default initialisation. */
    public Dense(Backend backend, int in, int out, RandomGenerator random) {
        this(backend, in, out, true, Init.PYTORCH_DEFAULT, random);
    }

    public Dense(Backend backend, int in, int out, boolean withBias, Init init, RandomGenerator random) {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("Dense sizes must be positive, got " + in + " -> " + out);
        }
        this.backend = Objects.requireNonNull(backend, "backend");
        this.in = in;
        this.out = out;
        Tensor w = backend.allocate(DType.F32, Shape.of(out, in));
        init.initialize(w, random);
        this.weight = new Parameter("weight", w);
        if (withBias) {
            Tensor b = backend.allocate(DType.F32, Shape.of(out));
            Init.bias(b, in, random);
            this.bias = new Parameter("bias", b);
        } else {
            this.bias = null;
        }
        this.output = new ReusableTensor(backend);
        this.inputGradient = new ReusableTensor(backend);
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias parameter, or null when the layer has none. */
    public Parameter bias() {
        return bias;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public String description() {
        return "Dense(" + in + " -> " + out + (bias == null ? ", no bias" : "") + ")";
    }

    @Override
    public Shape outputShape(Shape inputShape) {
        String expected = "[N, " + in + "]";
        ShapeCheck.rank(this, inputShape, 2, expected);
        if (inputShape.dim(1) != in) {
            throw ShapeCheck.mismatch(this, expected, inputShape);
        }
        return Shape.of(inputShape.dim(0), out);
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        Tensor y = output.get(outputShape(x.shape()));
        if (bias != null) {
            backend.copy(bias.value().unsqueeze(0).broadcastTo(x.dim(0), out), y);
        }
        backend.blas().gemm(false, true, 1f, x, weight.value(), bias == null ? 0f : 1f, y);
        input = x;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        ShapeCheck.forwardDone(this, input);
        ShapeCheck.gradient(this, Shape.of(input.dim(0), out), dy.shape());
        backend.blas().gemm(true, false, 1f, dy, input, 0f, weight.gradient());
        if (bias != null) {
            backend.reductions().reduce(ReduceOp.SUM, dy, new int[] {0}, bias.gradient());
        }
        Tensor dx = inputGradient.get(input.shape());
        backend.blas().gemm(false, false, 1f, dy, weight.value(), 0f, dx);
        return dx;
    }

    /** The weight and bias gradients only, without the {@code dY W} product. */
    @Override
    public void backwardParameters(Tensor dy) {
        ShapeCheck.forwardDone(this, input);
        ShapeCheck.gradient(this, Shape.of(input.dim(0), out), dy.shape());
        backend.blas().gemm(true, false, 1f, dy, input, 0f, weight.gradient());
        if (bias != null) {
            backend.reductions().reduce(ReduceOp.SUM, dy, new int[] {0}, bias.gradient());
        }
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
        output.close();
        inputGradient.close();
        input = null;
    }
}
