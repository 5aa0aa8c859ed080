package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.UnaryOp;
import java.util.Objects;

/** {@code y = x > 0 ? x : 0} (so NaN gives 0, on every backend); {@code dx = dy} where {@code y > 0}, else 0. Any shape. */
public final class ReLU implements Layer {
    private final Backend backend;
    private final ReusableTensor output;
    private final ReusableTensor inputGradient;
    private Tensor y;

    public ReLU(Backend backend) {
        this.backend = Objects.requireNonNull(backend, "backend");
        ActivationLayout layout = ActivationLayout.configured();
        this.output = ReusableTensor.activations(backend, layout);
        this.inputGradient = ReusableTensor.activations(backend, layout);
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public String description() {
        return "ReLU";
    }

    @Override
    public Shape outputShape(Shape inputShape) {
        return inputShape;
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        y = output.get(x.shape());
        backend.elementwise().unary(UnaryOp.RELU, x, y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        ShapeCheck.forwardDone(this, y);
        ShapeCheck.gradient(this, y.shape(), dy.shape());
        Tensor dx = inputGradient.get(y.shape());
        backend.activation().reluBackward(y, dy, dx);
        return dx;
    }

    @Override
    public void close() {
        output.close();
        inputGradient.close();
        y = null;
    }
}
