package dev.strix.layers;

import dev.strix.tensor.Tensor;
import java.util.List;

/**
 * Consecutive layers that {@link Sequential} runs as one pass, where the backend has the fused op:
 * the layers keep their parameters, names and descriptions, only the trips through memory (and,
 * on a device, the launches) between them disappear. Outputs and input gradients are those of the
 * layers run one by one.
 */
interface FusedPass extends AutoCloseable {
    /** How many of the model's layers this pass stands for. */
    int layerCount();

    /** What the pass fuses and how, e.g. {@code "dense + ReLU"}. */
    String description();

    Tensor forward(Tensor x, Mode mode);

    /** dL/dInput, and the parameter gradients, for {@code dOutput} of the last forward. */
    Tensor backward(Tensor dOutput);

    /** The parameter gradients only (the model's first layers: dL/dInput is not needed). */
    void backwardParameters(Tensor dOutput);

    @Override
    void close();

    /**
     * The fused pass that starts at {@code layers.get(i)}, or null: conv + ReLU + 2x2 pool through
     * the implicit-GEMM convolution ({@link ConvReluMaxPool}) or through any convolution followed by
     * the bias-ReLU-pool epilogue ({@link ConvBiasReluMaxPool}); dense + ReLU ({@link DenseRelu});
     * ReLU + 2x2 pool ({@link ReluMaxPool}, what follows a batch norm); batch norm + ReLU
     * ({@link BatchNormReluPass}).
     * None when {@link Sequential#FUSION_PROPERTY} is {@code false}.
     */
    static FusedPass startingAt(List<Layer> layers, int i) {
        if ("false".equals(System.getProperty(Sequential.FUSION_PROPERTY))) {
            return null;
        }
        if (i + 2 < layers.size()) {
            Layer a = layers.get(i);
            Layer b = layers.get(i + 1);
            Layer c = layers.get(i + 2);
            FusedPass pass = ConvReluMaxPool.of(a, b, c);
            if (pass == null) {
                pass = ConvBiasReluMaxPool.of(a, b, c);
            }
            if (pass != null) {
                return pass;
            }
        }
        if (i + 1 < layers.size()) {
            FusedPass pass = DenseRelu.of(layers.get(i), layers.get(i + 1));
            if (pass == null) {
                pass = ReluMaxPool.of(layers.get(i), layers.get(i + 1));
            }
            // A ReLU followed by max pooling already runs after the pooling, on a quarter of the values
            // (see Sequential); folded into the batch norm it would cost two reads of the full-size
            // output in the backward pass instead.
            boolean pooledNext = i + 2 < layers.size() && layers.get(i + 2) instanceof MaxPool2D;
            return pass != null || pooledNext ? pass : BatchNormReluPass.of(layers.get(i), layers.get(i + 1));
        }
        return null;
    }
}
