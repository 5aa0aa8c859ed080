package dev.strix.tensor;

/**
 * Reductions of float32 tensors. The output holds the kept axes in order; it may either drop the
 * reduced axes or keep them with size 1. Accumulation is in double precision on the CPU.
 */
public interface Reductions {
    /** {@code out = op over axes of x}. An empty {@code axes} reduces nothing (a copy). */
    void reduce(ReduceOp op, Tensor x, int[] axes, Tensor out);

    /** Index (int32) of the largest element along {@code axis}; the first one on ties. */
    void argmax(Tensor x, int axis, Tensor out);
}
