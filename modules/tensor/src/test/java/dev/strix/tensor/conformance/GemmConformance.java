package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@code C = alpha * op(A) * op(B) + beta * C} against a triple loop in double precision, over the
 * layouts layers feed it: transpose flags, transposed and strided views, batches with a shared
 * operand, and sizes that land on every edge of a blocked implementation's tiles.
 */
public abstract class GemmConformance extends BackendConformance {
    /**
     * Allowed error relative to {@code sum_p |alpha a_ip b_pj| + |beta c_ij|}: a float32 sum of K
     * terms is off by a few ulps of that sum, while a wrong or missing term is off by about 1/K
     * of it, far above this even for the largest K here.
     */
    private static final double TOLERANCE = 1e-5;

    /**
     * Sizes (m, k, n) that hit every edge of a tiled GEMM: single elements, primes, one more and
     * one less than powers of two (tile widths are powers of two), K = 1 and the 5x5 convolution's
     * K = 25, and K above typical depth blocks.
     */
    private static final int[][] SIZES = {
        {1, 1, 1}, {7, 13, 5}, {33, 65, 17}, {8, 1, 32}, {16, 25, 64}, {9, 25, 33}, {15, 31, 47},
        {17, 300, 3}, {3, 7, 200}, {64, 257, 31}, {31, 2, 95},
    };

