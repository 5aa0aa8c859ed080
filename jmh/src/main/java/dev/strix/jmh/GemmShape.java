package dev.strix.jmh;

/**
 * The GEMM shapes {@link GemmBenchmark} measures: squares, and the products an MNIST CNN
 * (batch 128: conv 3x3 1->32 on 28x28, max-pool, conv 3x3 32->64 on 13x13, max-pool, dense
 * 1600->128) runs per training step when convolution is im2col + GEMM.
 *
 * <p>{@code C[m x n] = op(A)[m x k] * op(B)[k x n]}; weights are stored PyTorch-style
 * {@code [out, in]}, so forward passes multiply by W^T and weight gradients by a transposed
 * output gradient.
 */
public enum GemmShape {
    SQUARE_128(128, 128, 128, false, false),
    SQUARE_256(256, 256, 256, false, false),
    SQUARE_512(512, 512, 512, false, false),
    SQUARE_1024(1024, 1024, 1024, false, false),
    /** Conv 1 forward: columns [N*26*26, 9] x W^T [9, 32]. */
    CONV1_FORWARD(128 * 26 * 26, 9, 32, false, true),
    /** Conv 1 weight gradient: dOut^T [32, N*26*26] x columns [N*26*26, 9]. */
    CONV1_WEIGHT_GRAD(32, 128 * 26 * 26, 9, true, false),
    /** Conv 2 forward: columns [N*11*11, 288] x W^T [288, 64]. */
    CONV2_FORWARD(128 * 11 * 11, 288, 64, false, true),
    /** Conv 2 input gradient (columns): dOut [N*11*11, 64] x W [64, 288]. */
    CONV2_INPUT_GRAD(128 * 11 * 11, 64, 288, false, false),
    /** Conv 2 weight gradient: dOut^T [64, N*11*11] x columns [N*11*11, 288]. */
    CONV2_WEIGHT_GRAD(64, 128 * 11 * 11, 288, true, false),
    /** Dense forward: X [128, 1600] x W^T [1600, 128]. */
    DENSE_FORWARD(128, 1600, 128, false, true),
    /** Dense input gradient: dY [128, 128] x W [128, 1600]. */
    DENSE_INPUT_GRAD(128, 128, 1600, false, false),
    /** Dense weight gradient: dY^T [128, 128] x X [128, 1600]. */
    DENSE_WEIGHT_GRAD(128, 128, 1600, true, false);

    final int m;
    final int k;
    final int n;
    final boolean transposeA;
    final boolean transposeB;

    GemmShape(int m, int k, int n, boolean transposeA, boolean transposeB) {
        this.m = m;
        this.k = k;
        this.n = n;
        this.transposeA = transposeA;
        this.transposeB = transposeB;
    }

    /** Floating-point operations of one product: a multiply and an add per (i, j, p). */
    public double flops() {
        return 2.0 * m * n * k;
    }

    /** Stored shape of A: {@code [k, m]} when op(A) is its transpose. */
    int[] aDims() {
        return transposeA ? new int[] {k, m} : new int[] {m, k};
    }

    /** Stored shape of B: {@code [n, k]} when op(B) is its transpose. */
    int[] bDims() {
        return transposeB ? new int[] {n, k} : new int[] {k, n};
    }

    /** E.g. {@code 128x1600x128 (A B^T)}: m x k x n and which operands are transposed. */
    public String describe() {
        return m + "x" + k + "x" + n + " (" + (transposeA ? "A^T" : "A") + " " + (transposeB ? "B^T" : "B") + ")";
    }
}
