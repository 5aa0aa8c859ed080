package dev.strix.layers;

import dev.strix.tensor.BiasReluEpilogue;
import dev.strix.tensor.Tensor;

/**
 * {@link ReLU} followed by a 2x2, stride-2 {@link MaxPool2D} (argmax kept), run by {@link Sequential}
 * as one bias-free {@link BiasReluEpilogue} pass each way:
 * <pre>
 *   P, A = max-pool(max(0, X)) with argmax          (one pass over X)
 *   dX = dP at A where P &gt; 0, zero elsewhere        (one pass writing dX)
 * </pre>
 * where the separate layers pool and then apply the ReLU to the pooled values (see
 * {@link Sequential}), forward and backward: two passes each way, on a GPU two launches. Where the
 * ReLU follows a batch norm (the default model's blocks) this is what remains to fuse: the batch norm
 * before a pooling is not folded into the ReLU (see {@link FusedPass#startingAt}). Same numbers as
 * the two layers: the pooling only compares and the ReLU only clamps.
 */
final class ReluMaxPool implements FusedPass {
    private final MaxPool2D pool;
    private final BiasReluEpilogue epilogue;

    private ReluMaxPool(MaxPool2D pool, BiasReluEpilogue epilogue) {
        this.pool = pool;
        this.epilogue = epilogue;
    }

    /**
     * The fused pass for layers {@code a, b}, or null when they are not a ReLU and a 2x2 stride-2
     * argmax max pooling, or the backend has no bias-ReLU-pool epilogue.
     */
    static ReluMaxPool of(Layer a, Layer b) {
        if (a instanceof ReLU && b instanceof MaxPool2D pool && pool.isTwoByTwoArgmaxPooling()) {
            return pool.backend().biasReluEpilogue().map(op -> new ReluMaxPool(pool, op)).orElse(null);
        }
        return null;
    }

    @Override
    public String description() {
        return "ReLU + 2x2 max pool";
    }

    @Override
    public int layerCount() {
        return 2;
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        return pool.forwardRelu(x, epilogue);
    }

    @Override
    public Tensor backward(Tensor dOutput) {
        return pool.backwardRelu(dOutput, epilogue);
    }

    /** Neither layer has parameters: nothing to do when no input gradient is wanted. */
    @Override
    public void backwardParameters(Tensor dOutput) {
    }

    @Override
    public void close() {
        // The buffers are the pooling layer's, closed with it.
    }
}
