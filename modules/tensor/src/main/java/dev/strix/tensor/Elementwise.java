package dev.strix.tensor;

/**
 * Element-wise float32 arithmetic. Inputs broadcast to the output's shape by numpy's rules (align
 * the last axes; size-1 axes repeat). The output may alias an input exactly (in-place update).
 */
public interface Elementwise {
    /** {@code out = op(x)}. */
    void unary(UnaryOp op, Tensor x, Tensor out);

    /** {@code out = op(a, b)}. */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    /** {@code out = op(a, scalar)}. */
    void scalar(BinaryOp op, Tensor a, float scalar, Tensor out);

    /** {@code y = alpha * x + beta * y}: the update most optimizers and accumulations need. */
    void axpby(float alpha, Tensor x, float beta, Tensor y);
}
