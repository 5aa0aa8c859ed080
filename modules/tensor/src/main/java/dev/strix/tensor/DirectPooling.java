package dev.strix.tensor;

/**
 * Max pooling as one library call each way, with no argmax kept in between: the backward pass
 * finds each window's maximum again from the input and the output (cuDNN's pooling on the CUDA
 * backend; plain loops on the CPU, the reference). The alternative to {@link Pooling}, which
 * records where each maximum came from. NCHW float32 tensors of any strides, no padding:
 * <pre>
 *   out[n, c, y, x] = max over i &lt; kh, j &lt; kw of x[n, c, y*sh + i, x*sw + j]
 *   dx              = 0, then each dOut[n, c, y, x] added at the element of its window holding the maximum
 * </pre>
 * with {@code OH = (H - kh) / sh + 1}, {@code OW = (W - kw) / sw + 1}. Which element of a window
 * with equal maxima receives the gradient is the library's choice (the CPU takes the first in
 * row-major order); with distinct values every backend routes it to the same element.
 */
public interface DirectPooling {
    /** Writes the window maxima of {@code x} into {@code out} {@code [N, C, OH, OW]}. */
    void maxPoolForward(Tensor x, int kh, int kw, int sh, int sw, Tensor out);

    /**
     * Overwrites {@code dx} {@code [N, C, H, W]} with the gradient of the last forward pass of
     * {@code x} into {@code out}: each {@code dOut} at its window's maximum, zero elsewhere
     * (overlapping windows accumulate).
     */
    void maxPoolBackward(Tensor x, Tensor out, Tensor dOut, int kh, int kw, int sh, int sw, Tensor dx);
}
