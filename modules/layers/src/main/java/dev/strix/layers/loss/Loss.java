package dev.strix.layers.loss;

import dev.strix.tensor.Tensor;

/**
 * A scalar training objective, averaged over the batch, with its gradient. The loss value stays a
 * one-element tensor on the backend (read it with {@code get()} when you want the number), so a
 * device backend need not synchronise every step. Returned tensors belong to the loss and are reused.
 */
public interface Loss extends AutoCloseable {
    /** The mean loss of {@code predictions} {@code [N, K]} against {@code targets}; a scalar tensor. */
    Tensor forward(Tensor predictions, Tensor targets);

    /** dL/d(predictions) of the last {@link #forward}, shaped like the predictions. */
    Tensor backward();

    @Override
    void close();
}
