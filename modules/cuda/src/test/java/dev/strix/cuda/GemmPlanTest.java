package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The row-major to column-major mapping, checked without a GPU: each plan is executed by a
 * reference column-major SGEMM written here from the BLAS definition (including cuBLAS's argument
 * checks), and the result is compared with a naive row-major product.
 */
class GemmPlanTest {
    private final SplittableRandom random = new SplittableRandom(7);

    /** Column-major SGEMM exactly as BLAS defines it, over one flat float array standing in for device memory. */
    private static void referenceSgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                       float[] mem, long a, int lda, long strideA, long b, int ldb, long strideB,
                                       float beta, long c, int ldc, long strideC, int batch) {
        if (lda < Math.max(1, transA ? k : m) || ldb < Math.max(1, transB ? n : k) || ldc < Math.max(1, m)) {
            fail("cuBLAS would refuse: lda " + lda + " ldb " + ldb + " ldc " + ldc + " for m " + m + " n " + n + " k " + k
                    + " transA " + transA + " transB " + transB);
        }
        for (int q = 0; q < batch; q++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int p = 0; p < k; p++) {
                        float x = mem[(int) (a + q * strideA + (transA ? p + (long) i * lda : i + (long) p * lda))];
                        float y = mem[(int) (b + q * strideB + (transB ? j + (long) p * ldb : p + (long) j * ldb))];
                        sum += (double) x * y;
                    }
                    int at = (int) (c + q * strideC + i + (long) j * ldc);
                    mem[at] = (float) (alpha * sum + (beta == 0 ? 0 : beta * mem[at]));
                }
            }
        }
    }

    private static float get(float[] mem, GemmPlan.Matrix x, int q, int i, int j) {
        return mem[(int) (x.offset() + q * x.batchStride() + i * x.rowStride() + j * x.colStride())];
    }

    /** Runs the plan for a, b, c laid out in `mem` and checks C against a naive product. */
    private void check(String what, int batch, GemmPlan.Matrix a, GemmPlan.Matrix b, GemmPlan.Matrix c, float[] mem) {
        float alpha = 1.5f;
        float beta = -0.5f;
        float[] before = mem.clone();
        GemmPlan.Call call = GemmPlan.plan(a, b, c);
        assertNotNull(call, what + ": expected a plan without copies");
        referenceSgemm(call.firstFit().transpose(), call.secondFit().transpose(), call.m(), call.n(), call.k(), alpha,
                mem, call.first().offset(), call.firstFit().ld(), call.first().batchStride(),
                call.second().offset(), call.secondFit().ld(), call.second().batchStride(),
                beta, call.c().offset(), call.ldc(), call.c().batchStride(), batch);
        for (int q = 0; q < batch; q++) {
            for (int i = 0; i < c.rows(); i++) {
                for (int j = 0; j < c.cols(); j++) {
                    double sum = 0;
                    for (int p = 0; p < a.cols(); p++) {
                        sum += (double) get(before, a, q, i, p) * get(before, b, q, p, j);
                    }
                    double expected = alpha * sum + beta * get(before, c, q, i, j);
                    assertEquals(expected, get(mem, c, q, i, j), 1e-4, what + " C[" + q + "," + i + "," + j + "]");
                }
            }
        }
    }

    private float[] memory(int n) {
        float[] mem = new float[n];
        for (int i = 0; i < n; i++) {
            mem[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return mem;
    }

    /** A rows x cols matrix at `offset`, row-major (ld >= cols) or column-major (ld >= rows). */
    private static GemmPlan.Matrix laid(int rows, int cols, long offset, boolean rowMajor, int pad) {
        return rowMajor ? new GemmPlan.Matrix(rows, cols, offset, cols + pad, 1, 0)
                : new GemmPlan.Matrix(rows, cols, offset, 1, rows + pad, 0);
    }

    @Test
    void everyCombinationOfRowAndColumnMajorOperands() {
        int m = 5;
        int n = 7;
        int k = 3;
        for (int mask = 0; mask < 8; mask++) {
            for (int pad = 0; pad <= 2; pad += 2) {
                boolean ar = (mask & 1) != 0;
                boolean br = (mask & 2) != 0;
                boolean cr = (mask & 4) != 0;
                GemmPlan.Matrix a = laid(m, k, 3, ar, pad);
                GemmPlan.Matrix b = laid(k, n, 100, br, pad);
                GemmPlan.Matrix c = laid(m, n, 200, cr, pad);
                check("A " + (ar ? "row" : "col") + " B " + (br ? "row" : "col") + " C " + (cr ? "row" : "col")
                        + " pad " + pad, 1, a, b, c, memory(400));
                assertEquals(cr, GemmPlan.plan(a, b, c).swapped(), "a row-major C is computed as C^T");
            }
        }
    }

    @Test
    void vectorsAndSingleElementShapes() {
        int[][] shapes = {{1, 6, 4}, {6, 1, 4}, {4, 6, 1}, {1, 1, 5}, {1, 1, 1}};
        for (int[] s : shapes) {
            for (int mask = 0; mask < 8; mask++) {
                GemmPlan.Matrix a = laid(s[0], s[2], 0, (mask & 1) != 0, 0);
                GemmPlan.Matrix b = laid(s[2], s[1], 50, (mask & 2) != 0, 0);
                GemmPlan.Matrix c = laid(s[0], s[1], 100, (mask & 4) != 0, 0);
                check("m n k " + java.util.Arrays.toString(s) + " mask " + mask, 1, a, b, c, memory(200));
            }
        }
    }

    @Test
    void batchedWithABroadcastOperand() {
        int batch = 3;
        int m = 4;
        int n = 5;
        int k = 6;
        // A shared by every batch entry (stride 0), B and C with their own matrices.
        GemmPlan.Matrix a = new GemmPlan.Matrix(m, k, 0, k, 1, 0);
        GemmPlan.Matrix b = new GemmPlan.Matrix(k, n, 40, n, 1, k * n);
        GemmPlan.Matrix c = new GemmPlan.Matrix(m, n, 200, n, 1, m * n);
        check("batched, A broadcast", batch, a, b, c, memory(300));
        GemmPlan.Matrix bt = new GemmPlan.Matrix(k, n, 40, 1, k, k * n);  // each B stored transposed
        check("batched, B column-major", batch, a, bt, c, memory(300));
    }

    @Test
    void aConvolutionWeightGradientOverTheBatchIsOneBatchedCallWithoutCopies() {
        // gemmBatchSum's first half: per sample b, dZ[b] [o x p] times columns[b]^T, where the columns
        // are stored [k x p], into the products [b, o, k]; all three as the im2col path lays them out.
        int batch = 3;
        int o = 4;
        int p = 5;
        int k = 6;
        GemmPlan.Matrix dz = new GemmPlan.Matrix(o, p, 0, p, 1, (long) o * p);
        GemmPlan.Matrix columnsTransposed = new GemmPlan.Matrix(p, k, 60, 1, p, (long) k * p);
        GemmPlan.Matrix products = new GemmPlan.Matrix(o, k, 160, k, 1, (long) o * k);
        check("conv weight gradient, batched", batch, dz, columnsTransposed, products, memory(240));
    }

    @Test
    void stridesThatFitNeitherWayAskForACopy() {
        GemmPlan.Matrix everyOther = new GemmPlan.Matrix(3, 4, 0, 8, 2, 0);
        assertNull(GemmPlan.fit(everyOther));
        assertNull(GemmPlan.fit(new GemmPlan.Matrix(3, 4, 11, -4, 1, 0)), "negative row stride");
        assertNull(GemmPlan.fit(new GemmPlan.Matrix(3, 4, 0, 0, 1, 0)), "broadcast rows");
        assertNull(GemmPlan.fit(new GemmPlan.Matrix(3, 4, 0, 4, 1, -12)), "negative batch stride");
        GemmPlan.Matrix fine = new GemmPlan.Matrix(4, 3, 0, 3, 1, 0);
        GemmPlan.Matrix c = new GemmPlan.Matrix(3, 3, 0, 3, 1, 0);
        assertNull(GemmPlan.plan(everyOther, fine, c));
        GemmPlan.Matrix cEveryOther = new GemmPlan.Matrix(3, 3, 0, 6, 2, 0);
        assertEquals(-1, GemmPlan.outputLd(cEveryOther));
        assertEquals(-1, GemmPlan.outputLd(cEveryOther.transposed()));
    }

    @Test
    void fitReportsTheLeadingDimension() {
        GemmPlan.Fit rowMajor = GemmPlan.fit(new GemmPlan.Matrix(3, 4, 0, 10, 1, 0));
        assertTrue(rowMajor.transpose());
        assertEquals(10, rowMajor.ld());
        GemmPlan.Fit colMajor = GemmPlan.fit(new GemmPlan.Matrix(3, 4, 0, 1, 5, 0));
        assertFalse(colMajor.transpose());
        assertEquals(5, colMajor.ld());
    }
}
