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
}
