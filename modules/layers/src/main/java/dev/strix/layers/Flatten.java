package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.Objects;

/**
 * {@code [N, d1, d2, ...] -> [N, d1*d2*...]} in row-major order (so {@code [N, C, H, W]} flattens as
 * PyTorch's {@code nn.Flatten} does). A contiguous input is reshaped without copying.
 */
public final class Flatten implements Layer {
    private final Backend backend;
    private final ReusableTensor output;
    private final ReusableTensor inputGradient;
    private Shape inputShape;

    public Flatten(Backend backend) {
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
        return "Flatten";
    }

    @Override
    public Shape outputShape(Shape in) {
        if (in.rank() < 1) {
            throw ShapeCheck.mismatch(this, "[N, ...]", in);
        }
        return Shape.of(in.dim(0), Math.toIntExact(in.size() / Math.max(1, in.dim(0))));
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        Shape out = outputShape(x.shape());
        inputShape = x.shape();
        return reshaped(x, out, output);
    }

    @Override
    public Tensor backward(Tensor dy) {
        ShapeCheck.forwardDone(this, inputShape);
        ShapeCheck.gradient(this, outputShape(inputShape), dy.shape());
        return reshaped(dy, inputShape, inputGradient);
    }

    private Tensor reshaped(Tensor t, Shape shape, ReusableTensor buffer) {
        if (t.isContiguous()) {
            return t.reshape(shape.dims());
        }
        Tensor copy = buffer.get(t.shape());
        backend.copy(t, copy);
        return copy.reshape(shape.dims());
    }

    @Override
    public void close() {
        output.close();
        inputGradient.close();
        inputShape = null;
    }
}
