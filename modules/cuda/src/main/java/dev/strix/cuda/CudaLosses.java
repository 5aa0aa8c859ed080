package dev.strix.cuda;

import dev.strix.tensor.DType;
import dev.strix.tensor.Losses;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.spi.LossShapes;
import java.lang.foreign.MemorySegment;

/**
 * Cross-entropy losses as kernels (cuda-src/losses.cu). Each loss is summed by one block in a fixed
 * order and written into the device scalar, so reading it is the caller's choice. Labels live on the
 * device; one outside {@code [0, K)} is reported by the kernel and thrown with the CPU backend's
 * message at the next synchronisation point (synchronize, copyToHost), not by the op itself, so a
 * training step never waits for the GPU (see {@link DeviceChecks}).
 */
final class CudaLosses implements Losses {
    private final CudaBackend backend;
    private final CudaKernels kernels;
    private final MemorySegment softmaxForward;
    private final MemorySegment softmaxBackward;
    private final MemorySegment crossEntropyForward;
    private final MemorySegment crossEntropyBackward;

    CudaLosses(CudaBackend backend) {
        this.backend = backend;
        this.kernels = backend.kernels();
        this.softmaxForward = kernels.function("softmax_cross_entropy_forward");
        this.softmaxBackward = kernels.function("softmax_cross_entropy_backward");
        this.crossEntropyForward = kernels.function("cross_entropy_forward");
        this.crossEntropyBackward = kernels.function("cross_entropy_backward");
    }

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probabilities, Tensor loss, Tensor tally) {
        checkRows("softmaxCrossEntropy", logits, probabilities);
        checkLabels("softmaxCrossEntropy", logits, labels);
        checkScalar("softmaxCrossEntropy", loss);
        if (tally != null) {
            checkTally("softmaxCrossEntropy", tally);
        }
        DeviceChecks checks = backend.checks();
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(logits.dim(0)).i32(logits.dim(1));
            matrix(p, logits);
            labels(p, labels);
            matrix(p, probabilities);
            p.pointer(CudaBackend.address(loss));
            if (tally != null) {
                p.pointer(CudaBackend.address(tally)).i64(tally.stride(0));
            } else {
                p.pointer(0).i64(0);
            }
            p.pointer(checks.pointer(DeviceChecks.Kind.LABEL));
            kernels.launchBlocks(softmaxForward, 1, CudaKernels.THREADS, "softmax_cross_entropy_forward");
        }
        throwBadLabel(checks, "softmaxCrossEntropy", logits.dim(1));
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor probabilities, Tensor labels, Tensor dLogits) {
        checkRows("softmaxCrossEntropyBackward", probabilities, dLogits);
        checkLabels("softmaxCrossEntropyBackward", probabilities, labels);
        if (probabilities.size() == 0) {
            return;
        }
        DeviceChecks checks = backend.checks();
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(probabilities.dim(0)).i32(probabilities.dim(1));
            matrix(p, probabilities);
            labels(p, labels);
            matrix(p, dLogits);
            p.pointer(checks.pointer(DeviceChecks.Kind.LABEL));
            kernels.launch(softmaxBackward, probabilities.size(), "softmax_cross_entropy_backward");
        }
        throwBadLabel(checks, "softmaxCrossEntropyBackward", probabilities.dim(1));
    }

    @Override
    public void crossEntropy(Tensor probabilities, Tensor targets, Tensor loss) {
        checkRows("crossEntropy", probabilities, probabilities);
        checkScalar("crossEntropy", loss);
        boolean labels = targets.dtype() == DType.I32;
        if (labels) {
            checkLabels("crossEntropy", probabilities, targets);
        } else {
            checkRows("crossEntropy", probabilities, targets);
        }
        DeviceChecks checks = backend.checks();
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(probabilities.dim(0)).i32(probabilities.dim(1));
            matrix(p, probabilities);
            targets(p, targets, labels);
            p.pointer(CudaBackend.address(loss)).pointer(checks.pointer(DeviceChecks.Kind.LABEL));
            kernels.launchBlocks(crossEntropyForward, 1, CudaKernels.THREADS, "cross_entropy_forward");
        }
        if (labels) {
            throwBadLabel(checks, "crossEntropy", probabilities.dim(1));
        }
    }

    @Override
    public void crossEntropyBackward(Tensor probabilities, Tensor targets, Tensor dProbabilities) {
        checkRows("crossEntropyBackward", probabilities, dProbabilities);
        boolean labels = targets.dtype() == DType.I32;
        if (labels) {
            checkLabels("crossEntropyBackward", probabilities, targets);
        } else {
            checkRows("crossEntropyBackward", probabilities, targets);
        }
        if (probabilities.size() == 0) {
            return;
        }
        DeviceChecks checks = backend.checks();
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(probabilities.dim(0)).i32(probabilities.dim(1));
            matrix(p, probabilities);
            targets(p, targets, labels);
            matrix(p, dProbabilities);
            p.pointer(checks.pointer(DeviceChecks.Kind.LABEL));
            kernels.launch(crossEntropyBackward, probabilities.size(), "cross_entropy_backward");
        }
        if (labels) {
            throwBadLabel(checks, "crossEntropyBackward", probabilities.dim(1));
        }
    }

    /** A bad label is thrown at the next synchronisation point (see {@link DeviceChecks}). */
    private static void throwBadLabel(DeviceChecks checks, String op, int classes) {
        checks.pending(DeviceChecks.Kind.LABEL, op, classes);
    }

    /** A matrix as the address of element (0, 0) and the kernels' {@code Matrix} struct of two strides. */
    private static void matrix(KernelParams p, Tensor t) {
        p.pointer(CudaBackend.address(t)).longs(t.stride(0), t.stride(1));
    }

    private static void labels(KernelParams p, Tensor labels) {
        p.pointer(CudaBackend.address(labels)).i64(labels.stride(0));
    }

    /** The kernels' (labels, labelStride, targets, targetStrides): whichever is given, the other null. */
    private static void targets(KernelParams p, Tensor targets, boolean labels) {
        if (labels) {
            labels(p, targets);
            p.pointer(0).longs(0, 0);
        } else {
            p.pointer(0).i64(0);
            matrix(p, targets);
        }
    }

    private void checkRows(String op, Tensor a, Tensor b) {
        check(a, op + " predictions");
        check(b, op + " second operand");
        LossShapes.rows(op, a, b);
    }

    private void checkLabels(String op, Tensor predictions, Tensor labels) {
        labels.requireDType(DType.I32, op + " labels");
        backend.requireHere(labels, op + " labels");
        LossShapes.labels(op, predictions, labels);
    }

    private void checkScalar(String op, Tensor loss) {
        check(loss, op + " loss");
        LossShapes.scalar(op, loss);
    }

    private void checkTally(String op, Tensor tally) {
        check(tally, op + " tally");
        LossShapes.tally(op, tally);
    }

    private void check(Tensor t, String what) {
        t.requireDType(DType.F32, what);
        backend.requireHere(t, what);
    }
}
