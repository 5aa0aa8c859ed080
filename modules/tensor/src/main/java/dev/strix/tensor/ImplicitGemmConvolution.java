package dev.strix.tensor;

/**
 * im2col + GEMM convolution with the column matrix never materialised ("implicit GEMM"): the
 * GEMM reads each window element straight from a padded copy of one image, so no
 * {@code [N, C*KH*KW, OH*OW]} buffer is written and read back. The sums are those of
 * {@link Convolution#im2col} and {@link Convolution#col2im} with a GEMM in between:
 * <pre>
 *   forward          Z[n]  = W * cols(X[n]) + bias                (W as [O, C*KH*KW])
 *   backwardFilter   dW    = sum over n of dZ[n] * cols(X[n])^T,  dBias = sum over n, pixels of dZ
 *   backwardData     dX[n] = col2im(W^T * dZ[n])
 * </pre>
 * where {@code cols} is im2col's matrix: zero padding {@code padTop} and {@code padLeft}, the
 * kernel size from the weights, the output size from {@code Z} (so the padding at the bottom and
 * right is whatever that size implies). The bias and its gradient ride along with the products
 * (null: none). Tensors may have any strides; outputs are overwritten.
 *
 * <p>Optional: a backend offers it ({@link Backend#implicitGemmConvolution()}) where it beats the
 * separate im2col, GEMM and col2im ops; layers fall back to those elsewhere.
 */
public interface ImplicitGemmConvolution {
    /**
     * {@code z [N, O, OH, OW] = W * cols(x) + bias} for {@code x [N, C, H, W]},
     * {@code weight [O, C, KH, KW]} and {@code bias [O]} (or null).
     */
    void forward(Tensor x, Tensor weight, Tensor bias, int strideH, int strideW, int padTop, int padLeft, Tensor z);

    /**
     * {@code dWeight [O, C, KH, KW] = sum over n of dz[n] * cols(x[n])^T} and, unless
     * {@code dBias} is null, {@code dBias [O] = sum of dz over n, y, x}.
     */
    void backwardFilter(Tensor x, Tensor dz, int strideH, int strideW, int padTop, int padLeft, Tensor dWeight,
                        Tensor dBias);

    /** {@code dx [N, C, H, W] = col2im(W^T * dz[n])} for every n. */
    void backwardData(Tensor dz, Tensor weight, int strideH, int strideW, int padTop, int padLeft, Tensor dx);

    /**
     * {@link #forward}, then ReLU and 2x2 max pooling with stride 2, in one pass that never writes
     * the full-size {@code Z} (of shape {@code convOutput}):
     * <pre>
     *   pooled[n, o, y, x] = max(0, max over i, j in {0, 1} of Z[n, o, 2y + i, 2x + j])
     *   argmax[n, o, y, x] = (2y + i) * OW + (2x + j) of that window's maximum (the first, in row-major order)
     * </pre>
     * (a trailing odd row or column of Z is dropped, as the pooling layer does). {@code pooled} and
     * the int32 {@code argmax} are {@code [N, O, OH / 2, OW / 2]}.
     */
    void forwardReluMaxPool(Tensor x, Tensor weight, Tensor bias, int strideH, int strideW, int padTop, int padLeft,
                            Shape convOutput, Tensor pooled, Tensor argmax);

    /**
     * {@link #backwardFilter} for the dL/dZ that {@code dPooled} routes back through the pooling and
     * the ReLU of {@link #forwardReluMaxPool}: {@code dZ[n, o, argmax] = dPooled} where
     * {@code pooled > 0}, zero elsewhere.
     */
    void backwardFilterReluMaxPool(Tensor x, Tensor dPooled, Tensor pooled, Tensor argmax, int strideH, int strideW,
                                   int padTop, int padLeft, Shape convOutput, Tensor dWeight, Tensor dBias);

    /** {@link #backwardData} for that same routed dL/dZ. */
    void backwardDataReluMaxPool(Tensor dPooled, Tensor pooled, Tensor argmax, Tensor weight, int strideH,
                                 int strideW, int padTop, int padLeft, Shape convOutput, Tensor dx);

    /**
     * The sizes of one call, checked: input {@code [n, c, h, w]}, weights {@code [o, c, kh, kw]},
     * output {@code [n, o, oh, ow]}.
     */
    record Sizes(int n, int c, int h, int w, int o, int kh, int kw, int oh, int ow) {
        /** Checks the three shapes (named in messages by {@code op}) and the strides and padding. */
        public static Sizes check(String op, Shape input, Shape weight, Shape output, int strideH, int strideW,
                                  int padTop, int padLeft) {
            if (strideH < 1 || strideW < 1 || padTop < 0 || padLeft < 0) {
                throw new IllegalArgumentException(op + ": strides must be positive and padding not negative, got"
                        + " stride " + strideH + "x" + strideW + ", padding top " + padTop + ", left " + padLeft);
            }
            if (input.rank() != 4 || weight.rank() != 4 || output.rank() != 4 || input.dim(1) != weight.dim(1)
                    || output.dim(0) != input.dim(0) || output.dim(1) != weight.dim(0)) {
                throw new IllegalArgumentException(op + ": needs input [N, C, H, W], weights [O, C, KH, KW] and output"
                        + " [N, O, OH, OW] with matching N, C and O, got input " + input + ", weights " + weight
                        + ", output " + output);
            }
            if (output.dim(2) < 1 || output.dim(3) < 1 || weight.dim(2) < 1 || weight.dim(3) < 1) {
                throw new IllegalArgumentException(op + ": empty kernels or output: weights " + weight + ", output "
                        + output);
            }
            return new Sizes(input.dim(0), input.dim(1), input.dim(2), input.dim(3), weight.dim(0), weight.dim(2),
                    weight.dim(3), output.dim(2), output.dim(3));
        }
    }
}
