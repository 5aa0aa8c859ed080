package dev.strix.layers;

import dev.strix.tensor.BatchNormRelu;
import dev.strix.tensor.Tensor;

/**
 * {@link BatchNorm} followed by {@link ReLU}, run by {@link Sequential} in the passes of the batch
 * norm alone ({@link BatchNormRelu}): {@code y = max(0, BN(x))} forward, and backward the batch
 * norm's gradient of {@code dy} masked by {@code y > 0}. The separate layers take one more pass
 * over {@code y} each way (on a GPU, one more launch). Same numbers as the two layers.
 */
final class BatchNormReluPass implements FusedPass {
    private final BatchNorm norm;
    private final BatchNormRelu op;
    private Tensor lastOutput;

    private BatchNormReluPass(BatchNorm norm, BatchNormRelu op) {
        this.norm = norm;
        this.op = op;
    }

    /** The fused pass for layers {@code a, b}, or null when they are not a BatchNorm and a ReLU or the backend lacks the op. */
    static BatchNormReluPass of(Layer a, Layer b) {
        if (a instanceof BatchNorm norm && b instanceof ReLU) {
            return norm.backend().batchNormRelu().map(op -> new BatchNormReluPass(norm, op)).orElse(null);
        }
        return null;
    }

    @Override
    public String description() {
        return "batch norm + ReLU";
    }

    @Override
    public int layerCount() {
        return 2;
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        lastOutput = norm.forwardRelu(x, mode, op);
        return lastOutput;
    }

    @Override
    public Tensor backward(Tensor dy) {
        ShapeCheck.forwardDone(norm, lastOutput);
        return norm.backwardRelu(lastOutput, dy, op);
    }

    /** The batch norm's gradients need its input gradient's passes anyway: the same as {@link #backward}. */
    @Override
    public void backwardParameters(Tensor dy) {
        backward(dy);
    }

    @Override
    public void close() {
        lastOutput = null;
    }
}
