package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Tensor;

/**
 * {@link ConvAlgorithm#CUDNN}: each pass is one op of the backend's
 * {@link dev.strix.tensor.DirectConvolution} (cuDNN on the CUDA backend, whose algorithm cuDNN
 * measures once per shape; reference loops on the CPU). It takes symmetric padding only.
 */
final class DirectConvolutionPath implements ConvolutionPath {
    private final Backend backend;

    DirectConvolutionPath(Backend backend) {
        this.backend = backend;
    }

    @Override
    public void forward(Tensor x, Tensor weight, Tensor bias, ConvGeometry g, Tensor z) {
        requireSymmetric(g);
        backend.directConvolution().forward(x, weight, bias, g.sh(), g.sw(), g.pad().top(), g.pad().left(), z);
    }

    @Override
    public void backward(Tensor x, Tensor weight, Tensor dz, ConvGeometry g, Tensor dWeight, Tensor dBias,
                         Tensor dx) {
        requireSymmetric(g);
        if (dBias != null) {
            backend.directConvolution().backwardBias(dz, dBias);
        }
        if (dWeight != null) {
            backend.directConvolution().backwardFilter(x, dz, g.sh(), g.sw(), g.pad().top(), g.pad().left(), dWeight);
        }
        if (dx != null) {
            backend.directConvolution().backwardData(dz, weight, g.sh(), g.sw(), g.pad().top(), g.pad().left(), dx);
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
        // Holds nothing: the backend keeps cuDNN's plans and workspace.
    }
}
