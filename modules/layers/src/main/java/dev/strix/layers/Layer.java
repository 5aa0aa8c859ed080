package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * One differentiable step of a model, with its backward pass beside its forward pass.
 *
 * <p>The contract: {@link #forward} computes the output and keeps whatever {@link #backward} will
 * need (usually a reference to its input, so the input must stay unchanged until then);
 * {@code backward(dL/dOutput)} overwrites every parameter's gradient with dL/dParameter and returns
 * dL/dInput. Shapes include the batch axis first. Tensors returned by {@code forward} and
 * {@code backward} belong to the layer: they are reused by the next call with the same batch shape
 * and freed by {@link #close()}; callers never close them.
 *
 * <p>Layers call backend ops only, so the same layer runs on every backend.
 */
public interface Layer extends AutoCloseable {
    /** Where this layer's parameters live and its ops run. */
    Backend backend();

    /** A one-line description with the layer's configuration, e.g. {@code Dense(800 -> 10)}. */
    String description();

    /**
     * The output shape for an input of {@code inputShape}, or an {@link IllegalArgumentException}
     * naming this layer, the shape it expects and the shape it got. Lets a model be checked and
     * summarised before any data flows.
     */
    Shape outputShape(Shape inputShape);

    /** The output for {@code input}; keeps what {@link #backward} needs. */
    Tensor forward(Tensor input, Mode mode);

    /** Stores the parameter gradients and returns dL/dInput, given dL/dOutput of the last forward pass. */
    Tensor backward(Tensor dOutput);

    /**
     * Stores the parameter gradients of {@link #backward} without computing dL/dInput, for a layer
     * whose input needs no gradient: the first layer of a model, whose input is data. The default
     * runs {@code backward} and drops its result; layers whose input gradient costs real work
     * (convolution, dense) skip it.
     */
    default void backwardParameters(Tensor dOutput) {
        backward(dOutput);
    }

    /** Trainable tensors with their gradients and stable names ({@code "weight"}, {@code "bias"}). */
    default List<Parameter> parameters() {
        return List.of();
    }

    /**
     * Non-trainable state that checkpoints must save, by stable name in registration order (for
     * batch normalisation {@code "running_mean"} and {@code "running_var"}, as in PyTorch).
     */
    default Map<String, Tensor> buffers() {
        return Map.of();
    }

    /** Frees every tensor the layer owns: parameters, buffers, outputs and gradients. */
    @Override
    void close();
}
