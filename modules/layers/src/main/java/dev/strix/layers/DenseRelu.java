package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.BiasReluEpilogue;
import dev.strix.tensor.Tensor;

/**
 * {@link Dense} followed by {@link ReLU}, run by {@link Sequential} as the product and one
 * {@link BiasReluEpilogue} pass each way:
 * <pre>
 *   Y = max(0, X W^T + b)                         forward: GEMM, then bias + ReLU in one pass
 *   dZ = dY where Y &gt; 0;  db = sum_n dZ[n]        backward: one pass, then the two GEMMs
 *   dW = dZ^T X,  dX = dZ W
 * </pre>
 * where the separate layers copy the bias into the output, run the GEMM onto it and the ReLU in
 * place, then the ReLU backward and a reduction for {@code db}. Same output and gradients up to the
 * order of the bias addition and of the bias-gradient sum.
 */
final class DenseRelu implements FusedPass {
    private final Dense dense;
    private final BiasReluEpilogue epilogue;
    private final ReusableTensor output;
    private final ReusableTensor outputGradient;
    private final ReusableTensor inputGradient;
    private Tensor input;
    private Tensor lastOutput;

    private DenseRelu(Dense dense, BiasReluEpilogue epilogue) {
        this.dense = dense;
        this.epilogue = epilogue;
        Backend backend = dense.backend();
        this.output = new ReusableTensor(backend);
        this.outputGradient = new ReusableTensor(backend);
        this.inputGradient = new ReusableTensor(backend);
    }

    /** The fused pass for layers {@code a, b}, or null when they are not a Dense and a ReLU or the backend lacks the op. */
    static DenseRelu of(Layer a, Layer b) {
        if (a instanceof Dense dense && b instanceof ReLU) {
            return dense.backend().biasReluEpilogue().map(op -> new DenseRelu(dense, op)).orElse(null);
        }
        return null;
    }

    @Override
    public String description() {
        return "dense + ReLU";
    }

    @Override
    public int layerCount() {
        return 2;
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        Tensor y = output.get(dense.outputShape(x.shape()));
        dense.backend().blas().gemm(false, true, 1f, x, dense.weight().value(), 0f, y);
        epilogue.biasRelu(y, bias(), y);
        input = x;
        lastOutput = y;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        Tensor dz = parameterGradients(dy);
        Tensor dx = inputGradient.get(input.shape());
        dense.backend().blas().gemm(false, false, 1f, dz, dense.weight().value(), 0f, dx);
        return dx;
    }

    @Override
    public void backwardParameters(Tensor dy) {
        parameterGradients(dy);
    }

    /** dL/dW and dL/db into the Dense's parameters; returns dL/dZ (before the ReLU). */
    private Tensor parameterGradients(Tensor dy) {
        ShapeCheck.forwardDone(dense, input);
        ShapeCheck.gradient(dense, lastOutput.shape(), dy.shape());
        Tensor dz = outputGradient.get(lastOutput.shape());
        Parameter bias = dense.bias();
        epilogue.biasReluBackward(lastOutput, dy, dz, bias == null ? null : bias.gradient());
        dense.backend().blas().gemm(true, false, 1f, dz, input, 0f, dense.weight().gradient());
        return dz;
    }

    private Tensor bias() {
        return dense.bias() == null ? null : dense.bias().value();
    }

    @Override
    public void close() {
        output.close();
        outputGradient.close();
        inputGradient.close();
        input = null;
        lastOutput = null;
    }
}
