package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.bindings.CudaLibraries;
import dev.strix.bindings.NativeLibrary;
import dev.strix.bindings.cudnn.Cudnn;
import dev.strix.tensor.Backend;
import dev.strix.tensor.BinaryOp;
import dev.strix.tensor.DType;
import dev.strix.tensor.ReduceOp;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What is particular to the CUDA backend: error reporting, host transfers, conversions at the
 * edges, grid-stride coverage of large tensors, and cuBLAS GEMM over every layout (row-major,
 * transposed views, column-major output, non-unit inner strides, batched with a broadcast operand),
 * each checked against naive loops. Skipped, with the reason, where there is no GPU.
 */
class CudaBackendTest {
    private static Backend cuda;
    private final SplittableRandom random = new SplittableRandom(42);

    @BeforeEach
    void requireGpu() {
        cuda = CudaTestSupport.cudaOrSkip("CUDA backend tests");
    }

    private float[] randomFloats(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return a;
    }

    @Test
    void describesTheGpu() {
        String d = ((CudaBackend) cuda).describe();
        assertTrue(d.matches(".+ \\(compute \\d+\\.\\d+, [0-9.]+ GiB, driver \\d+\\.\\d+, cuBLAS 1[23]\\.\\d+\\.\\d+\\)"),
                d);
    }

    @Test
    void errorsNameTheFunctionAndTheLibrarysErrorName() {
        CudaException e = assertThrows(CudaException.class, () -> CudaErrors.check(1, "cuSomething"));
        assertEquals("cuSomething failed: CUDA_ERROR_INVALID_VALUE (invalid argument)", e.getMessage());
        CudaException oom = assertThrows(CudaException.class,
                () -> cuda.allocate(DType.F32, Shape.of(1 << 30, 1 << 30)));
        assertEquals("cuMemAlloc_v2", oom.function());
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", oom.errorName());
        CudaException blas = assertThrows(CudaException.class, () -> CudaErrors.checkCublas(7, "cublasSomething"));
        assertTrue(blas.getMessage().startsWith("cublasSomething failed: CUBLAS_STATUS_INVALID_VALUE"), blas.getMessage());
    }

