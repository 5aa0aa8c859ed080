package dev.strix.cuda;

import dev.strix.tensor.BatchNormRelu;
import dev.strix.tensor.Tensor;

/**
 * Batch normalisation + ReLU as {@link CudaNormalization}'s kernels with their ReLU flag set: the
 * forward kernels write {@code max(0, y)}, and the backward kernel reads the forward output and
 * masks the gradient as it reads it. So each op takes the launches of its {@link CudaNormalization}
 * counterpart alone (one, or with sliced channels three for training and two for backward), where
 * the separate ops add a ReLU pass; the operand checks (and views, strides, aliasing rules) are the
 * same, plus {@code out} in the backward pass, of the input's shape.
 */
final class CudaBatchNormRelu implements BatchNormRelu {
    private final CudaNormalization normalization;

    CudaBatchNormRelu(CudaNormalization normalization) {
        this.normalization = normalization;
    }

    @Override
    public void batchNormReluTraining(Tensor x, Tensor gamma, Tensor beta, float momentum, float epsilon,
                                      Tensor runningMean, Tensor runningVar, Tensor out, Tensor savedMean,
                                      Tensor savedInvStd) {
        normalization.training("batchNormReluTraining", true, x, gamma, beta, momentum, epsilon, runningMean,
                runningVar, out, savedMean, savedInvStd);
    }

    @Override
    public void batchNormReluInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                       float epsilon, Tensor out) {
        normalization.inference("batchNormReluInference", true, x, gamma, beta, runningMean, runningVar, epsilon,
                out);
    }

    @Override
    public void batchNormReluBackward(Tensor x, Tensor out, Tensor dOut, Tensor gamma, Tensor savedMean,
                                      Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta) {
        if (out == null) {
            throw new IllegalArgumentException("batchNormReluBackward needs the forward output, got null");
        }
        normalization.backward("batchNormReluBackward", x, out, dOut, gamma, savedMean, savedInvStd, dx, dGamma,
                dBeta);
    }
}
