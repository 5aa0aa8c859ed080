package dev.strix.cuda;

import dev.strix.tensor.DType;
import dev.strix.tensor.DataOps;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Batch assembly as kernels (cuda-src/gather.cu, augment.cu): one thread per output pixel, the
 * float32 arithmetic of the CPU backend done with non-contracting intrinsics so both give the same
 * floats. An index outside the dataset is reported by the kernel and thrown at the next
 * synchronisation point (see {@link DeviceChecks}); the ops themselves never wait.
 */
final class CudaDataOps implements DataOps {
    private final CudaBackend backend;
    private final CudaKernels kernels;
    private final MemorySegment gatherImagesKernel;
    private final MemorySegment gatherLabelsKernel;
    private final MemorySegment affineKernel;

    CudaDataOps(CudaBackend backend) {
        this.backend = backend;
        this.kernels = backend.kernels();
        this.gatherImagesKernel = kernels.function("gather_images_u8");
        this.gatherLabelsKernel = kernels.function("gather_labels_u8");
        this.affineKernel = kernels.function("affine_sample_u8");
    }

    @Override
    public void gatherImages(Tensor dataset, Tensor indices, float mean, float std, Tensor out) {
        check("gatherImages", dataset, indices, out);
        int count = dataset.dim(0);
        int size = dataset.dim(1) * dataset.dim(2);
        int n = indices.dim(0);
        if (out.size() == 0) {
            return;
        }
        DeviceChecks checks = backend.checks();
        synchronized (kernels) {
            KernelParams p = kernels.params().pointer(CudaBackend.address(dataset)).i32(count).i32(size);
            p.pointer(CudaBackend.address(indices)).i32(n).f32(mean).f32(std).pointer(CudaBackend.address(out));
            p.pointer(checks.pointer(DeviceChecks.Kind.INDEX));
            kernels.launch(gatherImagesKernel, out.size(), "gather_images_u8");
        }
        checks.pending(DeviceChecks.Kind.INDEX, "gatherImages", count);
    }

    @Override
    public void gatherLabels(Tensor labels, Tensor indices, Tensor out) {
        backend.requireHere(labels, "gatherLabels labels");
        backend.requireHere(indices, "gatherLabels indices");
        backend.requireHere(out, "gatherLabels output");
        DataOps.checkLabelGather(labels, indices, out);
        int n = indices.dim(0);
        if (n == 0) {
            return;
        }
        DeviceChecks checks = backend.checks();
        synchronized (kernels) {
            KernelParams p = kernels.params().pointer(CudaBackend.address(labels)).i32(labels.dim(0));
            p.pointer(CudaBackend.address(indices)).i32(n).pointer(CudaBackend.address(out));
            p.pointer(checks.pointer(DeviceChecks.Kind.INDEX));
            kernels.launch(gatherLabelsKernel, n, "gather_labels_u8");
        }
        checks.pending(DeviceChecks.Kind.INDEX, "gatherLabels", labels.dim(0));
    }

    @Override
    public void affineSample(Tensor dataset, Tensor indices, Tensor matrices, float mean, float std, Tensor out) {
        check("affineSample", dataset, indices, out);
        backend.requireHere(matrices, "affineSample matrices");
        matrices.requireDType(DType.F32, "affineSample matrices");
        int n = indices.dim(0);
        if (!matrices.shape().equals(Shape.of(n, 6)) || !matrices.isContiguous()) {
            throw new IllegalArgumentException("affineSample: matrices must be contiguous [" + n + ", 6], got " + matrices);
        }
        if (out.size() == 0) {
            return;
        }
        int count = dataset.dim(0);
        DeviceChecks checks = backend.checks();
        synchronized (kernels) {
            KernelParams p = kernels.params().pointer(CudaBackend.address(dataset)).i32(count).i32(dataset.dim(1))
                    .i32(dataset.dim(2));
            p.pointer(CudaBackend.address(indices)).pointer(CudaBackend.address(matrices)).i32(n).f32(mean).f32(std);
            p.pointer(CudaBackend.address(out)).pointer(checks.pointer(DeviceChecks.Kind.INDEX));
            kernels.launch(affineKernel, out.size(), "affine_sample_u8");
        }
        checks.pending(DeviceChecks.Kind.INDEX, "affineSample", count);
    }

    /** The CPU backend's message for dataset index {@code index} at batch position {@code position}. */
    static String outsideTheDataset(String op, long position, int index, int count) {
        return op + ": index " + index + " at position " + position + " is outside the dataset of " + count + " images";
    }

    private void check(String op, Tensor dataset, Tensor indices, Tensor out) {
        backend.requireHere(dataset, op + " dataset");
        backend.requireHere(indices, op + " indices");
        backend.requireHere(out, op + " output");
        DataOps.checkImageGather(op, dataset, indices, out);
    }
}
