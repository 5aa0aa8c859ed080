package dev.strix.cuda;

import dev.strix.tensor.DType;
import dev.strix.tensor.ReduceOp;
import dev.strix.tensor.Reductions;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

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

    /** The input's axes split into kept ones (indexing the output) and reduced ones. */
    record Plan(int[] keptDims, long[] keptStridesX, long[] keptStridesOut, int[] reducedDims,
                long[] reducedStridesX, long outputs, long reducedCount) {
    }

    /** Validates {@code out} against {@code x} reduced over {@code axes} (dropped or kept as size 1). */
    static Plan plan(String what, Tensor x, int[] axes, Tensor out) {
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        for (int a : axes) {
            int n = x.shape().normalizeAxis(a);
            if (reduced[n]) {
                throw new IllegalArgumentException(what + ": axis " + a + " listed twice in " + Arrays.toString(axes));
            }
            reduced[n] = true;
        }
        int keptCount = rank - axes.length;
        boolean keepDims = out.rank() == rank && rank != keptCount;
        if (!keepDims && out.rank() != keptCount) {
            throw new IllegalArgumentException(what + ": output " + out.shape() + " does not match input " + x.shape()
                    + " reduced over axes " + Arrays.toString(axes));
        }
        int[] keptDims = new int[keptCount];
        long[] keptX = new long[keptCount];
        long[] keptOut = new long[keptCount];
        int[] redDims = new int[axes.length];
        long[] redX = new long[axes.length];
        long outputs = 1;
        long count = 1;
        for (int i = 0, k = 0, r = 0; i < rank; i++) {
            if (reduced[i]) {
                if (keepDims && out.dim(i) != 1) {
                    throw new IllegalArgumentException(what + ": output " + out.shape()
                            + " must have size 1 on reduced axis " + i + " of input " + x.shape());
                }
                redDims[r] = x.dim(i);
                redX[r++] = x.stride(i);
                count *= x.dim(i);
            } else {
                int outAxis = keepDims ? i : k;
                if (out.dim(outAxis) != x.dim(i)) {
                    throw new IllegalArgumentException(what + ": output " + out.shape() + " does not match input "
                            + x.shape() + " on kept axis " + i);
                }
                keptDims[k] = x.dim(i);
                keptX[k] = x.stride(i);
                keptOut[k++] = out.stride(outAxis);
                outputs *= x.dim(i);
            }
        }
        return new Plan(keptDims, keptX, keptOut, redDims, redX, outputs, count);
    }

    @Override
    public void reduce(ReduceOp op, Tensor x, int[] axes, Tensor out) {
        String what = "reduce " + op;
        check(x, what + " input");
        check(out, what + " output");
        Plan plan = plan(what, x, axes, out);
        if (plan.outputs == 0) {
            return;
        }
        StridedLayout kept = StridedLayout.of(what, plan.keptDims, new long[][] {plan.keptStridesX, plan.keptStridesOut},
                new long[] {x.offset(), out.offset()});
        StridedLayout red = StridedLayout.of(what, plan.reducedDims, new long[][] {plan.reducedStridesX}, new long[] {0});
        boolean perThread = plan.reducedCount < SHORT_REDUCTION;
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(KernelCodes.of(op));
            kept.shapeTo(p).i64(plan.outputs);
            red.shapeTo(p).i64(plan.reducedCount);
            p.pointer(CudaBackend.base(x));
            kept.viewTo(p, 0);
            red.viewTo(p, 0);
            p.pointer(CudaBackend.base(out));
            kept.viewTo(p, 1);
            if (perThread) {
                kernels.launch(rowsKernel, plan.outputs, "reduce_f32_rows");
            } else {
                kernels.launchBlocks(blocksKernel, CudaKernels.blocksFor(plan.outputs), CudaKernels.THREADS,
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
        Plan plan = plan("argmax", x, new int[] {a}, out);
        if (plan.outputs == 0) {
            return;
        }
        StridedLayout kept = StridedLayout.of("argmax", plan.keptDims,
                new long[][] {plan.keptStridesX, plan.keptStridesOut}, new long[] {x.offset(), out.offset()});
        synchronized (kernels) {
            KernelParams p = kernels.params();
            kept.shapeTo(p).i64(plan.outputs);
            kept.viewTo(p.pointer(CudaBackend.base(x)), 0);
            p.i64(x.stride(a)).i32(x.dim(a));
            kept.viewTo(p.pointer(CudaBackend.base(out)), 1);
            kernels.launch(argmaxKernel, plan.outputs, "argmax_f32");
        }
    }

    private void check(Tensor t, String what) {
        backend.requireHere(t, what);
        t.requireDType(DType.F32, what);
    }
}
