package dev.strix.tensor;

/**
 * Classification losses, averaged over the batch of {@code N} rows of {@code K} classes. Targets
 * are int32 class indices {@code [N]}; the probability version also takes float32 one-hot (or
 * soft) targets {@code [N, K]}. Losses are written into a float32 scalar (shape {@code []}) so a
 * device backend need not synchronise to produce them.
 *
 * <p>A label outside {@code [0, K)} is refused with {@link IllegalArgumentException} before any
 * result is read: by the op itself on the CPU, at the next synchronisation point
 * ({@link Backend#synchronize}, {@link Backend#copyToHost}) on a device backend, which finds it in
 * a kernel and does not wait for the device inside the op.
 */
public interface Losses {
    /**
     * Fused, numerically stable softmax + cross-entropy on logits {@code z}:
     * {@code L = -1/N sum_n log softmax(z_n)[t_n]}, with {@code log softmax(z)_k = z_k - m -
     * log sum_j exp(z_j - m)}. Also writes the probabilities {@code softmax(z)} for the backward pass.
     */
    default void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probabilities, Tensor loss) {
        softmaxCrossEntropy(logits, labels, probabilities, loss, null);
    }

    /**
     * {@link #softmaxCrossEntropy(Tensor, Tensor, Tensor, Tensor)} that also adds the batch to a
     * running tally, a float32 vector {@code [2]} (null for none): {@code tally[0] += N * L} (the rows'
     * losses summed in double, then added in one float addition) and {@code tally[1] +=} the number of
     * rows whose largest logit (the first on ties, as {@link Reductions#argmax}) is at their label
     * (exact up to 2^24 rows). A training loop keeps its epoch's loss and accuracy on the device this
     * way, in the step's one loss op, and reads them back only when it shows them.
     */
    void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probabilities, Tensor loss, Tensor tally);

    /** {@code dL/dz = (p - onehot(t)) / N}. */
    void softmaxCrossEntropyBackward(Tensor probabilities, Tensor labels, Tensor dLogits);

    /** Categorical cross-entropy on probabilities: {@code L = -1/N sum_n sum_k t[n, k] log p[n, k]}. */
    void crossEntropy(Tensor probabilities, Tensor targets, Tensor loss);

    /** {@code dL/dp = -t / p / N}. */
    void crossEntropyBackward(Tensor probabilities, Tensor targets, Tensor dProbabilities);
}
