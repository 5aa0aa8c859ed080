package dev.strix.tensor;

/**
 * Max pooling over the last two axes of NCHW float32 tensors, without padding:
 * <pre>
 *   out[n, c, y, x] = max over i &lt; kh, j &lt; kw of x[n, c, y*sh + i, x*sw + j]
 * </pre>
 * with {@code OH = (H - kh) / sh + 1}, {@code OW = (W - kw) / sw + 1}. The forward pass records
 * where each maximum came from, so the backward pass routes each gradient to that one element.
 */
public interface Pooling {
    /**
     * Writes the window maxima into {@code out} {@code [N, C, OH, OW]} and, into the int32 tensor
     * {@code argmax} of the same shape, the position of each maximum within its input plane
     * ({@code row * W + column}); the first maximum in row-major window order wins ties.
     */
    void maxPoolForward(Tensor x, int kh, int kw, int sh, int sw, Tensor out, Tensor argmax);

    /**
     * Overwrites {@code dx} {@code [N, C, H, W]} with zeros, then adds each {@code dOut[n, c, y, x]}
     * to {@code dx[n, c, argmax[n, c, y, x]]} (overlapping windows accumulate).
     */
    void maxPoolBackward(Tensor dOut, Tensor argmax, Tensor dx);
}
