package dev.strix.tensor;

/**
 * Activations whose backward passes need more than element-wise arithmetic. (ReLU's forward pass is
 * {@link Elementwise#unary} with {@link UnaryOp#RELU}.)
 */
public interface Activation {
    /** {@code dx = dOut} where {@code output > 0}, else 0; {@code output} is the ReLU's output (or input). */
    void reluBackward(Tensor output, Tensor dOut, Tensor dx);

    /**
     * Softmax of each row of {@code x} {@code [N, K]}: {@code y[n, k] = exp(x[n, k] - m) / sum_j
     * exp(x[n, j] - m)} with {@code m} the row maximum, so large logits cannot overflow.
     */
    void softmax(Tensor x, Tensor out);

    /**
     * Backward pass of a softmax through its Jacobian {@code J[i][j] = y_i (delta_ij - y_j)}, row by
     * row: {@code dx_i = sum_j J[j][i] dOut_j = y_i (dOut_i - sum_j y_j dOut_j)}.
     */
    void softmaxBackward(Tensor output, Tensor dOut, Tensor dx);
}
