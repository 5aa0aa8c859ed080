package dev.strix.cuda;

import dev.strix.tensor.DType;
import dev.strix.tensor.Pooling;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Max pooling as kernels (cuda-src/pooling.cu) on views of any strides. The forward pass gives one
 * thread per output; the backward pass one per input element, which gathers its gradient from the
 * windows that hold it in the CPU's order (no atomics, no memset, the same bits as the CPU). An
 * argmax outside its window is reported by the kernel and thrown with the CPU backend's message at
 * the next synchronisation point (see {@link DeviceChecks}).
 */
final class CudaPooling implements Pooling {
    private final CudaBackend backend;
    private final CudaKernels kernels;
    private final MemorySegment forwardKernel;
    private final MemorySegment backwardKernel;

    CudaPooling(CudaBackend backend) {
        this.backend = backend;
        this.kernels = backend.kernels();
        this.forwardKernel = kernels.function("maxpool_forward");
        this.backwardKernel = kernels.function("maxpool_backward");
    }

    @Override
    public void maxPoolForward(Tensor x, int kh, int kw, int sh, int sw, Tensor out, Tensor argmax) {
        check(x, "maxPoolForward input");
        check(out, "maxPoolForward output");
        argmax.requireDType(DType.I32, "maxPoolForward argmax");
        backend.requireHere(argmax, "maxPoolForward argmax");
        Shape pooled = Pooling.requireOutputShapes("maxPoolForward", "input", x.shape(), kh, kw, sh, sw,
                "output and argmax", out.shape(), argmax.shape());
        int oh = pooled.dim(2);
        int ow = pooled.dim(3);
        if (out.size() == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().ints(x.dim(0), x.dim(1), x.dim(2), x.dim(3), kh, kw, sh, sw, oh, ow);
            view(p, x);
            view(p, out);
            view(p, argmax);
            kernels.launch(forwardKernel, out.size(), "maxpool_forward");
        }
    }

    @Override
    public void maxPoolBackward(Tensor dOut, Tensor argmax, int kh, int kw, int sh, int sw, Tensor dx) {
        check(dOut, "maxPoolBackward output gradient");
        check(dx, "maxPoolBackward input gradient");
        argmax.requireDType(DType.I32, "maxPoolBackward argmax");
        backend.requireHere(argmax, "maxPoolBackward argmax");
        Shape pooled = Pooling.requireOutputShapes("maxPoolBackward", "input gradient", dx.shape(), kh, kw, sh, sw,
                "output gradient and argmax", dOut.shape(), argmax.shape());
        int c = dx.dim(1);
        int h = dx.dim(2);
        int w = dx.dim(3);
        int oh = pooled.dim(2);
        int ow = pooled.dim(3);
        if (dx.size() == 0) {
            return;
        }
        DeviceChecks checks = backend.checks();
        synchronized (kernels) {
            KernelParams p = kernels.params().ints(dx.dim(0), c, h, w, kh, kw, sh, sw, oh, ow);
            view(p, dOut);
            view(p, argmax);
            view(p, dx);
            p.pointer(checks.pointer(DeviceChecks.Kind.ARGMAX));
            kernels.launch(backwardKernel, dx.size(), "maxpool_backward");
        }
        checks.pending(DeviceChecks.Kind.ARGMAX, "maxPoolBackward", c, oh, ow, h, w, kh, kw, sh, sw);
    }

    /**
     * The CPU backend's message for argmax {@code at} found at flat output index {@code position},
     * outside its {@code kh x kw} window.
     */
    static String outsideTheWindow(long position, int at, int channels, int oh, int ow, int h, int w, int kh, int kw,
                                   int sh, int sw) {
        long plane = (long) oh * ow;
        long nc = position / plane;
        int y = (int) (position % plane / ow);
        int x = (int) (position % ow);
        return "maxPoolBackward: argmax " + at + " at [" + nc / channels + ", " + nc % channels + ", " + y + ", " + x
                + "] lies outside its " + kh + "x" + kw + " window at row " + y * sh + ", column " + x * sw + " of the "
                + h + "x" + w + " input plane";
    }

    private static void view(KernelParams p, Tensor t) {
        p.pointer(CudaBackend.base(t)).view(t.offset(), 4, t.strides());
    }

    private void check(Tensor t, String what) {
        t.requireDType(DType.F32, what);
        backend.requireHere(t, what);
    }
}
