package dev.strix.tensor;

/**
 * Whole 2-D convolutions (cross-correlations) as single ops, for backends with a library that does
 * them in one call (cuDNN on the CUDA backend; plain loops on the CPU, the reference). NCHW-shaped
 * input {@code x [n, c, h, w]}, weights {@code [o, c, kh, kw]}, symmetric zero padding
 * {@code padH, padW}, strides {@code strideH, strideW}, output {@code y [n, o, oh, ow]} with
 * {@code oh = (h + 2 padH - kh) / strideH + 1} (likewise ow):
 * <pre>
 *   y[n, o, i, j] = bias[o] + sum over c, a, b of x[n, c, i*strideH + a - padH, j*strideW + b - padW] * w[o, c, a, b]
 * </pre>
 * where x outside the image reads 0. Data tensors may have any strides, so NHWC data is the
 * {@code permute(0, 3, 1, 2)} view of a contiguous {@code [n, h, w, c]} tensor. Weights (and the
 * weight gradient) are contiguous, or the {@code permute(0, 3, 1, 2)} view of a contiguous
 * {@code [o, kh, kw, c]} tensor (NHWC's filter order); a backend may refuse other weight strides
 * (cuDNN's filter descriptor names a memory order, not strides). Gradients are overwritten.
 */
public interface DirectConvolution {
    /** {@code y = x (*) w}, plus {@code bias [o]} per output channel when bias is not null. */
    void forward(Tensor x, Tensor weight, Tensor bias, int strideH, int strideW, int padH, int padW, Tensor y);

    /** {@code dx = dL/dx} for {@code dy = dL/dy}: dy correlated back through the kernels. */
    void backwardData(Tensor dy, Tensor weight, int strideH, int strideW, int padH, int padW, Tensor dx);

    /** {@code dWeight = dL/dw = sum over n, i, j of dy[n, o, i, j] * x[n, c, i*strideH + a - padH, ...]}. */
    void backwardFilter(Tensor x, Tensor dy, int strideH, int strideW, int padH, int padW, Tensor dWeight);

    /** {@code dBias[o] = sum over n, i, j of dy[n, o, i, j]}. */
    void backwardBias(Tensor dy, Tensor dBias);

    /** The sizes of one call: input [n, c, h, w], weights [o, c, kh, kw], output [n, o, oh, ow]. */
    record Sizes(int n, int c, int h, int w, int o, int kh, int kw, int oh, int ow) {
        /**
         * Checks {@code x}, {@code weight} and the output-shaped {@code y} (called {@code yName} in
         * messages) against each other and the strides and padding; every backend's ops share it.
         */
        public static Sizes check(String op, Shape x, Shape weight, int strideH, int strideW, int padH, int padW,
                                  Shape y, String yName) {
            if (strideH < 1 || strideW < 1 || padH < 0 || padW < 0) {
                throw new IllegalArgumentException(op + ": strides must be positive and padding not negative, got"
                        + " stride " + strideH + "x" + strideW + ", padding " + padH + "x" + padW);
            }
            if (x.rank() != 4 || weight.rank() != 4 || x.dim(1) != weight.dim(1)) {
                throw new IllegalArgumentException(op + ": input must be [N, C, H, W] and weights [O, C, KH, KW] with"
                        + " the same C, got " + x + " and " + weight);
            }
            int hp = x.dim(2) + 2 * padH;
            int wp = x.dim(3) + 2 * padW;
            if (hp < weight.dim(2) || wp < weight.dim(3)) {
                throw new IllegalArgumentException(op + ": input " + x + " padded to " + hp + "x" + wp
                        + " is smaller than the kernels " + weight);
            }
            Sizes s = new Sizes(x.dim(0), x.dim(1), x.dim(2), x.dim(3), weight.dim(0), weight.dim(2), weight.dim(3),
                    (hp - weight.dim(2)) / strideH + 1, (wp - weight.dim(3)) / strideW + 1);
            Shape expected = Shape.of(s.n, s.o, s.oh, s.ow);
            if (!y.equals(expected)) {
                throw new IllegalArgumentException(op + ": input " + x + " and weights " + weight + " with stride "
                        + strideH + "x" + strideW + " and padding " + padH + "x" + padW + " need the " + yName + " "
                        + expected + ", got " + y);
            }
            return s;
        }
    }
}
