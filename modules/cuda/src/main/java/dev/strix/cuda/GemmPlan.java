package dev.strix.cuda;

/**
 * How a row-major, strided GEMM maps onto cuBLAS's column-major {@code cublasSgemm} without copies.
 *
 * <p>cuBLAS reads a matrix {@code X} (rows x cols) either as op N: element (i, j) at
 * {@code i + j*ld}, or as op T: element (i, j) at {@code i*ld + j}. So a logical matrix with element
 * strides (rowStride, colStride) fits as op N when rowStride == 1 (ld = colStride) and as op T when
 * colStride == 1 (ld = rowStride). The output must fit as op N. A row-major C (colStride == 1) does
 * not, but its transpose does, and {@code C^T = op(B)^T op(A)^T}: then the operands swap places and
 * each one's strides swap. Operands that fit neither way (both strides non-unit, negative strides,
 * a leading dimension beyond int) are reported so the caller copies them to contiguous first.
 */
final class GemmPlan {
    /** One operand as cuBLAS sees it: transposed or not, and its leading dimension. */
    record Fit(boolean transpose, int ld) {
    }

    /**
     * A logical matrix of {@code rows x cols}: element (i, j) at {@code offset + i*rowStride + j*colStride},
     * batch entry b at {@code + b*batchStride}.
     */
    record Matrix(int rows, int cols, long offset, long rowStride, long colStride, long batchStride) {
        Matrix transposed() {
            return new Matrix(cols, rows, offset, colStride, rowStride, batchStride);
        }
    }

    /** The cuBLAS call: C(m x n) = first(m x k) * second(k x n), all column-major as fitted. */
    record Call(boolean swapped, int m, int n, int k, Matrix first, Fit firstFit, Matrix second, Fit secondFit,
                Matrix c, int ldc) {
    }

    private GemmPlan() {
    }

    /** How {@code x} fits cuBLAS, or null when it needs a contiguous copy. */
    static Fit fit(Matrix x) {
        long rows = Math.max(1, x.rows());
        long cols = Math.max(1, x.cols());
        if (x.batchStride() < 0) {
            return null;
        }
        // Strides of axes of size 1 never move the pointer, so any valid leading dimension will do.
        boolean unitRows = x.rowStride() == 1 || x.rows() == 1;
        long ldN = x.cols() == 1 ? rows : x.colStride();
        if (unitRows && ldN >= rows && ldN <= Integer.MAX_VALUE) {
            return new Fit(false, (int) ldN);
        }
        boolean unitCols = x.colStride() == 1 || x.cols() == 1;
        long ldT = x.rows() == 1 ? cols : x.rowStride();
        if (unitCols && ldT >= cols && ldT <= Integer.MAX_VALUE) {
            return new Fit(true, (int) ldT);
        }
        return null;
    }

    /** Leading dimension of C as an op-N output, or -1 when C needs a contiguous stand-in. */
    static int outputLd(Matrix c) {
        Fit f = fit(c);
        return f != null && !f.transpose() ? f.ld() : -1;
    }

    /**
     * The call for {@code C = op(A) * op(B)} where {@code a} (m x k), {@code b} (k x n) and {@code c}
     * (m x n) already describe op(A), op(B) and C; null when some operand does not fit (see
     * {@link #fit} and {@link #outputLd}).
     */
    static Call plan(Matrix a, Matrix b, Matrix c) {
        int m = c.rows();
        int n = c.cols();
        int k = a.cols();
        int ldc = outputLd(c);
        if (ldc > 0) {
            Fit fa = fit(a);
            Fit fb = fit(b);
            return fa == null || fb == null ? null : new Call(false, m, n, k, a, fa, b, fb, c, ldc);
        }
        Matrix ct = c.transposed();
        int ldct = outputLd(ct);
        if (ldct > 0) {
            Matrix bt = b.transposed();
            Matrix at = a.transposed();
            Fit fb = fit(bt);
            Fit fa = fit(at);
            return fa == null || fb == null ? null : new Call(true, n, m, k, bt, fb, at, fa, ct, ldct);
        }
        return null;
    }
}
