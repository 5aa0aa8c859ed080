package dev.strix.cuda;

import dev.strix.tensor.BinaryOp;
import dev.strix.tensor.DType;
import dev.strix.tensor.Elementwise;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.UnaryOp;
import java.lang.foreign.MemorySegment;

/** Element-wise float32 ops as strided kernels (cuda-src/elementwise.cu), broadcasting like numpy. */
final class CudaElementwise implements Elementwise {
    private final CudaBackend backend;
    private final CudaKernels kernels;
    private final MemorySegment unaryKernel;
    private final MemorySegment binaryKernel;
    private final MemorySegment scalarKernel;
    private final MemorySegment axpbyKernel;

    CudaElementwise(CudaBackend backend) {
        this.backend = backend;
        this.kernels = backend.kernels();
        this.unaryKernel = kernels.function("unary_f32");
        this.binaryKernel = kernels.function("binary_f32");
        this.scalarKernel = kernels.function("scalar_f32");
        this.axpbyKernel = kernels.function("axpby_f32");
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out) {
        check(out, "unary " + op + " output");
        check(x, "unary " + op + " input");
        StridedLayout walk = StridedLayout.of("unary " + op, broadcast(x, out, "unary " + op), out);
        if (walk.size == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(KernelCodes.of(op));
            walk.shapeTo(p).i64(walk.size);
            walk.viewTo(p.pointer(CudaBackend.base(x)), 0);
            walk.viewTo(p.pointer(CudaBackend.base(out)), 1);
            kernels.launch(unaryKernel, walk.size, "unary_f32");
        }
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        check(out, "binary " + op + " output");
        check(a, "binary " + op + " first input");
        check(b, "binary " + op + " second input");
        String what = "binary " + op;
        StridedLayout walk = StridedLayout.of(what, broadcast(a, out, what), broadcast(b, out, what), out);
        if (walk.size == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(KernelCodes.of(op));
            walk.shapeTo(p).i64(walk.size);
            walk.viewTo(p.pointer(CudaBackend.base(a)), 0);
            walk.viewTo(p.pointer(CudaBackend.base(b)), 1);
            walk.viewTo(p.pointer(CudaBackend.base(out)), 2);
            kernels.launch(binaryKernel, walk.size, "binary_f32");
        }
    }

    @Override
    public void scalar(BinaryOp op, Tensor a, float scalar, Tensor out) {
        check(out, "scalar " + op + " output");
        check(a, "scalar " + op + " input");
        String what = "scalar " + op;
        StridedLayout walk = StridedLayout.of(what, broadcast(a, out, what), out);
        if (walk.size == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(KernelCodes.of(op));
            walk.shapeTo(p).i64(walk.size);
            walk.viewTo(p.pointer(CudaBackend.base(a)), 0).f32(scalar);
            walk.viewTo(p.pointer(CudaBackend.base(out)), 1);
            kernels.launch(scalarKernel, walk.size, "scalar_f32");
        }
    }

    @Override
    public void axpby(float alpha, Tensor x, float beta, Tensor y) {
        check(y, "axpby y");
        check(x, "axpby x");
        StridedLayout walk = StridedLayout.of("axpby", broadcast(x, y, "axpby"), y);
        if (walk.size == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().f32(alpha);
            walk.shapeTo(p).i64(walk.size);
            walk.viewTo(p.pointer(CudaBackend.base(x)), 0).f32(beta);
            walk.viewTo(p.pointer(CudaBackend.base(y)), 1);
            kernels.launch(axpbyKernel, walk.size, "axpby_f32");
        }
    }

    private void check(Tensor t, String what) {
        backend.requireHere(t, what);
        t.requireDType(DType.F32, what);
    }

    private static Tensor broadcast(Tensor t, Tensor out, String what) {
        try {
            return t.broadcastTo(out.shape().dims());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": input " + t.shape() + " does not broadcast to output "
                    + out.shape(), e);
        }
    }
}
