package dev.strix.tensor;

/**
 * Batch normalisation of float32 tensors {@code [N, C, ...]} per channel (axis 1), over the batch
 * and every axis after the channel: {@code [N, C]} for dense layers, {@code [N, C, H, W]} for
 * convolutions. With {@code M} values per channel:
 * <pre>
 *   mean = sum(x) / M,  var = sum((x - mean)^2) / M,  invStd = 1 / sqrt(var + epsilon)
 *   y = gamma * (x - mean) * invStd + beta
 * </pre>
 * Channel vectors ({@code gamma}, {@code beta}, running and saved statistics) are {@code [C]}.
 */
public interface Normalization {
    /**
     * Normalises with the batch statistics, saves {@code mean} and {@code invStd} for the backward
     * pass, and updates the running statistics as PyTorch does:
     * {@code running = (1 - momentum) * running + momentum * batch}, where the batch variance
     * in the running variance is the unbiased one, {@code var * M / (M - 1)}.
     */
    void batchNormTraining(Tensor x, Tensor gamma, Tensor beta, float momentum, float epsilon,
                           Tensor runningMean, Tensor runningVar, Tensor out, Tensor savedMean, Tensor savedInvStd);

    /** Normalises with the running statistics: {@code y = gamma * (x - runningMean) / sqrt(runningVar + eps) + beta}. */
    void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                            float epsilon, Tensor out);

    /**
     * Gradients of a training-mode forward pass, with {@code xhat = (x - mean) * invStd}:
     * <pre>
     *   dBeta  = sum(dy),  dGamma = sum(dy * xhat)
     *   dx     = gamma * invStd / M * (M * dy - dBeta - xhat * dGamma)
     * </pre>
     */
    void batchNormBackward(Tensor x, Tensor dOut, Tensor gamma, Tensor savedMean, Tensor savedInvStd,
                           Tensor dx, Tensor dGamma, Tensor dBeta);
}
