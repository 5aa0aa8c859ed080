package dev.strix.tensor;

/**
 * Max pooling over the last two axes of NCHW float32 tensors, without padding:
 * <pre>
 *   out[n, c, y, x] = max over i &lt; kh, j &lt; kw of x[n, c, y*sh + i, x*sw + j]
 * </pre>
 * with {@code OH = (H - kh) / sh + 1}, {@code OW = (W - kw) / sw + 1}. The forward pass records
 * where each maximum came from, so the backward pass routes each gradient to that one element; it is
 * told the window too, so that it can gather each input's gradient from the windows that hold it
 * (no atomics, a fixed order) and check that every argmax lies in its window.
 */
public interface Pooling {
    /**
     * Writes the window maxima into {@code out} {@code [N, C, OH, OW]} and, into the int32 tensor
     * {@code argmax} of the same shape, the position of each maximum within its input plane
     * ({@code row * W + column}); the first maximum in row-major window order wins ties.
     */
    void maxPoolForward(Tensor x, int kh, int kw, int sh, int sw, Tensor out, Tensor argmax);

    /**
     * Overwrites {@code dx} {@code [N, C, H, W]} with the gradient routed back through the argmax of
     * the pooling with this window and stride:
     * <pre>
     *   dx[n, c, p] = sum over (y, x) with argmax[n, c, y, x] = p of dOut[n, c, y, x]
     * </pre>
     * summed in row-major order of (y, x), from zero (so every backend gives the same bits, also where
     * overlapping windows share a maximum); elements that are no window's maximum get 0.
     *
     * @throws IllegalArgumentException when the shapes do not belong to this window and stride, or an
     *     argmax lies outside its own window (a backend that checks on the device throws at its next
     *     synchronisation point)
     */
    void maxPoolBackward(Tensor dOut, Tensor argmax, int kh, int kw, int sh, int sw, Tensor dx);

    /**
     * The output shape {@code [N, C, (H - kh) / sh + 1, (W - kw) / sw + 1]} of pooling an
     * {@code [N, C, H, W]} input with this window and stride, which backends check their operands
     * against.
     *
     * @param op the op a refusal names ("maxPoolForward")
     * @param role what {@code input} is to that op ("input", "input gradient")
     * @throws IllegalArgumentException when the input is not rank 4, the window or stride is below 1,
     *     or the window does not fit the plane
     */
    static Shape outputShape(String op, String role, Shape input, int kh, int kw, int sh, int sw) {
        if (input.rank() != 4 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || kh > input.dim(2) || kw > input.dim(3)) {
            throw new IllegalArgumentException(op + ": window " + kh + "x" + kw + " with stride " + sh + "x" + sw
                    + " does not fit " + role + " " + input + " (needs [N, C, H, W])");
        }
        return Shape.of(input.dim(0), input.dim(1), (input.dim(2) - kh) / sh + 1, (input.dim(3) - kw) / sw + 1);
    }

    /**
     * {@link #outputShape}, and a refusal unless every one of {@code outputs} has it, which names
     * them ({@code names}, e.g. "output and argmax") and what they are.
     */
    static Shape requireOutputShapes(String op, String role, Shape input, int kh, int kw, int sh, int sw, String names,
                                     Shape... outputs) {
        Shape expected = outputShape(op, role, input, kh, kw, sh, sw);
        for (Shape output : outputs) {
            if (!output.equals(expected)) {
                StringBuilder got = new StringBuilder();
                for (int i = 0; i < outputs.length; i++) {
                    got.append(i == 0 ? "" : i == outputs.length - 1 ? " and " : ", ").append(outputs[i]);
                }
                throw new IllegalArgumentException(op + ": " + role + " " + input + " with window " + kh + "x" + kw
                        + " and stride " + sh + "x" + sw + " needs " + names + " " + expected + ", got " + got);
            }
        }
        return expected;
    }
}
