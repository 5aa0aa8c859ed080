package dev.strix.layers.loss;

import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.Objects;

/**
 * Categorical cross-entropy on probabilities {@code p} {@code [N, K]} (the output of a softmax):
 * {@code L = -1/N sum_n sum_k t[n, k] log p[n, k]}, {@code dL/dp = -t / p / N}. Targets are int32
 * class labels {@code [N]} (one-hot implied) or float32 one-hot or soft targets {@code [N, K]}.
 * {@code log 0} is not guarded: a zero probability on a target class gives an infinite loss.
 */
public final class CategoricalCrossEntropy implements Loss {
    private final Backend backend;
    private final Tensor loss;
    private Tensor gradient;
    private Tensor probabilities;
    private Tensor targets;

    public CategoricalCrossEntropy(Backend backend) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.loss = backend.allocate(DType.F32, Shape.of());
    }

    @Override
    public Tensor forward(Tensor probabilities, Tensor targets) {
        LossCheck.predictions("CategoricalCrossEntropy", probabilities);
        if (targets.dtype() == DType.I32) {
            LossCheck.labels("CategoricalCrossEntropy", probabilities, targets);
        } else if (!targets.shape().equals(probabilities.shape()) || targets.dtype() != DType.F32) {
            throw new IllegalArgumentException("CategoricalCrossEntropy: targets must be I32 labels ["
                    + probabilities.dim(0) + "] or F32 " + probabilities.shape() + " like the probabilities, got "
                    + targets.dtype() + targets.shape());
        }
        if (gradient == null || !gradient.shape().equals(probabilities.shape())) {
            if (gradient != null) {
                gradient.close();
            }
            gradient = backend.allocate(DType.F32, probabilities.shape());
        }
        backend.losses().crossEntropy(probabilities, targets, loss);
        this.probabilities = probabilities;
        this.targets = targets;
        return loss;
    }

    @Override
    public Tensor backward() {
        LossCheck.forwardDone("CategoricalCrossEntropy", targets);
        backend.losses().crossEntropyBackward(probabilities, targets, gradient);
        return gradient;
    }

    @Override
    public void close() {
        loss.close();
        if (gradient != null) {
            gradient.close();
        }
        probabilities = null;
        targets = null;
    }
}
