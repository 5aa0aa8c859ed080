package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.BatchNormRelu;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Batch normalisation per channel (axis 1) with learnable scale {@code weight} (gamma, ones at
 * first) and shift {@code bias} (beta, zeros), PyTorch semantics:
 * <ul>
 *   <li>training: normalise with the batch mean and biased variance, then update
 *       {@code running = (1 - momentum) * running + momentum * batch} using the unbiased variance
 *       for {@code running_var};</li>
 *   <li>evaluation: normalise with {@code running_mean} and {@code running_var} (zeros and ones at first).</li>
 * </ul>
 * The running statistics are non-trainable {@link #buffers()}, named as in PyTorch's state_dict.
 * The input may have any layout the normalisation takes; the input gradient comes back in the
 * input's layout when that is channel-major (a convolution's batch-matrix output, see
 * {@link Conv2D}), in the model's activation layout otherwise.
 */
public abstract sealed class BatchNorm implements Layer permits BatchNorm1D, BatchNorm2D {
    /** PyTorch's defaults. */
    public static final float DEFAULT_MOMENTUM = 0.1f;
    public static final float DEFAULT_EPSILON = 1e-5f;

    private final Backend backend;
    private final int channels;
    private final float momentum;
    private final float epsilon;
    private final Parameter weight;
    private final Parameter bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor savedMean;
    private final Tensor savedInvStd;
    private final ReusableTensor output;
    private final ReusableTensor inputGradient;
    private Tensor input;
    private Mode lastMode;

    BatchNorm(Backend backend, int channels, float momentum, float epsilon) {
        if (channels < 1 || !(momentum >= 0 && momentum <= 1) || !(epsilon > 0)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " needs channels >= 1, momentum in [0, 1]"
                    + " and epsilon > 0, got " + channels + ", " + momentum + ", " + epsilon);
        }
        this.backend = Objects.requireNonNull(backend, "backend");
        this.channels = channels;
        this.momentum = momentum;
        this.epsilon = epsilon;
        Shape c = Shape.of(channels);
        this.weight = new Parameter("weight", backend.allocate(DType.F32, c).fill(1f));
        this.bias = new Parameter("bias", backend.allocate(DType.F32, c));
        this.runningMean = backend.allocate(DType.F32, c);
        this.runningVar = backend.allocate(DType.F32, c).fill(1f);
        this.savedMean = backend.allocate(DType.F32, c);
        this.savedInvStd = backend.allocate(DType.F32, c);
        ActivationLayout layout = ActivationLayout.configured();
        this.output = ReusableTensor.activations(backend, layout);
        this.inputGradient = ReusableTensor.activations(backend, layout);
    }

    /** The input layout this flavour accepts, e.g. {@code [N, 8, H, W]}; fails naming the layer otherwise. */
    abstract void checkInput(Shape inputShape);

    public int channels() {
        return channels;
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    public Tensor runningMean() {
        return runningMean;
    }

    public Tensor runningVar() {
        return runningVar;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public String description() {
        return getClass().getSimpleName() + "(" + channels + ")";
    }

    @Override
    public Shape outputShape(Shape inputShape) {
        checkInput(inputShape);
        return inputShape;
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        Tensor y = output.get(outputShape(x.shape()));
        if (mode == Mode.TRAINING) {
            backend.normalization().batchNormTraining(x, weight.value(), bias.value(), momentum, epsilon, runningMean,
                    runningVar, y, savedMean, savedInvStd);
        } else {
            backend.normalization().batchNormInference(x, weight.value(), bias.value(), runningMean, runningVar,
                    epsilon, y);
        }
        input = x;
        lastMode = mode;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        Tensor dx = checkedInputGradient(dy);
        backend.normalization().batchNormBackward(input, dy, weight.value(), savedMean, savedInvStd, dx,
                weight.gradient(), bias.gradient());
        return dx;
    }

    /**
     * {@link #forward} followed by a ReLU, in the passes of the normalisation alone (for
     * {@link BatchNormReluPass}); the output buffer holds the ReLU's output.
     */
    Tensor forwardRelu(Tensor x, Mode mode, BatchNormRelu op) {
        Tensor y = output.get(outputShape(x.shape()));
        if (mode == Mode.TRAINING) {
            op.batchNormReluTraining(x, weight.value(), bias.value(), momentum, epsilon, runningMean, runningVar, y,
                    savedMean, savedInvStd);
        } else {
            op.batchNormReluInference(x, weight.value(), bias.value(), runningMean, runningVar, epsilon, y);
        }
        input = x;
        lastMode = mode;
        return y;
    }

    /** {@link #backward} for {@code dy}, the gradient of the ReLU output {@code y} of the last {@link #forwardRelu}. */
    Tensor backwardRelu(Tensor y, Tensor dy, BatchNormRelu op) {
        Tensor dx = checkedInputGradient(dy);
        op.batchNormReluBackward(input, y, dy, weight.value(), savedMean, savedInvStd, dx, weight.gradient(),
                bias.gradient());
        return dx;
    }

    /** The input-gradient buffer, once the last forward pass and {@code dy}'s shape are checked. */
    private Tensor checkedInputGradient(Tensor dy) {
        ShapeCheck.forwardDone(this, input);
        if (lastMode != Mode.TRAINING) {
            throw new IllegalStateException(description() + ": backward needs a TRAINING forward pass (it"
                    + " differentiates through the batch statistics), but the last forward ran in " + lastMode);
        }
        ShapeCheck.gradient(this, input.shape(), dy.shape());
        return inputGradient.like(input);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(weight, bias);
    }

    @Override
    public Map<String, Tensor> buffers() {
        Map<String, Tensor> b = new LinkedHashMap<>();
        b.put("running_mean", runningMean);
        b.put("running_var", runningVar);
        return b;
    }

    @Override
    public void close() {
        weight.close();
        bias.close();
        runningMean.close();
        runningVar.close();
        savedMean.close();
        savedInvStd.close();
        output.close();
        inputGradient.close();
        input = null;
    }
}
