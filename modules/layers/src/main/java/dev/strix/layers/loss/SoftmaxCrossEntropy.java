package dev.strix.layers.loss;

import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.Objects;

/**
 * Softmax and cross-entropy fused, on logits {@code z} {@code [N, K]} with int32 class labels
 * {@code [N]}: {@code L = -1/N sum_n log softmax(z_n)[t_n]}, computed with the row maximum
 * subtracted so no logit can overflow, and {@code dL/dz = (softmax(z) - onehot(t)) / N}. The
 * default loss for classifiers: the model ends in logits, no softmax layer.
 */
public final class SoftmaxCrossEntropy implements Loss {
    private final Backend backend;
    private final Tensor loss;
    private Tensor probabilities;
    private Tensor gradient;
    private Tensor labels;

    public SoftmaxCrossEntropy(Backend backend) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.loss = backend.allocate(DType.F32, Shape.of());
    }

    @Override
    public Tensor forward(Tensor logits, Tensor labels) {
        return forward(logits, labels, null);
    }

    /**
     * {@link #forward(Tensor, Tensor)} that also adds the batch to {@code tally}, a float32 {@code [2]}
     * on the backend: the sum of the rows' losses and the number of rows whose largest logit is at
     * their label ({@link dev.strix.tensor.Losses#softmaxCrossEntropy(Tensor, Tensor, Tensor, Tensor,
     * Tensor)}), so an epoch's loss and accuracy need no read-back per step.
     */
    public Tensor forward(Tensor logits, Tensor labels, Tensor tally) {
        LossCheck.predictions("SoftmaxCrossEntropy", logits);
        LossCheck.labels("SoftmaxCrossEntropy", logits, labels);
        if (probabilities == null || !probabilities.shape().equals(logits.shape())) {
            close(probabilities, gradient);
            probabilities = backend.allocate(DType.F32, logits.shape());
            gradient = backend.allocate(DType.F32, logits.shape());
        }
        backend.losses().softmaxCrossEntropy(logits, labels, probabilities, loss, tally);
        this.labels = labels;
        return loss;
    }

    /** softmax(z) of the last forward pass, {@code [N, K]}. */
    public Tensor probabilities() {
        return probabilities;
    }

    @Override
    public Tensor backward() {
        LossCheck.forwardDone("SoftmaxCrossEntropy", labels);
        backend.losses().softmaxCrossEntropyBackward(probabilities, labels, gradient);
        return gradient;
    }

    private static void close(Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t != null) {
                t.close();
            }
        }
    }

    @Override
    public void close() {
        close(loss, probabilities, gradient);
        labels = null;
    }
}
