package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.Objects;

/**
 * Softmax over the classes of {@code [N, K]}: {@code y_k = exp(x_k) / sum_j exp(x_j)}. Its
 * backward pass goes through the Jacobian, {@code dx_i = y_i (dy_i - sum_j y_j dy_j)}. For training
 * a classifier prefer {@link dev.strix.layers.loss.SoftmaxCrossEntropy} on logits, which fuses the
 * two and is numerically stable; this layer is for using softmax on its own (or with
 * {@link dev.strix.layers.loss.CategoricalCrossEntropy}).
 */
public final class Softmax implements Layer {
    private final Backend backend;
    private final ReusableTensor output;
    private final ReusableTensor inputGradient;
    private Tensor y;

    public Softmax(Backend backend) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.output = new ReusableTensor(backend);
        this.inputGradient = new ReusableTensor(backend);
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public String description() {
        return "Softmax";
    }

    @Override
    public Shape outputShape(Shape inputShape) {
        ShapeCheck.rank(this, inputShape, 2, "[N, K]");
        return inputShape;
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        y = output.get(outputShape(x.shape()));
        backend.activation().softmax(x, y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        ShapeCheck.forwardDone(this, y);
        ShapeCheck.gradient(this, y.shape(), dy.shape());
        Tensor dx = inputGradient.get(y.shape());
        backend.activation().softmaxBackward(y, dy, dx);
        return dx;
    }

    @Override
    public void close() {
        output.close();
        inputGradient.close();
        y = null;
    }
}
