package dev.strix.cuda;

import dev.strix.tensor.DType;
import dev.strix.tensor.ReduceOp;
import dev.strix.tensor.Reductions;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.spi.ReductionAxes;
import java.lang.foreign.MemorySegment;

/**
 * Reductions as kernels (cuda-src/reduce.cu), accumulated in double precision: one thread per output
 * when each output sums few elements, one block per output otherwise.
 */
final class CudaReductions implements Reductions {
    /** Below this many reduced elements per output, a thread per output beats a block per output. */
    private static final long SHORT_REDUCTION = 64;

    private final CudaBackend backend;
    private final CudaKernels kernels;
    private final MemorySegment rowsKernel;
    private final MemorySegment blocksKernel;
    private final MemorySegment argmaxKernel;

    CudaReductions(CudaBackend backend) {
        this.backend = backend;
        this.kernels = backend.kernels();
        this.rowsKernel = kernels.function("reduce_f32_rows");
        this.blocksKernel = kernels.function("reduce_f32_blocks");
        this.argmaxKernel = kernels.function("argmax_f32");
    }

    @Override
    public void reduce(ReduceOp op, Tensor x, int[] axes, Tensor out) {
        String what = "reduce " + op;
        check(x, what + " input");
        check(out, what + " output");
        ReductionAxes plan = ReductionAxes.of(what, x, axes, out);
        if (plan.outputCount() == 0) {
            return;
        }
        StridedLayout kept = StridedLayout.of(what, plan.keptDims(), new long[][] {plan.keptStridesX(), plan.keptStridesOut()},
                new long[] {x.offset(), out.offset()});
        StridedLayout red = StridedLayout.of(what, plan.reducedDims(), new long[][] {plan.reducedStridesX()}, new long[] {0});
        boolean perThread = plan.reducedCount() < SHORT_REDUCTION;
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(KernelCodes.of(op));
            kept.shapeTo(p).i64(plan.outputCount());
            red.shapeTo(p).i64(plan.reducedCount());
            p.pointer(CudaBackend.base(x));
            kept.viewTo(p, 0);
            red.viewTo(p, 0);
            p.pointer(CudaBackend.base(out));
            kept.viewTo(p, 1);
            if (perThread) {
                kernels.launch(rowsKernel, plan.outputCount(), "reduce_f32_rows");
            } else {
                kernels.launchBlocks(blocksKernel, CudaKernels.blocksFor(plan.outputCount()), CudaKernels.THREADS,
                        "reduce_f32_blocks");
            }
        }
    }

    @Override
    public void argmax(Tensor x, int axis, Tensor out) {
        check(x, "argmax input");
        backend.requireHere(out, "argmax output");
        out.requireDType(DType.I32, "argmax output");
        int a = x.shape().normalizeAxis(axis);
        ReductionAxes plan = ReductionAxes.of("argmax", x, new int[] {a}, out);
        if (plan.outputCount() == 0) {
            return;
        }
        StridedLayout kept = StridedLayout.of("argmax", plan.keptDims(),
                new long[][] {plan.keptStridesX(), plan.keptStridesOut()}, new long[] {x.offset(), out.offset()});
        synchronized (kernels) {
            KernelParams p = kernels.params();
            kept.shapeTo(p).i64(plan.outputCount());
            kept.viewTo(p.pointer(CudaBackend.base(x)), 0);
            p.i64(x.stride(a)).i32(x.dim(a));
            kept.viewTo(p.pointer(CudaBackend.base(out)), 1);
            kernels.launch(argmaxKernel, plan.outputCount(), "argmax_f32");
        }
    }

    private void check(Tensor t, String what) {
        backend.requireHere(t, what);
        t.requireDType(DType.F32, what);
    }
}
