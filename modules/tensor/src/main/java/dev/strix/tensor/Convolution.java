package dev.strix.tensor;

/**
 * The building blocks of 2-D convolution over NCHW float32 tensors, for both algorithms a layer
 * may choose: the strided-view formulation ({@link #correlate} over {@link #slidingWindows}, with
 * {@link #dilate}, {@link #pad} and {@link #unpad} for the backward pass) and im2col + GEMM
 * ({@link #im2col}, {@link #col2im}).
 *
 * <p>Forward convolution (a cross-correlation, as in every deep-learning library), with the input
 * {@code X} zero-padded to {@code Xp}:
 * <pre>
 *   Z[n, o, y, x] = sum over c, i, j of Xp[n, c, y*sh + i, x*sw + j] * W[o, c, i, j]
 * </pre>
 * Every op takes tensors of any strides unless it says otherwise, and writes every element of its
 * output.
 */
public interface Convolution {
    /**
     * Zero padding of the last two axes: {@code out[..., top + r, left + s] = x[..., r, s]}, zero
     * elsewhere. {@code out} has the leading axes of {@code x} and last two axes
     * {@code H + top + bottom} and {@code W + left + right}.
     */
    void pad(Tensor x, int top, int bottom, int left, int right, Tensor out);

    /**
     * The inverse of {@link #pad}: the interior {@code out[..., r, s] = x[..., top + r, left + s]}
     * of shape {@code H - top - bottom} by {@code W - left - right}.
     */
    void unpad(Tensor x, int top, int bottom, int left, int right, Tensor out);

    /**
     * Dilation of the last two axes by the stride: {@code out[..., r*sh, s*sw] = x[..., r, s]}, zero
     * in between; {@code out}'s last two axes are {@code (H-1)*sh + 1} and {@code (W-1)*sw + 1}.
     * Dilating dL/dZ turns the backward pass of a strided convolution into a stride-1 one.
     */
    void dilate(Tensor x, int strideH, int strideW, Tensor out);

    /**
     * The contraction of a window view with kernels:
     * <pre>
     *   out[a, b, y, x] = sum over c, i, j of windows[a, c, y, x, i, j] * kernels[b, c, i, j]
     * </pre>
     * {@code windows} is 6-D {@code [A, C, Y, X, I, J]} (usually {@link #slidingWindows} over a
     * padded input, so nothing is copied), {@code kernels} is {@code [B, C, I, J]} and {@code out}
     * is {@code [A, B, Y, X]}. All three may be arbitrary views: the forward pass, the weight
     * gradient (windows over the input with dL/dZ as kernels, written into a permuted view of
     * dL/dW) and the input gradient (windows over padded dL/dZ with 180-degree-rotated kernels, a
     * view with negative strides) are all this one op.
     */
    void correlate(Tensor windows, Tensor kernels, Tensor out);

    /**
     * Materialises the sliding windows of {@code input} {@code [N, C, H, W]} as the matrix GEMM
     * needs: {@code columns} is {@code [N, C, KH, KW, OH, OW]} with
     * <pre>
     *   columns[n, c, i, j, y, x] = X[n, c, y*sh + i - padTop, x*sw + j - padLeft]   (0 outside X)
     * </pre>
     * so that, reshaped to {@code [N, C*KH*KW, OH*OW]}, {@code Z[n] = W[O, C*KH*KW] * columns[n]}.
     * The kernel size and the output size come from {@code columns}' shape, so padding at the
     * bottom and right is whatever the output size implies. {@code columns} is contiguous, or the
     * {@code [N, C, KH, KW, OH, OW]} view of a contiguous {@code [C, KH, KW, N, OH, OW]} tensor: then,
     * reshaped to {@code [C*KH*KW, N*OH*OW]}, it is one matrix for the whole batch, and
     * {@code W * columns} is Z laid out {@code [O, N, OH, OW]} ({@link
     * dev.strix.tensor.spi.ConvolutionShapes.ColumnLayout}).
     */
    void im2col(Tensor input, int strideH, int strideW, int padTop, int padLeft, Tensor columns);

    /**
     * The adjoint of {@link #im2col}: overwrites {@code input} {@code [N, C, H, W]} with the sum of
     * every column entry that im2col would have read from each element,
     * <pre>
     *   input[n, c, r, s] = sum over (i, j, y, x) with y*sh + i - padTop = r, x*sw + j - padLeft = s
     *                       of columns[n, c, i, j, y, x]
     * </pre>
     * which turns column gradients {@code W^T * dL/dZ[n]} into dL/dX. {@code columns} is laid out
     * as for {@link #im2col}.
     */
    void col2im(Tensor columns, int strideH, int strideW, int padTop, int padLeft, Tensor input);

    /**
     * The 6-D view {@code [N, C, OH, OW, KH, KW]} of every {@code kh x kw} window of
     * {@code x} {@code [N, C, H, W]} taken with strides {@code (sh, sw)}:
     * {@code windows[n, c, y, x, i, j] = x[n, c, y*sh + i, x*sw + j]}, with
     * {@code OH = (H - kh) / sh + 1}, {@code OW = (W - kw) / sw + 1}. Copies nothing (numpy's
     * {@code as_strided}); any backend.
     */
    static Tensor slidingWindows(Tensor x, int kh, int kw, int sh, int sw) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("slidingWindows needs a 4-D [N, C, H, W] tensor, got " + x.shape());
        }
        if (kh < 1 || kw < 1 || sh < 1 || sw < 1 || kh > x.dim(2) || kw > x.dim(3)) {
            throw new IllegalArgumentException("slidingWindows: kernel " + kh + "x" + kw + " with stride " + sh + "x"
                    + sw + " does not fit " + x.shape());
        }
        int oh = (x.dim(2) - kh) / sh + 1;
        int ow = (x.dim(3) - kw) / sw + 1;
        Shape shape = Shape.of(x.dim(0), x.dim(1), oh, ow, kh, kw);
        long[] strides = {x.stride(0), x.stride(1), x.stride(2) * sh, x.stride(3) * sw, x.stride(2), x.stride(3)};
        return x.asStrided(shape, strides);
    }
}
