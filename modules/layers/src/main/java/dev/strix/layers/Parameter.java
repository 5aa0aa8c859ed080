package dev.strix.layers;

import dev.strix.tensor.Tensor;

/**
 * A trainable tensor, its gradient (same shape, written by the owning layer's backward pass) and a
 * stable name such as {@code "0.weight"}, which checkpoints use and which matches the name of the
 * same tensor in the equivalent PyTorch module's {@code state_dict}.
 */
public final class Parameter implements AutoCloseable {
    private final String name;
    private final Tensor value;
    private final Tensor gradient;

    /** Takes ownership of {@code value}; allocates a zero gradient of the same shape beside it. */
    public Parameter(String name, Tensor value) {
        this.name = name;
        this.value = value;
        this.gradient = value.backend().allocate(value.dtype(), value.shape());
    }

    public String name() {
        return name;
    }

    public Tensor value() {
        return value;
    }

    public Tensor gradient() {
        return gradient;
    }

    /** The same tensors under another name (a model prefixes its layers' parameter names). */
    public Parameter renamed(String newName) {
        return new Parameter(newName, value, gradient);
    }

    private Parameter(String name, Tensor value, Tensor gradient) {
        this.name = name;
        this.value = value;
        this.gradient = gradient;
    }

    @Override
    public void close() {
        value.close();
        gradient.close();
    }

    @Override
    public String toString() {
        return "Parameter(" + name + ", " + value.dtype() + value.shape() + ")";
    }
}
