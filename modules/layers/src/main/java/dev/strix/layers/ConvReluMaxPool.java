package dev.strix.layers;

import dev.strix.tensor.ImplicitGemmConvolution;
import dev.strix.tensor.Tensor;

/**
 * {@link Conv2D} (im2col + GEMM), {@link ReLU} and a 2x2, stride-2 {@link MaxPool2D} run by
 * {@link Sequential} as one pass on a backend whose {@link ImplicitGemmConvolution} fuses them:
 * <pre>
 *   P = max-pool(ReLU(conv(X)))                    forward; the full-size Z never goes through memory
 *   dZ[argmax] = dP where P > 0, zero elsewhere      backward, rebuilt image by image on the heap
 * </pre>
 * The numbers are exactly those of the three layers run one by one (the pooling commutes with the
 * ReLU, and the same products run in the same order); only the passes over the full-size Z and
 * dL/dZ disappear. The three layers keep their parameters, names and descriptions.
 */
final class ConvReluMaxPool extends ConvPoolPass {
    private final ImplicitGemmConvolution op;

    private ConvReluMaxPool(Conv2D conv, ImplicitGemmConvolution op) {
        super(conv);
        this.op = op;
    }

    /**
     * The fused pass for layers {@code a, b, c}, or null when they are not a Conv2D using
     * {@link ConvAlgorithm#IM2COL_GEMM}, a ReLU and a 2x2 stride-2 max pooling, or the backend has no
     * implicit-GEMM convolution.
     */
    static ConvReluMaxPool of(Layer a, Layer b, Layer c) {
        Conv2D conv = convReluPool(a, b, c);
        if (conv == null || !(conv.path() instanceof Im2colConvolution path && path.implicitGemm())) {
            return null;
        }
        return conv.backend().implicitGemmConvolution().map(op -> new ConvReluMaxPool(conv, op)).orElse(null);
    }

    @Override
    public String description() {
        return "conv + ReLU + 2x2 max pool (implicit GEMM)";
    }

    @Override
    void pool(Tensor x, ConvGeometry g, Tensor pooled, Tensor argmax) {
        op.forwardReluMaxPool(x, weight(), bias(), g.sh(), g.sw(), g.pad().top(), g.pad().left(), g.output(), pooled,
                argmax);
    }

    @Override
    void backwardInto(Tensor dPooled, Tensor dx) {
        ConvGeometry g = geometry;
        op.backwardFilterReluMaxPool(input, dPooled, lastPooled, lastArgmax, g.sh(), g.sw(), g.pad().top(),
                g.pad().left(), g.output(), conv.weight().gradient(), biasGradient());
        if (dx != null) {
            op.backwardDataReluMaxPool(dPooled, lastPooled, lastArgmax, weight(), g.sh(), g.sw(), g.pad().top(),
                    g.pad().left(), g.output(), dx);
        }
    }
}