    @Test
    void cudnnLoadsWithItsSiblingsAndTakesOurStream() {
        CudaLibraries.Result r = CudaLibraries.load(NativeLibrary.CUDNN);
        System.out.println("[strix] cuDNN: " + r.message());
        Assumptions.assumeTrue(r.loaded(), r.message());
        long version = Cudnn.cudnnGetVersion();
        assertTrue(version >= 90000, "cuDNN version " + version);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            CudaErrors.checkCudnn(Cudnn.cudnnCreate(out), "cudnnCreate");
            MemorySegment handle = out.get(ValueLayout.ADDRESS, 0);
            CudaErrors.checkCudnn(Cudnn.cudnnSetStream(handle, ((CudaBackend) cuda).context().stream()), "cudnnSetStream");
            CudaErrors.checkCudnn(Cudnn.cudnnDestroy(handle), "cudnnDestroy");
        }
        CudaErrors.lastCudnnError();   // clears what an earlier test's refusal left
        CudaException e = assertThrows(CudaException.class,
                () -> CudaErrors.checkCudnn(Cudnn.CUDNN_STATUS_NOT_SUPPORTED(), "cudnnSomething"));
        assertEquals("cudnnSomething failed: CUDNN_STATUS_NOT_SUPPORTED", e.getMessage());
        // A real refusal carries cuDNN's own reason: a broadcast axis, which cuDNN does not take.
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            CudaErrors.checkCudnn(Cudnn.cudnnCreateTensorDescriptor(out), "cudnnCreateTensorDescriptor");
            MemorySegment d = out.get(ValueLayout.ADDRESS, 0);
            CudaException refused = assertThrows(CudaException.class, () -> CudaErrors.checkCudnn(
                    Cudnn.cudnnSetTensor4dDescriptorEx(d, Cudnn.CUDNN_DATA_FLOAT(), 2, 3, 4, 5, 0, 20, 5, 1),
                    "cudnnSetTensor4dDescriptorEx"));
            assertTrue(refused.getMessage().startsWith("cudnnSetTensor4dDescriptorEx failed: CUDNN_STATUS_BAD_PARAM ("),
                    refused.getMessage());
            assertTrue(refused.getMessage().length() > "cudnnSetTensor4dDescriptorEx failed: CUDNN_STATUS_BAD_PARAM (".length() + 5,
                    "cuDNN's reason is in the message: " + refused.getMessage());
            System.out.println("[strix] cuDNN's own reason for a broadcast axis: " + refused.getMessage());
            assertEquals("", CudaErrors.lastCudnnError(), "reading the message cleared it");
            CudaErrors.checkCudnn(Cudnn.cudnnDestroyTensorDescriptor(d), "cudnnDestroyTensorDescriptor");
        }
    }

    @Test
    void usingFreedStorageIsRefused() {
        Tensor t = cuda.allocate(DType.F32, Shape.of(4));
        t.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.fill(1f));
        assertTrue(e.getMessage().contains("after its storage was freed"), e.getMessage());
    }

    @Test
    void hostCopiesWorkFromNativeAndHeapMemoryAndHonourOffsets() {
        float[] data = randomFloats(1000);
        try (Arena arena = Arena.ofConfined(); Tensor t = cuda.allocate(DType.F32, Shape.of(1000))) {
            MemorySegment nativeSrc = arena.allocateFrom(ValueLayout.JAVA_FLOAT, data);
            cuda.copyFromHost(nativeSrc, t);
            float[] heap = new float[1000];
            cuda.copyToHost(t, MemorySegment.ofArray(heap));
            assertArrayEquals(data, heap);
            Tensor tail = t.slice(0, 600, 1000);
            MemorySegment nativeDst = arena.allocate(ValueLayout.JAVA_FLOAT, 400);
            cuda.copyToHost(tail, nativeDst);
            for (int i = 0; i < 400; i++) {
                assertEquals(data[600 + i], nativeDst.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            }
            cuda.copyFromHost(MemorySegment.ofArray(new float[] {9f, 8f}), t.slice(0, 10, 12));
            assertEquals(9f, t.get(10));
            assertEquals(8f, t.get(11));
            assertEquals(data[12], t.get(12));
        }
    }

    @Test
    void conversionsClampTruncateAndMapNanToZero() {
        float[] edge = {-5f, 300f, Float.NaN, 7.9f, -2.7f, 3e10f};
        try (Tensor f = Tensor.of(cuda, edge, 6); Tensor b = cuda.allocate(DType.U8, Shape.of(6));
             Tensor i = cuda.allocate(DType.I32, Shape.of(6))) {
            cuda.copy(f, b);
            assertArrayEquals(new int[] {0, 255, 0, 7, 0, 255}, b.toIntArray());
            cuda.copy(f, i);
            assertArrayEquals(new int[] {-5, 300, 0, 7, -2, Integer.MAX_VALUE}, i.toIntArray());
            // The strided kernel path (reversed view), not the memset/memcpy shortcut.
            Tensor reversed = b.asStrided(Shape.of(6), new long[] {-1}, 5);
            cuda.fill(reversed.slice(0, 0, 6, 2), 300f);
            assertArrayEquals(new int[] {0, 255, 0, 255, 0, 255}, b.toIntArray());
            cuda.fill(i, -3.9f);
            assertArrayEquals(new int[] {-3, -3, -3, -3, -3, -3}, i.toIntArray());
        }
    }

    @Test
    void gridStrideLoopsCoverMoreElementsThanOneGrid() {
        int n = (1 << 24) + 1003;  // beyond 65536 blocks x 256 threads
        try (Tensor t = cuda.allocate(DType.F32, Shape.of(n)); Tensor sum = cuda.allocate(DType.F32, Shape.of())) {
            t.fill(1f);
            cuda.elementwise().scalar(BinaryOp.ADD, t, 1f, t);
            cuda.reductions().reduce(ReduceOp.SUM, t, new int[] {0}, sum);
            // Summed exactly in double, then rounded once to float.
            assertEquals((float) (2.0 * n), sum.get());
            assertEquals(2f, t.get(n - 1));
        }
    }

    // ---------------------------------------------------------------- GEMM

    /** Naive C = alpha * op(A) op(B) + beta * C over row-major logical arrays. */
    private static double[] naive(boolean ta, boolean tb, float alpha, float[] a, int[] ad, float[] b, int[] bd,
                                  float beta, float[] c, int batch, int m, int n, int k) {
        double[] out = new double[batch * m * n];
        for (int q = 0; q < batch; q++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        float x = ta ? a[(q * ad[0] + p) * ad[1] + i] : a[(q * ad[0] + i) * ad[1] + p];
                        float y = tb ? b[(q * bd[0] + j) * bd[1] + p] : b[(q * bd[0] + p) * bd[1] + j];
                        s += (double) x * y;
                    }
                    int at = (q * m + i) * n + j;
                    out[at] = alpha * s + (beta == 0 ? 0 : beta * c[at]);
                }
            }
        }
        return out;
    }

    private static void assertGemm(double[] expected, float[] actual, int k, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double allowed = 1e-5 * k * Math.max(1, Math.abs(expected[i]));
            assertTrue(Math.abs(actual[i] - expected[i]) <= allowed,
                    what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
        }
    }

    @Test
    void gemmWithTransposeFlagsAndTransposedViews() {
        int m = 37;
        int n = 29;
        int k = 53;
        for (int mask = 0; mask < 16; mask++) {
            boolean ta = (mask & 1) != 0;
            boolean tb = (mask & 2) != 0;
            boolean viewA = (mask & 4) != 0;   // pass op(A) as a transposed view instead of the flag
            boolean columnMajorC = (mask & 8) != 0;
            int[] ad = ta ? new int[] {k, m} : new int[] {m, k};
            int[] bd = tb ? new int[] {n, k} : new int[] {k, n};
            float[] a = randomFloats(m * k);
            float[] b = randomFloats(k * n);
            float[] c = randomFloats(m * n);
            double[] expected = naive(ta, tb, 0.75f, a, new int[] {0, ad[1]}, b, new int[] {0, bd[1]}, -1.25f, c, 1, m, n, k);
            try (Tensor ta2 = Tensor.of(cuda, a, ad); Tensor tb2 = Tensor.of(cuda, b, bd);
                 Tensor cStore = columnMajorC ? Tensor.of(cuda, transpose(c, m, n), n, m) : Tensor.of(cuda, c, m, n)) {
                Tensor tc = columnMajorC ? cStore.transpose(0, 1) : cStore;
                Tensor opA = viewA ? ta2.transpose(0, 1) : ta2;
                boolean flagA = viewA != ta;
                if (viewA) {
                    // The view flips A's layout; compensate with the flag so op(A) stays the same matrix.
                    cuda.blas().gemm(flagA, tb, 0.75f, opA, tb2, -1.25f, tc);
                } else {
                    cuda.blas().gemm(ta, tb, 0.75f, ta2, tb2, -1.25f, tc);
                }
                assertGemm(expected, tc.toFloatArray(), k, "gemm mask " + mask);
            }
        }
    }

    private static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = x[i * cols + j];
            }
        }
        return t;
    }

    @Test
    void gemmCopiesOperandsWithNonUnitInnerStrides() {
        int m = 9;
        int n = 11;
        int k = 13;
        float[] wideA = randomFloats(m * 2 * k);
        float[] b = randomFloats(k * n);
        float[] wideC = randomFloats(m * 2 * n);
        float[] a = new float[m * k];
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                a[i * k + p] = wideA[i * 2 * k + 2 * p];
            }
            for (int j = 0; j < n; j++) {
                c[i * n + j] = wideC[i * 2 * n + 2 * j];
            }
        }
        double[] expected = naive(false, false, 1f, a, new int[] {0, k}, b, new int[] {0, n}, 0.5f, c, 1, m, n, k);
        try (Tensor ta = Tensor.of(cuda, wideA, m, 2 * k); Tensor tb = Tensor.of(cuda, b, k, n);
             Tensor tc = Tensor.of(cuda, wideC, m, 2 * n)) {
            Tensor everyOtherC = tc.slice(1, 0, 2 * n, 2);
            cuda.blas().gemm(false, false, 1f, ta.slice(1, 0, 2 * k, 2), tb, 0.5f, everyOtherC);
            assertGemm(expected, everyOtherC.toFloatArray(), k, "strided A and C");
            float[] all = tc.toFloatArray();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    assertEquals(wideC[i * 2 * n + 2 * j + 1], all[i * 2 * n + 2 * j + 1], "untouched odd column");
                }
            }
        }
    }

    @Test
    void batchedGemmWithABroadcastOperandIgnoresGarbageWhenBetaIsZero() {
        int batch = 4;
        int m = 8;
        int n = 6;
        int k = 10;
        float[] w = randomFloats(m * k);
        float[] x = randomFloats(batch * k * n);
        float[] broadcastW = new float[batch * m * k];
        for (int q = 0; q < batch; q++) {
            System.arraycopy(w, 0, broadcastW, q * m * k, m * k);
        }
        double[] expected = naive(false, false, 1f, broadcastW, new int[] {m, k}, x, new int[] {k, n}, 0f, null,
                batch, m, n, k);
        try (Tensor tw = Tensor.of(cuda, w, m, k); Tensor tx = Tensor.of(cuda, x, batch, k, n);
             Tensor out = cuda.allocate(DType.F32, Shape.of(batch, m, n))) {
            out.fill(Float.NaN);
            Tensor shared = tw.asStrided(Shape.of(batch, m, k), 0, k, 1);
            cuda.blas().gemm(false, false, 1f, shared, tx, 0f, out);
            assertGemm(expected, out.toFloatArray(), k, "batched, W shared");
        }
    }
}
