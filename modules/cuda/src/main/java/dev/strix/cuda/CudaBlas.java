package dev.strix.cuda;

import static dev.strix.cuda.CudaErrors.checkCublas;

import dev.strix.bindings.cublas.Cublas;
import dev.strix.tensor.Blas;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * GEMM through cuBLAS on the backend's stream, mapped from row-major strided tensors as
 * {@link GemmPlan} describes. Batched products use {@code cublasSgemmStridedBatched}, whose batch
 * strides may be zero.
 *
 * <p>Strict float32 by default ({@code CUBLAS_DEFAULT_MATH}, which never computes in fewer mantissa
 * bits than the data type has, so SGEMM keeps float32 products); {@link #tensorFloat32} switches to
 * {@code CUBLAS_TF32_TENSOR_OP_MATH}, where SGEMM may round its inputs to TF32 on tensor cores.
 * ({@code NVIDIA_TF32_OVERRIDE=0} in the environment disables TF32 even then.)
 *
 * <p>The handle works in a device workspace of its own, allocated with the backend ({@link
 * #workspaceBytes}: the sizes cuBLAS's documentation recommends for {@code cublasSetWorkspace}), so
 * cuBLAS never allocates while the training step is captured as a CUDA graph (left to itself it
 * would allocate inside the capture, putting memory nodes into the graph) and every replay uses the
 * same memory.
 *
 * <p>{@link #gemmBatchSum} (a convolution's weight gradient over the batch) is two launches, not one
 * GEMM per sample: one strided-batched GEMM into a reused buffer of per-sample products, then one
 * kernel that sums them in a fixed order, its warps splitting the batch ({@code gemm_batch_sum} in
 * cuda-src/reduce.cu).
 */
final class CudaBlas implements Blas, AutoCloseable {
    /**
     * Most floats of per-sample products that {@link #gemmBatchSum} keeps at once (256 MiB, as the
     * im2col column budget): a convolution's weight gradient at batch 1024 is then one group, two
     * launches.
     */
    static final long BATCH_SUM_BUDGET = 1L << 26;

    private final CudaBackend backend;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment handle;
    private final MemorySegment alpha;
    private final MemorySegment beta;
    private final MemorySegment batchSumKernel;
    private final Tensor workspace;
    private long batchSumBudget = BATCH_SUM_BUDGET;
    /** The per-sample products of {@link #gemmBatchSum}: sized on first use, grown when needed, reused. */
    private Tensor products;

    CudaBlas(CudaBackend backend) {
        this.backend = backend;
        backend.context().makeCurrent();
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        checkCublas(Cublas.cublasCreate_v2(out), "cublasCreate_v2");
        this.handle = out.get(ValueLayout.ADDRESS, 0);
        checkCublas(Cublas.cublasSetStream_v2(handle, backend.context().stream()), "cublasSetStream_v2");
        // After the stream: cublasSetStream resets a handle's workspace to cuBLAS's own pool.
        long bytes = workspaceBytes(backend.context().computeMajor());
        this.workspace = backend.allocate(DType.U8, Shape.of(Math.toIntExact(bytes)));
        checkCublas(Cublas.cublasSetWorkspace_v2(handle, MemorySegment.ofAddress(CudaBackend.address(workspace)), bytes),
                "cublasSetWorkspace_v2");
        tensorFloat32(false);
        checkCublas(Cublas.cublasSetPointerMode_v2(handle, Cublas.CUBLAS_POINTER_MODE_HOST()), "cublasSetPointerMode_v2");
        this.alpha = arena.allocate(ValueLayout.JAVA_FLOAT);
        this.beta = arena.allocate(ValueLayout.JAVA_FLOAT);
        this.batchSumKernel = backend.kernels().function("gemm_batch_sum");
    }

    /** cuBLAS's recommended workspace: 32 MiB on Hopper (compute 9.x) and later, 4 MiB before. */
    static long workspaceBytes(int computeMajor) {
        return computeMajor >= 9 ? 32L << 20 : 4L << 20;
    }

    /**
     * "cuBLAS 13.0.2": {@code cublasGetVersion} answers {@code major * 10000 + minor * 100 + patch}
     * (a cuBLAS 12 standing in for 13 shows here, see {@link dev.strix.bindings.NativeLibrary}).
     */
    String version() {
        try (Arena local = Arena.ofConfined()) {
            MemorySegment out = local.allocate(ValueLayout.JAVA_INT);
            checkCublas(Cublas.cublasGetVersion_v2(handle, out), "cublasGetVersion_v2");
            int v = out.get(ValueLayout.JAVA_INT, 0);
            return "cuBLAS " + v / 10000 + "." + v / 100 % 100 + "." + v % 100;
        }
    }

    /** Strict float32 products ({@code false}) or TF32 tensor-core products ({@code true}). */
    synchronized void tensorFloat32(boolean enabled) {
        backend.context().makeCurrent();
        int mode = enabled ? Cublas.CUBLAS_TF32_TENSOR_OP_MATH() : Cublas.CUBLAS_DEFAULT_MATH();
        checkCublas(Cublas.cublasSetMathMode(handle, mode), "cublasSetMathMode");
    }

    @Override
    public void gemm(boolean transposeA, boolean transposeB, float alphaValue, Tensor a, Tensor b, float betaValue,
                     Tensor c) {
        check(a, "gemm A");
        check(b, "gemm B");
        check(c, "gemm C");
        if (a.rank() != c.rank() || b.rank() != c.rank() || (c.rank() != 2 && c.rank() != 3)) {
            throw new IllegalArgumentException("gemm needs A, B, C all 2-D or all 3-D (batched), got A" + a.shape()
                    + " B" + b.shape() + " C" + c.shape());
        }
        boolean batched = c.rank() == 3;
        int r = batched ? 1 : 0;
        int batch = batched ? c.dim(0) : 1;
        int m = c.dim(r);
        int n = c.dim(r + 1);
        int k = transposeA ? a.dim(r) : a.dim(r + 1);
        int am = transposeA ? a.dim(r + 1) : a.dim(r);
        int bk = transposeB ? b.dim(r + 1) : b.dim(r);
        int bn = transposeB ? b.dim(r) : b.dim(r + 1);
        if (am != m || bn != n || bk != k || (batched && (a.dim(0) != batch || b.dim(0) != batch))) {
            throw new IllegalArgumentException("gemm shape mismatch: op(A)" + a.shape() + (transposeA ? "^T" : "")
                    + " x op(B)" + b.shape() + (transposeB ? "^T" : "") + " -> C" + c.shape());
        }
        if (c.size() == 0) {
            return;
        }
        if (k == 0) {
            // An empty sum: C = beta * C, and C is not read when beta is 0.
            if (betaValue == 0f) {
                backend.fill(c, 0f);
            } else {
                backend.elementwise().scalar(dev.strix.tensor.BinaryOp.MULTIPLY, c, betaValue, c);
            }
            return;
        }
        GemmPlan.Matrix ma = matrix(a, transposeA, batched);
        GemmPlan.Matrix mb = matrix(b, transposeB, batched);
        GemmPlan.Matrix mc = matrix(c, false, batched);
        Tensor copyA = GemmPlan.fit(ma) == null ? a.contiguous() : null;
        Tensor copyB = GemmPlan.fit(mb) == null ? b.contiguous() : null;
        boolean cFits = GemmPlan.outputLd(mc) > 0 || GemmPlan.outputLd(mc.transposed()) > 0;
        Tensor tempC = cFits ? null : (betaValue == 0f ? backend.allocate(DType.F32, c.shape()) : c.contiguous());
        try {
            Tensor ta = copyA != null ? copyA : a;
            Tensor tb = copyB != null ? copyB : b;
            Tensor tc = tempC != null ? tempC : c;
            GemmPlan.Call call = GemmPlan.plan(matrix(ta, transposeA, batched), matrix(tb, transposeB, batched),
                    matrix(tc, false, batched));
            if (call == null) {
                throw new IllegalStateException("gemm: no cuBLAS layout for A" + describe(ta) + " B" + describe(tb)
                        + " C" + describe(tc));
            }
            Tensor first = call.swapped() ? tb : ta;
            Tensor second = call.swapped() ? ta : tb;
            run(call, batch, alphaValue, first, second, betaValue, tc);
            if (tempC != null) {
                backend.copy(tempC, c);
            }
        } finally {
            close(copyA);
            close(copyB);
            close(tempC);
        }
    }

    /**
     * {@code C = alpha * sum_b op(A[b]) op(B[b]) + beta * C} as one strided-batched GEMM of the
     * samples into a buffer of per-sample products and one summing kernel: two launches for the whole
     * batch (for more samples than {@link #BATCH_SUM_BUDGET} floats of products hold, two per group of
     * samples that fit; beta applies to the first group, later ones add to it).
     */
    @Override
    public synchronized void gemmBatchSum(boolean transposeA, boolean transposeB, float alphaValue, Tensor a,
                                          Tensor b, float betaValue, Tensor c) {
        check(a, "gemmBatchSum A");
        check(b, "gemmBatchSum B");
        check(c, "gemmBatchSum C");
        Blas.checkBatchSum(transposeA, transposeB, a, b, c);
        if (c.size() == 0) {
            return;
        }
        int batch = a.dim(0);
        int m = c.dim(0);
        int n = c.dim(1);
        long perSample = (long) m * n;
        int group = (int) Math.max(1, Math.min(batch, batchSumBudget / perSample));
        long needed = group * perSample;
        if (products == null || products.size() < needed) {
            if (products != null) {
                products.close();
                products = null;
            }
            products = backend.allocate(DType.F32, Shape.of(Math.toIntExact(needed)));
        }
        CudaKernels kernels = backend.kernels();
        for (int start = 0; start < batch; start += group) {
            int count = Math.min(group, batch - start);
            Tensor w = products.slice(0, 0, (int) (count * perSample)).reshape(count, m, n);
            gemm(transposeA, transposeB, alphaValue, a.slice(0, start, start + count), b.slice(0, start, start + count),
                    0f, w);
            synchronized (kernels) {
                KernelParams p = kernels.params().pointer(CudaBackend.address(w)).i64(count).i32(m).i32(n);
                p.pointer(CudaBackend.address(c)).i64(c.stride(0)).i64(c.stride(1)).f32(start == 0 ? betaValue : 1f);
                kernels.launchBlocks(batchSumKernel, CudaKernels.blocksFor((perSample + 31) / 32),
                        32 * batchSumSplits(count), "gemm_batch_sum");
            }
        }
    }

    /**
     * The warps per block of {@code gemm_batch_sum} (cuda-src/reduce.cu), which split a batch of
     * {@code samples} between them: about 8 samples each, at most 16 warps (its shared memory).
     */
    static int batchSumSplits(int samples) {
        return Math.max(1, Math.min(16, (samples + 7) / 8));
    }

    /** Sets the products budget of {@link #gemmBatchSum} in floats (tests use a small one to make several groups). */
    synchronized void batchSumBudget(long floats) {
        batchSumBudget = floats;
    }

    private synchronized void run(GemmPlan.Call call, int batch, float alphaValue, Tensor first, Tensor second,
                                  float betaValue, Tensor c) {
        backend.context().makeCurrent();
        alpha.set(ValueLayout.JAVA_FLOAT, 0, alphaValue);
        beta.set(ValueLayout.JAVA_FLOAT, 0, betaValue);
        int opFirst = call.firstFit().transpose() ? Cublas.CUBLAS_OP_T() : Cublas.CUBLAS_OP_N();
        int opSecond = call.secondFit().transpose() ? Cublas.CUBLAS_OP_T() : Cublas.CUBLAS_OP_N();
        MemorySegment pFirst = MemorySegment.ofAddress(CudaBackend.base(first) + 4 * call.first().offset());
        MemorySegment pSecond = MemorySegment.ofAddress(CudaBackend.base(second) + 4 * call.second().offset());
        MemorySegment pC = MemorySegment.ofAddress(CudaBackend.base(c) + 4 * call.c().offset());
        if (batch == 1) {
            checkCublas(Cublas.cublasSgemm_v2(handle, opFirst, opSecond, call.m(), call.n(), call.k(), alpha,
                    pFirst, call.firstFit().ld(), pSecond, call.secondFit().ld(), beta, pC, call.ldc()),
                    "cublasSgemm_v2");
        } else {
            checkCublas(Cublas.cublasSgemmStridedBatched(handle, opFirst, opSecond, call.m(), call.n(), call.k(), alpha,
                    pFirst, call.firstFit().ld(), call.first().batchStride(),
                    pSecond, call.secondFit().ld(), call.second().batchStride(), beta,
                    pC, call.ldc(), call.c().batchStride(), batch), "cublasSgemmStridedBatched");
        }
        backend.context().queued();
    }

    /** op(X) of a 2-D or 3-D tensor as a logical matrix: a transpose only swaps the two strides. */
    private static GemmPlan.Matrix matrix(Tensor t, boolean transpose, boolean batched) {
        int r = batched ? 1 : 0;
        GemmPlan.Matrix m = new GemmPlan.Matrix(t.dim(r), t.dim(r + 1), t.offset(), t.stride(r), t.stride(r + 1),
                batched ? t.stride(0) : 0);
        return transpose ? m.transposed() : m;
    }

    private void check(Tensor t, String what) {
        backend.requireHere(t, what);
        t.requireDType(DType.F32, what);
    }

    private static String describe(Tensor t) {
        return t.shape() + " strides " + java.util.Arrays.toString(t.strides());
    }

    private static void close(Tensor t) {
        if (t != null) {
            t.close();
        }
    }

    @Override
    public synchronized void close() {
        if (products != null) {
            products.close();
            products = null;
        }
        backend.context().makeCurrent();
        checkCublas(Cublas.cublasDestroy_v2(handle), "cublasDestroy_v2");
        // Only now: the handle may use its workspace until it is destroyed.
        workspace.close();
        arena.close();
    }
}
