package dev.strix.cuda;

import dev.strix.tensor.DType;
import dev.strix.tensor.OptimizerSteps;
import dev.strix.tensor.ParameterGroup;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * SGD and Adam updates as one kernel each (cuda-src/optim.cu). The kernels repeat the CPU backend's
 * float operations in its order with explicitly rounded intrinsics, and read the same step scalars
 * (rate, Adam's bias corrections; see {@link OptimizerSteps#adamScalars}) from device memory, so both
 * backends produce the same bits. Reading them from memory, not from the launch's arguments, is what
 * lets a captured CUDA graph replay an update with each step's rate.
 *
 * <p>{@link #sgdAll} and {@link #adamAll} update a whole {@link CudaParameterGroup} in one launch
 * ({@code sgd_step_all}, {@code adam_step_all}), which run the same per-element device function as
 * the per-tensor kernels, so they give the same bits.
 */
final class CudaOptimizerSteps implements OptimizerSteps {
    private final CudaBackend backend;
    private final CudaKernels kernels;
    private final MemorySegment sgdKernel;
    private final MemorySegment adamKernel;
    private final MemorySegment sgdAllKernel;
    private final MemorySegment adamAllKernel;

    CudaOptimizerSteps(CudaBackend backend) {
        this.backend = backend;
        this.kernels = backend.kernels();
        this.sgdKernel = kernels.function("sgd_step");
        this.adamKernel = kernels.function("adam_step");
        this.sgdAllKernel = kernels.function("sgd_step_all");
        this.adamAllKernel = kernels.function("adam_step_all");
    }

    @Override
    public void sgd(Tensor param, Tensor grad, Tensor momentumBuffer, Tensor scalars, float momentum, float dampening,
                    boolean nesterov, float weightDecay, boolean firstStep) {
        check(param, param, "sgd parameter");
        check(grad, param, "sgd gradient");
        checkScalars(scalars, SGD_SCALARS, "sgd step scalars");
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
            p.pointer(CudaBackend.address(scalars)).f32(momentum).f32(1f - dampening).f32(weightDecay);
            p.i32(useMomentum ? 1 : 0).i32(nesterov ? 1 : 0).i32(firstStep ? 1 : 0);
            kernels.launch(sgdKernel, param.size(), "sgd_step");
        }
    }

    @Override
    public void adam(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor scalars, float beta1, float beta2, float eps,
                     float weightDecay, boolean decoupled) {
        check(param, param, "adam parameter");
        check(grad, param, "adam gradient");
        check(m, param, "adam first moment (exp_avg)");
        check(v, param, "adam second moment (exp_avg_sq)");
        checkScalars(scalars, ADAM_SCALARS, "adam step scalars");
        if (param.size() == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().pointer(CudaBackend.address(param)).pointer(CudaBackend.address(grad));
            p.pointer(CudaBackend.address(m)).pointer(CudaBackend.address(v)).i64(param.size());
            p.pointer(CudaBackend.address(scalars)).f32(decoupled ? 0f : weightDecay);
            p.f32(beta1).f32(beta2).f32(1f - beta1).f32(1f - beta2).f32(eps);
            kernels.launch(adamKernel, param.size(), "adam_step");
        }
    }

    /** A group with its device table of addresses (allocates: outside any CUDA graph). */
    @Override
    public ParameterGroup group(List<Tensor> parameters, List<Tensor> gradients, List<List<Tensor>> states) {
        backend.refuseWhileCapturing("making a parameter group");
        return new CudaParameterGroup(backend, parameters, gradients, states);
    }

    /** {@link #sgd} on every parameter of the group in one kernel launch. */
    @Override
    public void sgdAll(ParameterGroup group, Tensor scalars, float momentum, float dampening, boolean nesterov,
                       float weightDecay, boolean firstStep) {
        boolean useMomentum = momentum != 0f;
        CudaParameterGroup g = mine(group, "sgdAll");
        group.requireSlots(useMomentum ? 1 : 0, useMomentum ? "sgdAll with momentum (momentum_buffer)"
                : "sgdAll without momentum");
        checkScalars(scalars, SGD_SCALARS, "sgdAll step scalars");
        g.requireUsable("sgdAll");
        if (g.tableCount() == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().pointer(g.tableAddress()).i32(g.tableCount());
            p.pointer(CudaBackend.address(scalars)).f32(momentum).f32(1f - dampening).f32(weightDecay);
            p.i32(useMomentum ? 1 : 0).i32(nesterov ? 1 : 0).i32(firstStep ? 1 : 0);
            kernels.launchBlocks(sgdAllKernel, CudaKernels.blocksFor(g.blocks()), CudaKernels.THREADS, "sgd_step_all");
        }
    }

    /** {@link #adam} on every parameter of the group in one kernel launch. */
    @Override
    public void adamAll(ParameterGroup group, Tensor scalars, float beta1, float beta2, float eps, float weightDecay,
                        boolean decoupled) {
        CudaParameterGroup g = mine(group, "adamAll");
        group.requireSlots(2, "adamAll (exp_avg, exp_avg_sq)");
        checkScalars(scalars, ADAM_SCALARS, "adamAll step scalars");
        g.requireUsable("adamAll");
        if (g.tableCount() == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().pointer(g.tableAddress()).i32(g.tableCount());
            p.pointer(CudaBackend.address(scalars)).f32(decoupled ? 0f : weightDecay);
            p.f32(beta1).f32(beta2).f32(1f - beta1).f32(1f - beta2).f32(eps);
            kernels.launchBlocks(adamAllKernel, CudaKernels.blocksFor(g.blocks()), CudaKernels.THREADS,
                    "adam_step_all");
        }
    }

    /** The group as made by this backend, or a message saying how to make one. */
    private CudaParameterGroup mine(ParameterGroup group, String op) {
        if (group instanceof CudaParameterGroup g && g.belongsTo(backend)) {
            return g;
        }
        throw new IllegalArgumentException(op + ": " + group + " was not made by this CUDA backend; make it with"
                + " backend.optimizerSteps().group(...)");
    }

    /** Float32 {@code [length]}, contiguous, on this backend, or a message naming the operand. */
    private void checkScalars(Tensor t, int length, String what) {
        if (t == null) {
            throw new IllegalArgumentException(what + ": need a float32 [" + length + "] tensor, got null");
        }
        t.requireDType(DType.F32, what);
        backend.requireHere(t, what);
        if (t.rank() != 1 || t.dim(0) != length || !t.isContiguous()) {
            throw new IllegalArgumentException(what + " must be a contiguous float32 [" + length + "], got " + t);
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
