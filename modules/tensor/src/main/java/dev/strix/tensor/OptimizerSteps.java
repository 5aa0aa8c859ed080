package dev.strix.tensor;

import java.util.List;

/**
 * The in-place parameter updates of the optimizers, one fused pass over each parameter, so that a
 * device backend runs each update as a single kernel. The semantics are PyTorch's
 * {@code torch.optim.SGD}, {@code torch.optim.Adam} and {@code torch.optim.AdamW}, element by
 * element. All tensors are float32, contiguous, of one shape, and belong to this backend; the
 * gradient is only read.
 *
 * <p>What changes from step to step (the learning rate, and with Adam the bias corrections of the
 * step count) is not an argument but a small float32 tensor of <em>step scalars</em> on the
 * backend, read by the update when it runs. The optimizer rewrites that tensor before each step
 * ({@link #sgdScalars}, {@link #adamScalars}); the update op itself is then the same call every
 * step, so a device may record it once (a CUDA graph) and replay it.
 *
 * <p>{@link #sgdAll} and {@link #adamAll} update a whole {@link ParameterGroup} in one op: the same
 * arithmetic, element by element, as {@link #sgd} and {@link #adam} on each parameter in turn (the
 * same bits), but a device runs it as one kernel launch over all the tensors instead of one per
 * parameter. Their default implementations are that loop, which is what the CPU runs.
 */
public interface OptimizerSteps {
    /** Length of SGD's step scalars: {@code {lr}}. */
    int SGD_SCALARS = 1;
    /** Length of Adam's step scalars: {@code {lr / (1 - beta1^t), sqrt(1 - beta2^t), shrink}}. */
    int ADAM_SCALARS = 3;

    /** Writes SGD's step scalars for rate {@code lr} into {@code out[0 .. SGD_SCALARS)}. */
    static void sgdScalars(float lr, float[] out) {
        out[0] = lr;
    }

    /**
     * Writes Adam's step scalars for rate {@code lr} at update {@code step} (counting from 1) into
     * {@code out[0 .. ADAM_SCALARS)}: the step size {@code lr / (1 - beta1^t)} and
     * {@code sqrt(1 - beta2^t)}, both computed in double precision and rounded once to float, and
     * the AdamW shrink factor {@code 1 - lr * weightDecay} in float (1 for Adam).
     */
    static void adamScalars(float lr, float beta1, float beta2, float weightDecay, boolean decoupled, long step,
                            float[] out) {
        if (step < 1) {
            throw new IllegalArgumentException("adam step counts from 1, got " + step);
        }
        out[0] = (float) (lr / (1 - Math.pow(beta1, step)));
        out[1] = (float) Math.sqrt(1 - Math.pow(beta2, step));
        out[2] = decoupled ? 1f - lr * weightDecay : 1f;
    }

    /**
     * Stochastic gradient descent with optional momentum (PyTorch's {@code SGD}):
     *
     * <pre>
     * d = g + weightDecay * p
     * if momentum != 0:
     *     buf = firstStep ? d : momentum * buf + (1 - dampening) * d
     *     d   = nesterov ? d + momentum * buf : buf
     * p = p - lr * d
     * </pre>
     *
     * @param param the parameter {@code p}, updated in place
     * @param grad the gradient {@code g}, read only
     * @param momentumBuffer {@code buf}, updated in place; may be null when {@code momentum == 0}
     * @param scalars float32 {@code [SGD_SCALARS]}: {@code lr}, as {@link #sgdScalars} writes it
     * @param firstStep whether {@code buf} is being set for the first time (its contents are then
     *     ignored), as PyTorch does when the buffer does not yet exist
     */
    void sgd(Tensor param, Tensor grad, Tensor momentumBuffer, Tensor scalars, float momentum, float dampening,
             boolean nesterov, float weightDecay, boolean firstStep);

    /**
     * Adam with bias correction as in Kingma and Ba (PyTorch's {@code Adam}, or {@code AdamW} when
     * {@code decoupled}), for the {@code t}-th update ({@code t >= 1}):
     *
     * <pre>
     * if decoupled: p = p * (1 - lr * weightDecay)        (AdamW)
     * else:         g = g + weightDecay * p               (Adam, L2 penalty)
     * m = beta1 * m + (1 - beta1) * g
     * v = beta2 * v + (1 - beta2) * g * g
     * m_hat = m / (1 - beta1^t)
     * v_hat = v / (1 - beta2^t)
     * p = p - lr * m_hat / (sqrt(v_hat) + eps)
     * </pre>
     *
     * As PyTorch does, the last line is evaluated as
     * {@code p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)}; {@code lr} and
     * {@code t} enter only through the step scalars.
     *
     * @param m the first-moment estimate ({@code exp_avg}), updated in place
     * @param v the second-moment estimate ({@code exp_avg_sq}), updated in place
     * @param scalars float32 {@code [ADAM_SCALARS]}, as {@link #adamScalars} writes them for this
     *     {@code lr}, {@code t}, {@code weightDecay} and {@code decoupled}
     */
    void adam(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor scalars, float beta1, float beta2, float eps,
              float weightDecay, boolean decoupled);

    /**
     * Checks the tensors of a {@link ParameterGroup} and makes it, with whatever this backend keeps
     * beside it (a device's table of addresses). Done once, before the first step: on a device it
     * allocates, so a CUDA graph must not record it. Close the group before its tensors.
     *
     * @param states the state tensors by slot ({@code states.get(slot).get(i)} belongs to parameter
     *     {@code i}): none for plain SGD, {@code [momentum_buffer]} for SGD with momentum,
     *     {@code [exp_avg, exp_avg_sq]} for Adam
     */
    default ParameterGroup group(List<Tensor> parameters, List<Tensor> gradients, List<List<Tensor>> states) {
        return new ParameterGroup(parameters, gradients, states);
    }

    /**
     * {@link #sgd} on every parameter of {@code group}, in order, with the group's state slot 0 as
     * the momentum buffer (the group has one slot with momentum, none without).
     *
     * @param group made by this backend's {@link #group}
     */
    default void sgdAll(ParameterGroup group, Tensor scalars, float momentum, float dampening, boolean nesterov,
                        float weightDecay, boolean firstStep) {
        boolean useMomentum = momentum != 0f;
        group.requireSlots(useMomentum ? 1 : 0, useMomentum ? "sgdAll with momentum (momentum_buffer)"
                : "sgdAll without momentum");
        for (int i = 0; i < group.count(); i++) {
            sgd(group.parameter(i), group.gradient(i), useMomentum ? group.state(0, i) : null, scalars, momentum,
                    dampening, nesterov, weightDecay, firstStep);
        }
    }

    /**
     * {@link #adam} on every parameter of {@code group}, in order, with the group's state slots 0 and
     * 1 as {@code m} and {@code v}.
     *
     * @param group made by this backend's {@link #group}
     */
    default void adamAll(ParameterGroup group, Tensor scalars, float beta1, float beta2, float eps, float weightDecay,
                         boolean decoupled) {
        group.requireSlots(2, "adamAll (exp_avg, exp_avg_sq)");
        for (int i = 0; i < group.count(); i++) {
            adam(group.parameter(i), group.gradient(i), group.state(0, i), group.state(1, i), scalars, beta1, beta2,
                    eps, weightDecay, decoupled);
        }
    }
}
