package dev.strix.cuda;

import static dev.strix.cuda.CudaErrors.checkCudnn;

import dev.strix.bindings.cudnn.Cudnn;
import dev.strix.tensor.DType;
import dev.strix.tensor.DirectPooling;
import dev.strix.tensor.Pooling;
import dev.strix.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Max pooling through cuDNN: cudnnPoolingForward and cudnnPoolingBackward, one library call each
 * way, on the backend's stream. Mode {@code CUDNN_POOLING_MAX_DETERMINISTIC} (the backward pass
 * gives the same bits on every run, overlapping windows included), {@code CUDNN_NOT_PROPAGATE_NAN},
 * no padding; alpha 1 and beta 0, so {@code out} and {@code dx} are overwritten. The backward pass
 * finds each window's maximum again by comparing {@code x} with {@code out}, so it needs no argmax.
 *
 * <p>Tensors may have any strides (their descriptors carry them), but an output ({@code out},
 * {@code dx}) whose elements share memory is refused. A pooling descriptor per window and a tensor
 * descriptor per layout are made on first use and kept, so a later call of a known shape allocates
 * nothing and can be recorded into a CUDA graph; the first call of all also creates the backend's
 * cuDNN handle, which a graph cannot record (run the captured code once eagerly first).
 */
final class CudnnPooling implements DirectPooling, AutoCloseable {
    private record Window(int kh, int kw, int sh, int sw, MemorySegment descriptor) {
    }

    private final CudaBackend backend;
    private final CudnnHandle cudnn;
    private final CudnnTensorDescriptors tensors = new CudnnTensorDescriptors();
    private final List<Window> windows = new ArrayList<>();
    private Arena arena;
    private MemorySegment created;

    CudnnPooling(CudaBackend backend, CudnnHandle cudnn) {
        this.backend = backend;
        this.cudnn = cudnn;
    }

    @Override
    public void maxPoolForward(Tensor x, int kh, int kw, int sh, int sw, Tensor out) {
        check(x, "maxPoolForward input");
        check(out, "maxPoolForward output");
        checkGeometry("maxPoolForward", x, kh, kw, sh, sw, out, "output");
        CudnnTensorDescriptors.requireNoOverlap(out, "maxPoolForward output");
        if (out.size() == 0) {
            return;
        }
        MemorySegment handle = cudnn.get("cuDNN pooling");
        synchronized (this) {
            MemorySegment pool = window(kh, kw, sh, sw);
            MemorySegment xd = descriptor(x, "maxPoolForward input");
            MemorySegment yd = descriptor(out, "maxPoolForward output");
            int status = Cudnn.cudnnPoolingForward(handle, pool, cudnn.one(), xd, pointer(x), cudnn.zero(), yd,
                    pointer(out));
            if (status != 0) {
                checkCudnn(status, "cudnnPoolingForward (maxPoolForward of " + x + " into " + out + ", window " + kh
                        + "x" + kw + ", stride " + sh + "x" + sw + ")");
            }
            backend.context().queued();
        }
    }

    @Override
    public void maxPoolBackward(Tensor x, Tensor out, Tensor dOut, int kh, int kw, int sh, int sw, Tensor dx) {
        check(x, "maxPoolBackward input");
        check(out, "maxPoolBackward output");
        check(dOut, "maxPoolBackward output gradient");
        check(dx, "maxPoolBackward input gradient");
        checkGeometry("maxPoolBackward", x, kh, kw, sh, sw, out, "output");
        if (!dOut.shape().equals(out.shape()) || !dx.shape().equals(x.shape())) {
            throw new IllegalArgumentException("maxPoolBackward: output gradient " + dOut.shape() + " and input gradient "
                    + dx.shape() + " must match the output " + out.shape() + " and the input " + x.shape());
        }
        CudnnTensorDescriptors.requireNoOverlap(dx, "maxPoolBackward input gradient");
        if (dx.size() == 0) {
            return;
        }
        MemorySegment handle = cudnn.get("cuDNN pooling");
        synchronized (this) {
            MemorySegment pool = window(kh, kw, sh, sw);
            MemorySegment xd = descriptor(x, "maxPoolBackward input");
            MemorySegment yd = descriptor(out, "maxPoolBackward output");
            MemorySegment dyd = descriptor(dOut, "maxPoolBackward output gradient");
            MemorySegment dxd = descriptor(dx, "maxPoolBackward input gradient");
            int status = Cudnn.cudnnPoolingBackward(handle, pool, cudnn.one(), yd, pointer(out), dyd, pointer(dOut), xd,
                    pointer(x), cudnn.zero(), dxd, pointer(dx));
            if (status != 0) {
                checkCudnn(status, "cudnnPoolingBackward (maxPoolBackward of " + x + " and " + out + " into " + dx
                        + ", window " + kh + "x" + kw + ", stride " + sh + "x" + sw + ")");
            }
            backend.context().queued();
        }
    }

    /**
     * Fails unless {@code x} is {@code [N, C, H, W]}, the window and stride are positive, the window
     * fits, and {@code out} (as {@code role}) is {@code [N, C, (H - kh) / sh + 1, (W - kw) / sw + 1]}.
     */
    static void checkGeometry(String op, Tensor x, int kh, int kw, int sh, int sw, Tensor out, String role) {
        Pooling.requireOutputShapes(op, "input", x.shape(), kh, kw, sh, sw, role, out.shape());
    }

    /** The pooling descriptor of this window and stride, made on first use. */
    private MemorySegment window(int kh, int kw, int sh, int sw) {
        for (int i = 0; i < windows.size(); i++) {
            Window w = windows.get(i);
            if (w.kh == kh && w.kw == kw && w.sh == sh && w.sw == sw) {
                return w.descriptor;
            }
        }
        if (arena == null) {
            arena = Arena.ofShared();
            created = arena.allocate(ValueLayout.ADDRESS);
        }
        checkCudnn(Cudnn.cudnnCreatePoolingDescriptor(created), "cudnnCreatePoolingDescriptor");
        MemorySegment d = created.get(ValueLayout.ADDRESS, 0);
        windows.add(new Window(kh, kw, sh, sw, d));
        checkCudnn(Cudnn.cudnnSetPooling2dDescriptor(d, Cudnn.CUDNN_POOLING_MAX_DETERMINISTIC(),
                Cudnn.CUDNN_NOT_PROPAGATE_NAN(), kh, kw, 0, 0, sh, sw), "cudnnSetPooling2dDescriptor (window " + kh
                + "x" + kw + ", stride " + sh + "x" + sw + ")");
        return d;
    }

    private MemorySegment descriptor(Tensor t, String what) {
        return tensors.of(t.dim(0), t.dim(1), t.dim(2), t.dim(3), t.stride(0), t.stride(1), t.stride(2), t.stride(3),
                what);
    }

    private static MemorySegment pointer(Tensor t) {
        return MemorySegment.ofAddress(CudaBackend.address(t));
    }

    private void check(Tensor t, String what) {
        t.requireDType(DType.F32, what);
        backend.requireHere(t, what);
    }

    @Override
    public synchronized void close() {
        for (Window w : windows) {
            checkCudnn(Cudnn.cudnnDestroyPoolingDescriptor(w.descriptor), "cudnnDestroyPoolingDescriptor");
        }
        windows.clear();
        tensors.close();
        if (arena != null) {
            arena.close();
            arena = null;
        }
    }
}
