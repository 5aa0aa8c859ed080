package dev.strix.cuda;

import dev.strix.tensor.DType;
import dev.strix.tensor.OptimizerSteps;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * SGD and Adam updates as one kernel each (cuda-src/optim.cu). The kernels repeat the CPU backend's
 * float operations in its order with explicitly rounded intrinsics, and the host computes Adam's
 * bias corrections exactly as the CPU backend does, so both backends produce the same bits.
 */
final class CudaOptimizerSteps implements OptimizerSteps {
    private final CudaBackend backend;
    private final CudaKernels kernels;
    private final MemorySegment sgdKernel;
    private final MemorySegment adamKernel;

    CudaOptimizerSteps(CudaBackend backend) {
        this.backend = backend;
        this.kernels = backend.kernels();
        this.sgdKernel = kernels.function("sgd_step");
        this.adamKernel = kernels.function("adam_step");
    }

    @Override
    public void sgd(Tensor param, Tensor grad, Tensor momentumBuffer, float lr, float momentum, float dampening,
                    boolean nesterov, float weightDecay, boolean firstStep) {
        check(param, param, "sgd parameter");
        check(grad, param, "sgd gradient");
        boolean useMomentum = momentum != 0f;
        if (useMomentum) {
            if (momentumBuffer == null) {
                throw new IllegalArgumentException("sgd with momentum " + momentum
                        + " needs a momentum buffer of shape " + param.shape() + ", got null");
            }
            check(momentumBuffer, param, "sgd momentum buffer");
        }
        if (param.size() == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().pointer(CudaBackend.address(param)).pointer(CudaBackend.address(grad));
            p.pointer(useMomentum ? CudaBackend.address(momentumBuffer) : 0).i64(param.size());
            p.f32(lr).f32(momentum).f32(1f - dampening).f32(weightDecay);
            p.i32(useMomentum ? 1 : 0).i32(nesterov ? 1 : 0).i32(firstStep ? 1 : 0);
            kernels.launch(sgdKernel, param.size(), "sgd_step");
        }
    }

    @Override
    public void adam(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                     float weightDecay, boolean decoupled, long step) {
        check(param, param, "adam parameter");
        check(grad, param, "adam gradient");
        check(m, param, "adam first moment (exp_avg)");
        check(v, param, "adam second moment (exp_avg_sq)");
        if (step < 1) {
            throw new IllegalArgumentException("adam step counts from 1, got " + step);
        }
        if (param.size() == 0) {
            return;
        }
        AdamScalars s = AdamScalars.of(lr, beta1, beta2, weightDecay, decoupled, step);
        synchronized (kernels) {
            KernelParams p = kernels.params().pointer(CudaBackend.address(param)).pointer(CudaBackend.address(grad));
            p.pointer(CudaBackend.address(m)).pointer(CudaBackend.address(v)).i64(param.size());
            p.f32(s.stepSize()).f32(s.correction2Sqrt()).f32(s.shrink()).f32(s.l2());
            p.f32(beta1).f32(beta2).f32(s.mix1()).f32(s.mix2()).f32(eps);
            kernels.launch(adamKernel, param.size(), "adam_step");
        }
    }

    /**
     * The per-call scalars of an Adam step, computed as the CPU backend computes them (bias
     * corrections in double precision, rounded once to float).
     */
    record AdamScalars(float stepSize, float correction2Sqrt, float shrink, float l2, float mix1, float mix2) {
        static AdamScalars of(float lr, float beta1, float beta2, float weightDecay, boolean decoupled, long step) {
            return new AdamScalars((float) (lr / (1 - Math.pow(beta1, step))),
                    (float) Math.sqrt(1 - Math.pow(beta2, step)),
                    decoupled ? 1f - lr * weightDecay : 1f,
                    decoupled ? 0f : weightDecay,
                    1f - beta1,
                    1f - beta2);
        }
    }

    /** Float32, this backend, contiguous, and the parameter's shape, or a message naming the operand. */
    private void check(Tensor t, Tensor param, String what) {
        t.requireDType(DType.F32, what);
        backend.requireHere(t, what);
        if (!t.isContiguous()) {
            throw new IllegalArgumentException(what + " must be contiguous, got " + t);
        }
        if (!t.shape().equals(param.shape())) {
            throw new IllegalArgumentException(what + " has shape " + t.shape() + " but the parameter has shape "
                    + param.shape());
        }
    }
}
