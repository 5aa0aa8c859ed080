package dev.strix.tensor;

/**
 * General matrix multiplication, the workhorse of dense layers and of im2col convolution.
 *
 * <p>{@code C = alpha * op(A) * op(B) + beta * C}, where {@code op(X)} is {@code X} or its
 * transpose. Matrices are 2-D tensors with any strides (so a {@link Tensor#transpose} view works as
 * well as the flag). Batched products use 3-D tensors {@code [batch, rows, cols]}; a batch stride
 * of zero reuses one matrix for every batch entry. With {@code beta == 0}, C is written without
 * being read, so it may hold garbage (even NaN).
 */
public interface Blas {
    void gemm(boolean transposeA, boolean transposeB, float alpha, Tensor a, Tensor b, float beta, Tensor c);

    /** {@code C = A * B}. */
    default void matmul(Tensor a, Tensor b, Tensor c) {
        gemm(false, false, 1f, a, b, 0f, c);
    }
}
