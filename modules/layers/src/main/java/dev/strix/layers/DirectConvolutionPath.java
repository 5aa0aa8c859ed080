package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Tensor;

/**
 * {@link ConvAlgorithm#CUDNN}: each pass is one op of the backend's
 * {@link dev.strix.tensor.DirectConvolution} (cuDNN on the CUDA backend, whose algorithm cuDNN
 * measures once per shape; reference loops on the CPU). It takes symmetric padding only.
 *
 * <p>With {@link ActivationLayout#NHWC} the weights go to cuDNN channels-last too (its NHWC filter
 * format, {@code [O, KH, KW, C]}): a copy of the weights each forward pass, and the weight gradient
 * computed channels-last and copied into the parameter's. The parameters themselves stay
 * {@code [O, C, KH, KW]} contiguous (PyTorch's layout, the optimizers' and checkpoints' layout).
 */
final class DirectConvolutionPath implements ConvolutionPath {
    private final Backend backend;
    private final ReusableTensor channelsLastWeight;
    private final ReusableTensor channelsLastWeightGradient;
    private Tensor weightForCudnn;

    DirectConvolutionPath(Backend backend, ActivationLayout layout) {
        this.backend = backend;
        this.channelsLastWeight = layout == ActivationLayout.NHWC ? ReusableTensor.activations(backend, layout) : null;
        this.channelsLastWeightGradient = layout == ActivationLayout.NHWC
                ? ReusableTensor.activations(backend, layout) : null;
    }

    @Override
    public void forward(Tensor x, Tensor weight, Tensor bias, ConvGeometry g, Tensor z) {
        requireSymmetric(g);
        weightForCudnn = weight;
        if (channelsLastWeight != null) {
            // Kept for the backward pass: the weights change only after it, in the optimizer step.
            weightForCudnn = channelsLastWeight.get(weight.shape());
            backend.copy(weight, weightForCudnn);
        }
        backend.directConvolution().forward(x, weightForCudnn, bias, g.sh(), g.sw(), g.pad().top(), g.pad().left(), z);
    }

    @Override
    public void backward(Tensor x, Tensor weight, Tensor dz, ConvGeometry g, Tensor dWeight, Tensor dBias,
                         Tensor dx) {
        requireSymmetric(g);
        if (dBias != null) {
            backend.directConvolution().backwardBias(dz, dBias);
        }
        if (dWeight != null) {
            Tensor dw = channelsLastWeightGradient == null ? dWeight : channelsLastWeightGradient.get(dWeight.shape());
            backend.directConvolution().backwardFilter(x, dz, g.sh(), g.sw(), g.pad().top(), g.pad().left(), dw);
            if (dw != dWeight) {
                backend.copy(dw, dWeight);
            }
        }
        if (dx != null) {
            Tensor w = channelsLastWeight == null ? weight : weightForCudnn;
            backend.directConvolution().backwardData(dz, w, g.sh(), g.sw(), g.pad().top(), g.pad().left(), dx);
        }
    }

    private static void requireSymmetric(ConvGeometry g) {
        if (g.pad().top() != g.pad().bottom() || g.pad().left() != g.pad().right()) {
            throw new IllegalArgumentException("ConvAlgorithm.CUDNN takes symmetric padding only, got " + g.pad()
                    + " for input " + g.input() + "; use IM2COL_GEMM or STRIDED_VIEW");
        }
    }

    @Override
    public void close() {
        // The backend keeps cuDNN's plans and workspace.
        if (channelsLastWeight != null) {
            channelsLastWeight.close();
            channelsLastWeightGradient.close();
        }
    }
}
