package dev.strix.cuda;

import dev.strix.tensor.Activation;
import dev.strix.tensor.DType;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * ReLU backward as a strided element-wise kernel, and the row softmax and its backward pass with one
 * warp per row (cuda-src/activation.cu), in double precision as on the CPU.
 */
final class CudaActivation implements Activation {
    /** Rows per block of the warp-per-row kernels. */
    static final int ROWS_PER_BLOCK = CudaKernels.THREADS / 32;

    private final CudaBackend backend;
    private final CudaKernels kernels;
    private final MemorySegment reluBackwardKernel;
    private final MemorySegment softmaxKernel;
    private final MemorySegment softmaxBackwardKernel;

    CudaActivation(CudaBackend backend) {
        this.backend = backend;
        this.kernels = backend.kernels();
        this.reluBackwardKernel = kernels.function("relu_backward_strided");
        this.softmaxKernel = kernels.function("softmax_rows");
        this.softmaxBackwardKernel = kernels.function("softmax_backward_rows");
    }

    @Override
    public void reluBackward(Tensor output, Tensor dOut, Tensor dx) {
        check(output, "reluBackward output");
        check(dOut, "reluBackward output gradient");
        check(dx, "reluBackward input gradient");
        if (!output.shape().equals(dOut.shape()) || !dx.shape().equals(dOut.shape())) {
            throw new IllegalArgumentException("reluBackward: output " + output.shape() + ", output gradient "
                    + dOut.shape() + " and input gradient " + dx.shape() + " must have the same shape");
        }
        StridedLayout walk = StridedLayout.of("reluBackward", output, dOut, dx);
        if (walk.size == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params();
            walk.shapeTo(p).i64(walk.size);
            walk.viewTo(p.pointer(CudaBackend.base(output)), 0);
            walk.viewTo(p.pointer(CudaBackend.base(dOut)), 1);
            walk.viewTo(p.pointer(CudaBackend.base(dx)), 2);
            kernels.launch(reluBackwardKernel, walk.size, "relu_backward_strided");
        }
    }

    @Override
    public void softmax(Tensor x, Tensor out) {
        checkRows("softmax", x, out);
        if (x.size() == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().i64(x.dim(0)).i32(x.dim(1));
            rows(p, x);
            rows(p, out);
            kernels.launchBlocks(softmaxKernel, blocksForRows(x.dim(0)), CudaKernels.THREADS, "softmax_rows");
        }
    }

    @Override
    public void softmaxBackward(Tensor output, Tensor dOut, Tensor dx) {
        checkRows("softmaxBackward", output, dOut);
        checkRows("softmaxBackward", output, dx);
        if (output.size() == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().i64(output.dim(0)).i32(output.dim(1));
            rows(p, output);
            rows(p, dOut);
            rows(p, dx);
            kernels.launchBlocks(softmaxBackwardKernel, blocksForRows(output.dim(0)), CudaKernels.THREADS,
                    "softmax_backward_rows");
        }
    }

    /** Blocks of {@link #ROWS_PER_BLOCK} warps for {@code rows} rows, capped (the kernels loop over the rest). */
    static int blocksForRows(long rows) {
        return CudaKernels.blocksFor((rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK);
    }

    /** A matrix as the address of element (0, 0) and the kernels' {@code Rows} struct of two strides. */
    private static void rows(KernelParams p, Tensor t) {
        p.pointer(CudaBackend.address(t)).longs(t.stride(0), t.stride(1));
    }

    private void checkRows(String op, Tensor a, Tensor b) {
        check(a, op + " input");
        check(b, op + " output");
        if (a.rank() != 2 || !a.shape().equals(b.shape())) {
            throw new IllegalArgumentException(op + " needs two [N, K] tensors of the same shape, got " + a.shape()
                    + " and " + b.shape());
        }
    }

    private void check(Tensor t, String what) {
        t.requireDType(DType.F32, what);
        backend.requireHere(t, what);
    }
}
