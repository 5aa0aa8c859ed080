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

    /**
     * {@code C = alpha * sum over b of op(A[b]) * op(B[b]) + beta * C}: 3-D {@code A} and {@code B}
     * ({@code [batch, rows, cols]}, batch at least 1) multiplied entry by entry and summed into the
     * 2-D {@code C}, as a convolution's weight gradient sums one product per sample. The default
     * runs one {@link #gemm} per entry, accumulating into C; backends may fuse the sum.
     */
    default void gemmBatchSum(boolean transposeA, boolean transposeB, float alpha, Tensor a, Tensor b, float beta,
                              Tensor c) {
        checkBatchSum(transposeA, transposeB, a, b, c);
        for (int i = 0; i < a.dim(0); i++) {
            gemm(transposeA, transposeB, alpha, a.select(0, i), b.select(0, i), i == 0 ? beta : 1f, c);
        }
    }

    /**
     * The shape rules of {@link #gemmBatchSum}, for every backend's implementation: fails, naming
     * all three shapes, unless op(A[b]) x op(B[b]) -> C fits for a batch of at least 1.
     */
    static void checkBatchSum(boolean transposeA, boolean transposeB, Tensor a, Tensor b, Tensor c) {
        if (a.rank() != 3 || b.rank() != 3 || c.rank() != 2) {
            throw new IllegalArgumentException("gemmBatchSum needs 3-D A and B ([batch, rows, cols]) and 2-D C, got A"
                    + a.shape() + " B" + b.shape() + " C" + c.shape());
        }
        int k = transposeA ? a.dim(1) : a.dim(2);
        int m = transposeA ? a.dim(2) : a.dim(1);
        int bk = transposeB ? b.dim(2) : b.dim(1);
        int n = transposeB ? b.dim(1) : b.dim(2);
        if (a.dim(0) < 1 || a.dim(0) != b.dim(0) || m != c.dim(0) || n != c.dim(1) || k != bk) {
            throw new IllegalArgumentException("gemmBatchSum shape mismatch: op(A)" + a.shape()
                    + (transposeA ? "^T" : "") + " x op(B)" + b.shape() + (transposeB ? "^T" : "") + " summed over"
                    + " the batch -> C" + c.shape() + " (A and B need the same batch, at least 1)");
        }
    }

    /** {@code C = A * B}. */
    default void matmul(Tensor a, Tensor b, Tensor c) {
        gemm(false, false, 1f, a, b, 0f, c);
    }
}
