package dev.strix.tensor.cpu;

import dev.strix.tensor.Blas;
import dev.strix.tensor.DType;
import dev.strix.tensor.Tensor;

/** GEMM on the CPU: validates shapes and hands each product to {@link CpuGemm}. */
final class CpuBlas implements Blas {
    @Override
    public void gemm(boolean transposeA, boolean transposeB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        CpuElementwise.check(a, "gemm A");
        CpuElementwise.check(b, "gemm B");
        CpuElementwise.check(c, "gemm C");
        if (a.rank() != c.rank() || b.rank() != c.rank() || (c.rank() != 2 && c.rank() != 3)) {
            throw new IllegalArgumentException("gemm needs A, B, C all 2-D or all 3-D (batched), got A" + a.shape()
                    + " B" + b.shape() + " C" + c.shape());
        }
        boolean batched = c.rank() == 3;
        int batch = batched ? c.dim(0) : 1;
        int r = batched ? 1 : 0;
        int m = c.dim(r);
        int n = c.dim(r + 1);
        int k = transposeA ? a.dim(r) : a.dim(r + 1);
        int am = transposeA ? a.dim(r + 1) : a.dim(r);
        int bk = transposeB ? b.dim(r + 1) : b.dim(r);
        int bn = transposeB ? b.dim(r) : b.dim(r + 1);
        if (am != m || bn != n || bk != k || (batched && (a.dim(0) != batch || b.dim(0) != batch))) {
            throw new IllegalArgumentException("gemm shape mismatch: op(A)" + describe(a, transposeA) + " x op(B)"
                    + describe(b, transposeB) + " -> C" + c.shape());
        }
        // Element (i, p) of op(A) is at rowStride*i + colStride*p: a transpose only swaps the two strides.
        long aRow = transposeA ? a.stride(r + 1) : a.stride(r);
        long aCol = transposeA ? a.stride(r) : a.stride(r + 1);
        long bRow = transposeB ? b.stride(r + 1) : b.stride(r);
        long bCol = transposeB ? b.stride(r) : b.stride(r + 1);
        long aBatch = batched ? a.stride(0) : 0;
        long bBatch = batched ? b.stride(0) : 0;
        long cBatch = batched ? c.stride(0) : 0;
        CpuGemm.gemm(batch, m, n, k, alpha,
                a.storage().segment(), a.offset(), aBatch, aRow, aCol,
                b.storage().segment(), b.offset(), bBatch, bRow, bCol,
                beta, c.storage().segment(), c.offset(), cBatch, c.stride(r), c.stride(r + 1));
    }

    @Override
    public void gemmBatchSum(boolean transposeA, boolean transposeB, float alpha, Tensor a, Tensor b, float beta,
                             Tensor c) {
        CpuElementwise.check(a, "gemmBatchSum A");
        CpuElementwise.check(b, "gemmBatchSum B");
        CpuElementwise.check(c, "gemmBatchSum C");
        Blas.checkBatchSum(transposeA, transposeB, a, b, c);
        int m = c.dim(0);
        int n = c.dim(1);
        int k = transposeA ? a.dim(1) : a.dim(2);
        long aRow = transposeA ? a.stride(2) : a.stride(1);
        long aCol = transposeA ? a.stride(1) : a.stride(2);
        long bRow = transposeB ? b.stride(2) : b.stride(1);
        long bCol = transposeB ? b.stride(1) : b.stride(2);
        GemmBatchSum.gemmSum(a.dim(0), m, n, k, alpha,
                a.storage().segment(), a.offset(), a.stride(0), aRow, aCol,
                b.storage().segment(), b.offset(), b.stride(0), bRow, bCol,
                beta, c.storage().segment(), c.offset(), c.stride(0), c.stride(1));
    }

    private static String describe(Tensor t, boolean transposed) {
        return t.shape() + (transposed ? "^T" : "");
    }

    static void requireF32(Tensor t) {
        t.requireDType(DType.F32, "gemm");
    }
}
