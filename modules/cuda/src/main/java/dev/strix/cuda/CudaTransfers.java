package dev.strix.cuda;

import static dev.strix.cuda.CudaBackend.address;
import static dev.strix.cuda.CudaBackend.base;
import static dev.strix.cuda.CudaBackend.requireContiguous;
import static dev.strix.cuda.CudaErrors.check;

import dev.strix.bindings.cuda.CudaDriver;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The CUDA backend's data movement: copies and fills on the device (driver copies and memsets for
 * contiguous tensors, strided kernels otherwise) and copies to and from host memory (small uploads
 * through page-locked slots, others staged; downloads wait for the stream).
 */
final class CudaTransfers {
    private final CudaBackend backend;
    private final CudaContext context;
    private final CudaKernels kernels;
    private final HostStaging staging;
    private final PinnedUploads uploads;
    private final DeviceChecks checks;

    CudaTransfers(CudaBackend backend, CudaContext context, CudaKernels kernels, HostStaging staging,
                  PinnedUploads uploads, DeviceChecks checks) {
        this.backend = backend;
        this.context = context;
        this.kernels = kernels;
        this.staging = staging;
        this.uploads = uploads;
        this.checks = checks;
    }

    /** {@code Backend#copy}: one device-to-device copy when both are contiguous, else a strided kernel. */
    void copy(Tensor src, Tensor dst) {
        backend.requireHere(src, "copy source");
        backend.requireHere(dst, "copy destination");
        if (!src.shape().equals(dst.shape())) {
            throw new IllegalArgumentException("copy: source shape " + src.shape() + " != destination " + dst.shape());
        }
        if (src.size() == 0) {
            return;
        }
        context.makeCurrent();
        if (src.dtype() == dst.dtype() && src.isContiguous() && dst.isContiguous()) {
            check(CudaDriver.cuMemcpyDtoDAsync_v2(address(dst), address(src), byteCount(src), context.stream()),
                    "cuMemcpyDtoDAsync_v2");
            context.queued();
            return;
        }
        StridedLayout walk = StridedLayout.of("copy", src, dst);
        synchronized (kernels) {
            KernelParams p = kernels.params();
            walk.shapeTo(p).i64(walk.size);
            p.pointer(base(src)).i32(KernelCodes.of(src.dtype()));
            walk.viewTo(p, 0);
            p.pointer(base(dst)).i32(KernelCodes.of(dst.dtype()));
            walk.viewTo(p, 1);
            kernels.launch(kernels.function("copy_strided"), walk.size, "copy_strided");
        }
    }

    /** {@code Backend#fill}: a memset when contiguous, else a strided kernel. */
    void fill(Tensor dst, float value) {
        backend.requireHere(dst, "fill");
        if (dst.size() == 0) {
            return;
        }
        context.makeCurrent();
        if (dst.isContiguous()) {
            switch (dst.dtype()) {
                case U8 -> {
                    int b = Float.isNaN(value) ? 0 : (int) Math.max(0, Math.min(255, value));
                    check(CudaDriver.cuMemsetD8Async(address(dst), (byte) b, dst.size(), context.stream()),
                            "cuMemsetD8Async");
                }
                case I32 -> check(CudaDriver.cuMemsetD32Async(address(dst), (int) value, dst.size(), context.stream()),
                        "cuMemsetD32Async");
                case F32 -> check(CudaDriver.cuMemsetD32Async(address(dst), Float.floatToRawIntBits(value), dst.size(),
                        context.stream()), "cuMemsetD32Async");
            }
            context.queued();
            return;
        }
        StridedLayout walk = StridedLayout.of("fill", dst);
        synchronized (kernels) {
            KernelParams p = kernels.params();
            walk.shapeTo(p).i64(walk.size);
            p.pointer(base(dst)).i32(KernelCodes.of(dst.dtype()));
            walk.viewTo(p, 0).f32(value);
            kernels.launch(kernels.function("fill_strided"), walk.size, "fill_strided");
        }
    }

    /** {@code Backend#copyFromHost}. */
    void copyFromHost(MemorySegment src, Tensor dst) {
        backend.requireHere(dst, "copyFromHost");
        requireContiguous(dst, "copyFromHost");
        backend.refuseWhileCapturing("copyFromHost");
        long bytes = byteCount(dst);
        if (bytes == 0) {
            return;
        }
        context.makeCurrent();
        // Small copies (a step's optimizer scalars) go through page-locked slots and never wait for the
        // stream. Larger pageable memory is staged by the driver before the call returns, so `src` may be
        // reused at once; heap memory cannot be passed to native code and goes through our own buffer.
        if (uploads.upload(src, address(dst), bytes)) {
            return;
        }
        synchronized (staging) {
            MemorySegment host = src.isNative() ? src : staging.copyOf(src, bytes);
            check(CudaDriver.cuMemcpyHtoDAsync_v2(address(dst), host, bytes, context.stream()), "cuMemcpyHtoDAsync_v2");
            context.queued();
        }
    }

    /** {@code Backend#copyToHost}: waits for the stream, then reports deferred device checks. */
    void copyToHost(Tensor src, MemorySegment dst) {
        backend.requireHere(src, "copyToHost");
        requireContiguous(src, "copyToHost");
        backend.refuseWhileCapturing("copyToHost");
        long bytes = byteCount(src);
        if (bytes == 0) {
            return;
        }
        context.makeCurrent();
        synchronized (staging) {
            MemorySegment host = dst.isNative() ? dst : staging.buffer(bytes);
            check(CudaDriver.cuMemcpyDtoHAsync_v2(host, address(src), bytes, context.stream()), "cuMemcpyDtoHAsync_v2");
            context.queued();
            context.synchronize();
            if (!dst.isNative()) {
                MemorySegment.copy(host, 0, dst, 0, bytes);
            }
        }
        checks.reportDeferred();
    }

    private static long byteCount(Tensor t) {
        return t.size() * t.dtype().byteSize();
    }
}