    /**
     * Runs the product on the backend and compares with the reference computed from the tensors'
     * own contents, whatever views they are. With {@code beta == 0}, C's old content is ignored.
     */
    private void checkGemm(String what, boolean transposeA, boolean transposeB, float alpha, Tensor a, Tensor b,
                           float beta, Tensor c) {
        boolean batched = c.rank() == 3;
        int r = batched ? 1 : 0;
        int batch = batched ? c.dim(0) : 1;
        int m = c.dim(r);
        int n = c.dim(r + 1);
        int k = transposeA ? a.dim(r) : a.dim(r + 1);
        float[] av = a.toFloatArray();
        float[] bv = b.toFloatArray();
        float[] cv = c.toFloatArray();
        double[] expected = new double[batch * m * n];
        double[] scale = new double[batch * m * n];
        for (int s = 0; s < batch; s++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    double magnitude = 0;
                    for (int p = 0; p < k; p++) {
                        double x = transposeA ? av[(s * k + p) * m + i] : av[(s * m + i) * k + p];
                        double y = transposeB ? bv[(s * n + j) * k + p] : bv[(s * k + p) * n + j];
                        sum += x * y;
                        magnitude += Math.abs(x * y);
                    }
                    int e = (s * m + i) * n + j;
                    double prior = beta == 0f ? 0 : (double) beta * cv[e];
                    expected[e] = alpha * sum + prior;
                    scale[e] = Math.abs(alpha) * magnitude + Math.abs(prior);
                }
            }
        }
        backend().blas().gemm(transposeA, transposeB, alpha, a, b, beta, c);
        assertClose(expected, scale, c.toFloatArray(), TOLERANCE, what);
    }

    private Tensor random(int... dims) {
        return tensor(randomFloats((int) Shape.of(dims).size()), dims);
    }

    @Test
    void everyTransposeFlagCombinationOnEdgeSizes() {
        for (int[] size : SIZES) {
            int m = size[0];
            int k = size[1];
            int n = size[2];
            for (int flags = 0; flags < 4; flags++) {
                boolean ta = (flags & 1) != 0;
                boolean tb = (flags & 2) != 0;
                try (Tensor a = ta ? random(k, m) : random(m, k);
                     Tensor b = tb ? random(n, k) : random(k, n);
                     Tensor c = random(m, n)) {
                    checkGemm(m + "x" + k + "x" + n + " ta=" + ta + " tb=" + tb, ta, tb, 1f, a, b, 0f, c);
                }
            }
        }
    }

    @Test
    void transposedViewsWorkLikeTheFlags() {
        int m = 19;
        int k = 37;
        int n = 45;
        try (Tensor at = random(k, m); Tensor bt = random(n, k); Tensor ct = random(n, m)) {
            checkGemm("A^T view x B^T view", false, false, 1f, at.transpose(0, 1), bt.transpose(0, 1), 0f,
                    ct.transpose(0, 1));
            // A flag on a transposed view undoes it: op(A) is the stored [k, m] matrix read as [m, k]^T^T.
            try (Tensor c = random(k, k)) {
                checkGemm("flag on a transposed view", true, false, 1f, at.transpose(0, 1), at.transpose(0, 1), 0f, c);
            }
            // Accumulating into a transposed view of C reads and writes through its strides.
            checkGemm("into C^T with beta", false, false, 0.5f, at.transpose(0, 1), bt.transpose(0, 1), 1f,
                    ct.transpose(0, 1));
        }
    }

    @Test
    void stridedViewsAndNonUnitColumnStrides() {
        int m = 21;
        int k = 34;
        int n = 40;
        try (Tensor bigA = random(2 * m, 3 * k); Tensor bigB = random(k + 5, 2 * n + 1); Tensor bigC = random(m + 2, 3 * n)) {
            Tensor a = bigA.slice(0, 0, 2 * m, 2).slice(1, 1, 3 * k, 3);
            Tensor b = bigB.slice(0, 5, k + 5).slice(1, 0, 2 * n, 2);
            Tensor c = bigC.slice(0, 1, m + 1).slice(1, 2, 3 * n, 3);
            assertEquals(Shape.of(m, k), a.shape());
            assertEquals(Shape.of(k, n), b.shape());
            assertEquals(Shape.of(m, n), c.shape());
            float[] before = bigC.toFloatArray();
            checkGemm("strided A, B and C", false, false, 1.5f, a, b, -0.25f, c);
            // Elements of the parent outside C's view are untouched.
            float[] after = bigC.toFloatArray();
            for (int i = 0; i < m + 2; i++) {
                for (int j = 0; j < 3 * n; j++) {
                    boolean inView = i >= 1 && i <= m && j >= 2 && (j - 2) % 3 == 0;
                    if (!inView) {
                        assertEquals(before[i * 3 * n + j], after[i * 3 * n + j], "outside C at " + i + "," + j);
                    }
                }
            }
            checkGemm("strided A^T (flag on a strided view)", true, false, 1f, bigA.slice(0, 0, k).slice(1, 0, 2 * m, 2),
                    b, 0f, c);
        }
    }

    @Test
    void alphaAndBetaVariants() {
        int m = 23;
        int k = 29;
        int n = 37;
        float[][] pairs = {{1f, 0f}, {-0.5f, 0f}, {2f, 1f}, {1f, -1f}, {0.25f, 0.75f}};
        try (Tensor a = random(m, k); Tensor b = random(k, n); Tensor c = random(m, n)) {
            for (float[] pair : pairs) {
                checkGemm("alpha=" + pair[0] + " beta=" + pair[1], false, false, pair[0], a, b, pair[1], c);
            }
        }
    }

    @Test
    void betaZeroNeverReadsC() {
        for (int[] size : new int[][] {{7, 13, 5}, {40, 33, 70}, {130, 20, 9}}) {
            try (Tensor a = random(size[0], size[1]); Tensor b = random(size[2], size[1]);
                 Tensor c = backend().allocate(DType.F32, Shape.of(size[0], size[2]))) {
                c.fill(Float.NaN);
                checkGemm("beta=0 over NaN " + size[0] + "x" + size[1] + "x" + size[2], false, true, 1f, a, b, 0f, c);
            }
        }
    }

    @Test
    void alphaZeroOrEmptyKOnlyScalesC() {
        try (Tensor a = random(6, 4); Tensor b = random(4, 5); Tensor c = random(6, 5);
             Tensor a0 = backend().allocate(DType.F32, Shape.of(6, 0));
             Tensor b0 = backend().allocate(DType.F32, Shape.of(0, 5))) {
            float[] old = c.toFloatArray();
            backend().blas().gemm(false, false, 0f, a, b, 0.5f, c);
            float[] got = c.toFloatArray();
            for (int i = 0; i < old.length; i++) {
                assertEquals(0.5f * old[i], got[i], "alpha=0 scales C by beta at " + i);
            }
            backend().blas().gemm(false, false, 1f, a0, b0, -2f, c);
            float[] twice = c.toFloatArray();
            for (int i = 0; i < old.length; i++) {
                assertEquals(-2f * got[i], twice[i], "k=0 scales C by beta at " + i);
            }
            c.fill(Float.NaN);
            backend().blas().gemm(false, false, 0f, a, b, 0f, c);
            assertArrayEquals(new float[30], c.toFloatArray(), "alpha=0, beta=0 writes zeros over NaN");
        }
    }

    @Test
    void batchedWithAndWithoutASharedOperand() {
        int batch = 3;
        int m = 11;
        int k = 26;
        int n = 35;
        try (Tensor a = random(batch, m, k); Tensor b = random(batch, k, n); Tensor c = random(batch, m, n);
             Tensor sharedA = random(m, k); Tensor sharedBt = random(n, k)) {
            checkGemm("batched", false, false, 1f, a, b, 0f, c);
            checkGemm("batched, beta=1", false, false, 1f, a, b, 1f, c);
            Tensor broadcastA = sharedA.broadcastTo(batch, m, k);
            assertEquals(0, broadcastA.stride(0));
            checkGemm("batched, A shared (batch stride 0)", false, false, 1f, broadcastA, b, 0f, c);
            Tensor broadcastBt = sharedBt.broadcastTo(batch, n, k);
            checkGemm("batched, B^T shared (batch stride 0)", false, true, 1f, a, broadcastBt, 0f, c);
            try (Tensor at = a.transpose(1, 2).contiguous()) {
                checkGemm("batched, stored A^T with the flag", true, false, 1f, at, b, 0f, c);
                checkGemm("batched, transposed view of stored A^T", false, false, 1f, at.transpose(1, 2), b, 0f, c);
            }
        }
        // Big enough to be split over threads, with a split point inside a batch entry.
        try (Tensor a = random(5, 40, 64); Tensor b = random(5, 64, 50); Tensor c = random(5, 40, 50)) {
            checkGemm("batched, split over threads", false, false, 1f, a, b, 0f, c);
        }
    }

    @Test
    void largeProductsThatSpanSeveralBlocksAndThreads() {
        int[][] sizes = {{300, 257, 200}, {20, 300, 700}, {1000, 9, 32}, {32, 2000, 9}, {9, 3, 2100}};
        for (int[] size : sizes) {
            int m = size[0];
            int k = size[1];
            int n = size[2];
            try (Tensor a = random(m, k); Tensor bt = random(n, k); Tensor c = random(m, n)) {
                checkGemm(m + "x" + k + "x" + n, false, true, 1f, a, bt, 0.5f, c);
            }
        }
        try (Tensor at = random(257, 300); Tensor b = random(257, 200); Tensor c = random(300, 200)) {
            checkGemm("300x257x200 with A^T", true, false, -1f, at, b, 0f, c);
        }
    }

    @Test
    void shapeMismatchesNameBothShapes() {
        try (Tensor a = random(4, 5); Tensor b = random(5, 7); Tensor c = random(4, 7); Tensor wrongB = random(6, 7);
             Tensor wrongC = random(5, 7); Tensor a3 = random(2, 4, 5); Tensor b3 = random(3, 5, 7);
             Tensor c3 = random(2, 4, 7)) {
            IllegalArgumentException inner = assertThrows(IllegalArgumentException.class,
                    () -> backend().blas().gemm(false, false, 1f, a, wrongB, 0f, c));
            assertTrue(inner.getMessage().contains("[4, 5]") && inner.getMessage().contains("[6, 7]"), inner.getMessage());
            IllegalArgumentException outer = assertThrows(IllegalArgumentException.class,
                    () -> backend().blas().gemm(false, false, 1f, a, b, 0f, wrongC));
            assertTrue(outer.getMessage().contains("[5, 7]"), outer.getMessage());
            assertThrows(IllegalArgumentException.class, () -> backend().blas().gemm(true, false, 1f, a, b, 0f, c),
                    "op(A) = [5, 4] does not chain with [5, 7]");
            assertThrows(IllegalArgumentException.class, () -> backend().blas().gemm(false, false, 1f, a3, b3, 0f, c3),
                    "batch sizes 2 and 3 differ");
            assertThrows(IllegalArgumentException.class, () -> backend().blas().gemm(false, false, 1f, a, b3, 0f, c),
                    "2-D with 3-D");
        }
    }

    /** {@code C = alpha * sum_s op(A[s]) op(B[s]) + beta * C} on the backend against the double-precision loop. */
    private void checkBatchSum(String what, boolean transposeA, boolean transposeB, float alpha, Tensor a, Tensor b,
                               float beta, Tensor c) {
        int batch = a.dim(0);
        int m = c.dim(0);
        int n = c.dim(1);
        int k = transposeA ? a.dim(1) : a.dim(2);
        float[] av = a.toFloatArray();
        float[] bv = b.toFloatArray();
        float[] cv = c.toFloatArray();
        double[] expected = new double[m * n];
        double[] scale = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                double magnitude = 0;
                for (int s = 0; s < batch; s++) {
                    for (int p = 0; p < k; p++) {
                        double x = transposeA ? av[(s * k + p) * m + i] : av[(s * m + i) * k + p];
                        double y = transposeB ? bv[(s * n + j) * k + p] : bv[(s * k + p) * n + j];
                        sum += x * y;
                        magnitude += Math.abs(x * y);
                    }
                }
                double prior = beta == 0f ? 0 : (double) beta * cv[i * n + j];
                expected[i * n + j] = alpha * sum + prior;
                scale[i * n + j] = Math.abs(alpha) * magnitude + Math.abs(prior);
            }
        }
        backend().blas().gemmBatchSum(transposeA, transposeB, alpha, a, b, beta, c);
        assertClose(expected, scale, c.toFloatArray(), TOLERANCE, what);
    }

    @Test
    void batchSumOnEveryTransposeFlagAndEdgeSize() {
        int batch = 3;
        for (int[] size : SIZES) {
            int m = size[0];
            int k = size[1];
            int n = size[2];
            for (int flags = 0; flags < 4; flags++) {
                boolean ta = (flags & 1) != 0;
                boolean tb = (flags & 2) != 0;
                try (Tensor a = ta ? random(batch, k, m) : random(batch, m, k);
                     Tensor b = tb ? random(batch, n, k) : random(batch, k, n); Tensor c = random(m, n)) {
                    String what = "batch sum " + m + "x" + k + "x" + n + " transposeA=" + ta + " transposeB=" + tb;
                    checkBatchSum(what, ta, tb, 0.75f, a, b, 0f, c);
                    checkBatchSum(what + ", beta=1.5", ta, tb, -1f, a, b, 1.5f, c);
                }
            }
        }
    }

    @Test
    void batchSumOfManyShortProductsAndOfLongOnesIntoAStridedView() {
        // A convolution's weight gradient: 37 samples of dZ [64 x 121] times columns^T [121 x 288],
        // several samples to a depth block and the batch split over threads.
        try (Tensor dz = random(37, 64, 121); Tensor cols = random(37, 288, 121); Tensor dw = random(64, 288)) {
            checkBatchSum("conv weight gradient", false, true, 1f, dz, cols, 0f, dw);
            checkBatchSum("conv weight gradient, accumulating", false, true, 1f, dz, cols, 1f, dw);
        }
        // K longer than one depth block, operands as transposed views, C a column-strided view.
        try (Tensor at = random(5, 600, 20); Tensor b = random(5, 600, 33); Tensor wide = random(33, 40)) {
            Tensor c = wide.slice(1, 0, 40, 2).transpose(0, 1);
            assertEquals(40, c.stride(1), "C's columns are rows of the wide tensor, 40 apart");
            checkBatchSum("long K, A^T view, strided C", false, false, 0.5f, at.transpose(1, 2), b, 0.25f, c);
        }
        // A single entry and a shared (batch stride 0) operand.
        try (Tensor a = random(1, 9, 30); Tensor b = random(30, 9); Tensor c = random(9, 9);
             Tensor many = random(4, 9, 30)) {
            checkBatchSum("batch of one", false, false, 1f, a, b.unsqueeze(0), 0f, c);
            checkBatchSum("shared B", false, false, 1f, many, b.unsqueeze(0).broadcastTo(4, 30, 9), 0f, c);
        }
    }

    @Test
    void batchSumRefusesMismatchedShapesAndAnEmptyBatch() {
        try (Tensor a = random(2, 4, 5); Tensor b = random(3, 5, 7); Tensor c = random(4, 7);
             Tensor b2 = random(2, 5, 7); Tensor c3 = random(2, 4, 7)) {
            IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
                    () -> backend().blas().gemmBatchSum(false, false, 1f, a, b, 0f, c));
            assertTrue(batch.getMessage().contains("[2, 4, 5]") && batch.getMessage().contains("[3, 5, 7]"),
                    batch.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> backend().blas().gemmBatchSum(false, false, 1f, a, b2, 0f, c3), "C must be 2-D");
            assertThrows(IllegalArgumentException.class,
                    () -> backend().blas().gemmBatchSum(false, false, 1f, a.slice(0, 0, 0), b2.slice(0, 0, 0), 0f, c),
                    "an empty batch is refused");
        }
    }
}
