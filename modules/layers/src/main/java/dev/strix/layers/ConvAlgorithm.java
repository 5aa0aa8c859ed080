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
    /**
     * The same windows as a matrix (im2col), then GEMM; col2im for the input gradient. On a backend
     * with {@link dev.strix.tensor.ImplicitGemmConvolution} (the CPU) the matrix is never built: the
     * GEMM reads the windows in place, and a following ReLU + 2x2 max pooling runs in the same pass
     * (in a {@link Sequential}); elsewhere (CUDA: im2col / col2im kernels and cuBLAS) it is
     * materialised, in chunks of the batch.
     */
    IM2COL_GEMM,
    /**
     * One whole-convolution op per pass ({@link dev.strix.tensor.DirectConvolution}): cuDNN's routines
     * on the CUDA backend, with the algorithm measured once per shape; the reference loops on the CPU.
     * Symmetric padding only.
     */
    CUDNN
}
