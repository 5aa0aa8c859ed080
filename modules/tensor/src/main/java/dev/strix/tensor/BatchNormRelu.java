package dev.strix.tensor;

/**
 * Batch normalisation followed by ReLU, in the passes of {@link Normalization} alone: the ReLU is
 * applied as each normalised value is written, and its backward mask as each gradient is read.
 * With {@code BN} the maths of {@link Normalization}:
 * <pre>
 *   training   y = max(0, BN(x))  with the batch statistics, saving mean and invStd, updating the running ones
 *   inference  y = max(0, BN(x))  with the running statistics
 *   backward   g = dOut where y &gt; 0, else 0;  then dx, dGamma, dBeta = BN's backward for g
 * </pre>
 * These are the numbers of {@link Normalization}'s ops followed by a ReLU (for finite inputs); the
 * separate ops take one more pass over {@code y} forward and over the gradient backward (on a
 * device, one more launch each). Operands as in {@link Normalization}, plus {@code out} (the
 * forward's {@code y}) in the backward pass. Optional: a backend offers it through
 * {@link Backend#batchNormRelu()}.
 */
public interface BatchNormRelu {
    /** {@link Normalization#batchNormTraining}, then {@code out = max(0, out)}. */
    void batchNormReluTraining(Tensor x, Tensor gamma, Tensor beta, float momentum, float epsilon, Tensor runningMean,
                               Tensor runningVar, Tensor out, Tensor savedMean, Tensor savedInvStd);

    /** {@link Normalization#batchNormInference}, then {@code out = max(0, out)}. */
    void batchNormReluInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                float epsilon, Tensor out);

    /**
     * {@link Normalization#batchNormBackward} for the gradient {@code dOut} masked by the forward
     * output {@code out} ({@code dOut} where {@code out > 0}, else 0).
     */
    void batchNormReluBackward(Tensor x, Tensor out, Tensor dOut, Tensor gamma, Tensor savedMean, Tensor savedInvStd,
                               Tensor dx, Tensor dGamma, Tensor dBeta);
}
