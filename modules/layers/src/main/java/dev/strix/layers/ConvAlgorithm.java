package dev.strix.layers;

/** How {@link Conv2D} computes its convolution; every choice gives the same numbers up to rounding. */
public enum ConvAlgorithm {
    /**
     * A 6-D strided view {@code [N, C, OH, OW, KH, KW]} over the padded input, contracted with the
     * kernels, no copy. Backward: dL/dZ dilated by the stride, padded "full" and correlated with
     * the 180-degree-rotated kernels, then unpadded; weight gradient = input correlated with dL/dZ.
     * The readable reference.
     */
    STRIDED_VIEW,
    /** The same windows materialised as a matrix (im2col), then GEMM; col2im for the input gradient. */
    IM2COL_GEMM,
    /**
     * One whole-convolution op per pass ({@link dev.strix.tensor.DirectConvolution}): cuDNN's routines
     * on the CUDA backend, with the algorithm measured once per shape; the reference loops on the CPU.
     * Symmetric padding only.
     */
    CUDNN
}
