package dev.strix.tensor;

/**
 * The in-place parameter updates of the optimizers, one fused pass over each parameter, so that a
 * device backend runs each update as a single kernel. The semantics are PyTorch's
 * {@code torch.optim.SGD}, {@code torch.optim.Adam} and {@code torch.optim.AdamW}, element by
 * element. All tensors are float32, contiguous, of one shape, and belong to this backend; the
 * gradient is only read.
 */
public interface OptimizerSteps {
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
     * @param firstStep whether {@code buf} is being set for the first time (its contents are then
     *     ignored), as PyTorch does when the buffer does not yet exist
     */
    void sgd(Tensor param, Tensor grad, Tensor momentumBuffer, float lr, float momentum, float dampening,
             boolean nesterov, float weightDecay, boolean firstStep);

    /**
     * Adam with bias correction as in Kingma and Ba (PyTorch's {@code Adam}, or {@code AdamW} when
     * {@code decoupled}), for the {@code step}-th update ({@code t = step >= 1}):
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
     * {@code p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)}, with the two
     * bias corrections computed in double precision once per call.
     *
     * @param m the first-moment estimate ({@code exp_avg}), updated in place
     * @param v the second-moment estimate ({@code exp_avg_sq}), updated in place
     */
    void adam(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
              float weightDecay, boolean decoupled, long step);
}
