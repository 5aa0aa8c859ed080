package dev.strix.cuda;

import dev.strix.tensor.DType;
import dev.strix.tensor.Normalization;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Batch normalisation as our own kernels (cuda-src/normalization.cu) rather than cuDNN's: the
 * contract is the CPU backend's to the letter (statistics in double precision with two passes, the
 * same saved inverse deviation and unbiased running variance, {@code [N, C]} and {@code [N, C, H,
 * W]} alike, any strides whose trailing axes merge), which cuDNN's opaque float reductions and its
 * descriptor rules would only approximate. Training and backward run one block per channel; each is
 * a single kernel (statistics, normalisation and running averages together). The same kernels, with
 * their ReLU flag set, are {@link CudaBatchNormRelu}'s.
 */
final class CudaNormalization implements Normalization {
    private final CudaBackend backend;
    private final CudaKernels kernels;
    private final MemorySegment trainingKernel;
    private final MemorySegment inferenceKernel;
    private final MemorySegment backwardKernel;

    CudaNormalization(CudaBackend backend) {
        this.backend = backend;
        this.kernels = backend.kernels();
        this.trainingKernel = kernels.function("batchnorm_training");
        this.inferenceKernel = kernels.function("batchnorm_inference");
        this.backwardKernel = kernels.function("batchnorm_backward");
    }

    @Override
    public void batchNormTraining(Tensor x, Tensor gamma, Tensor beta, float momentum, float epsilon,
                                  Tensor runningMean, Tensor runningVar, Tensor out, Tensor savedMean,
                                  Tensor savedInvStd) {
        training("batchNormTraining", false, x, gamma, beta, momentum, epsilon, runningMean, runningVar, out,
                savedMean, savedInvStd);
    }

    @Override
    public void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                   float epsilon, Tensor out) {
        inference("batchNormInference", false, x, gamma, beta, runningMean, runningVar, epsilon, out);
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor dOut, Tensor gamma, Tensor savedMean, Tensor savedInvStd,
                                  Tensor dx, Tensor dGamma, Tensor dBeta) {
        backward("batchNormBackward", x, null, dOut, gamma, savedMean, savedInvStd, dx, dGamma, dBeta);
    }

    /** The training pass as {@code op}, followed by a ReLU in the same kernel when {@code relu} is set. */
    void training(String op, boolean relu, Tensor x, Tensor gamma, Tensor beta, float momentum, float epsilon,
                  Tensor runningMean, Tensor runningVar, Tensor out, Tensor savedMean, Tensor savedInvStd) {
        ChannelLayout xv = layout(x, op + " input");
        ChannelLayout ov = same(xv, out, op + " output");
        checkChannels(op, xv.c(), gamma, beta, runningMean, runningVar, savedMean, savedInvStd);
        long m = (long) xv.n() * xv.s();
        if (m < 2) {
            throw new IllegalArgumentException(op + " needs more than one value per channel to estimate a"
                    + " variance, got input " + x.shape());
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(xv.n()).i32(xv.c()).i32(xv.s());
            xv.stridesTo(p.pointer(CudaBackend.address(x)));
            ov.stridesTo(p.pointer(CudaBackend.address(out)));
            channels(p, gamma, beta, runningMean, runningVar, savedMean, savedInvStd);
            p.f32(momentum).f32(epsilon).i32(relu ? 1 : 0);
            kernels.launchBlocks(trainingKernel, CudaKernels.blocksFor(xv.c()), CudaKernels.THREADS,
                    "batchnorm_training");
        }
    }

    /** The inference pass as {@code op}, followed by a ReLU in the same kernel when {@code relu} is set. */
    void inference(String op, boolean relu, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                   Tensor runningVar, float epsilon, Tensor out) {
        ChannelLayout xv = layout(x, op + " input");
        ChannelLayout ov = same(xv, out, op + " output");
        checkChannels(op, xv.c(), gamma, beta, runningMean, runningVar);
        long total = (long) xv.n() * xv.c() * xv.s();
        if (total == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(xv.n()).i32(xv.c()).i32(xv.s());
            xv.stridesTo(p.pointer(CudaBackend.address(x)));
            ov.stridesTo(p.pointer(CudaBackend.address(out)));
            channels(p, gamma, beta, runningMean, runningVar);
            p.f32(epsilon).i32(relu ? 1 : 0);
            kernels.launch(inferenceKernel, total, "batchnorm_inference");
        }
    }

    /**
     * The backward pass as {@code op}; with the forward output {@code out} (null for the plain op) the
     * gradient is masked by the ReLU ({@code dOut} where {@code out > 0}) as the kernel reads it.
     */
    void backward(String op, Tensor x, Tensor out, Tensor dOut, Tensor gamma, Tensor savedMean, Tensor savedInvStd,
                  Tensor dx, Tensor dGamma, Tensor dBeta) {
        ChannelLayout xv = layout(x, op + " input");
        ChannelLayout yv = out == null ? xv : same(xv, out, op + " forward output");
        ChannelLayout gv = same(xv, dOut, op + " output gradient");
        ChannelLayout dv = same(xv, dx, op + " input gradient");
        checkChannels(op, xv.c(), gamma, savedMean, savedInvStd, dGamma, dBeta);
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(xv.n()).i32(xv.c()).i32(xv.s());
            xv.stridesTo(p.pointer(CudaBackend.address(x)));
            // Without the ReLU the kernel never reads the forward output: a null pointer and x's strides.
            yv.stridesTo(p.pointer(out == null ? 0 : CudaBackend.address(out)));
            gv.stridesTo(p.pointer(CudaBackend.address(dOut)));
            dv.stridesTo(p.pointer(CudaBackend.address(dx)));
            channels(p, gamma, savedMean, savedInvStd, dGamma, dBeta);
            p.i32(out == null ? 0 : 1);
            kernels.launchBlocks(backwardKernel, CudaKernels.blocksFor(xv.c()), CudaKernels.THREADS,
                    "batchnorm_backward");
        }
    }

    /** Each channel vector as the address of its element 0 and its stride. */
    private static void channels(KernelParams p, Tensor... vectors) {
        for (Tensor v : vectors) {
            p.pointer(CudaBackend.address(v)).i64(v.stride(0));
        }
    }

    private ChannelLayout layout(Tensor t, String what) {
        check(t, what);
        return ChannelLayout.of(t, what);
    }

    private ChannelLayout same(ChannelLayout x, Tensor t, String what) {
        ChannelLayout v = layout(t, what);
        if (!v.sameShape(x)) {
            throw new IllegalArgumentException(what + " " + t.shape() + " does not match the input's [N, C, S] = ["
                    + x.n() + ", " + x.c() + ", " + x.s() + "]");
        }
        return v;
    }

    private void checkChannels(String op, int channels, Tensor... vectors) {
        for (Tensor v : vectors) {
            check(v, op + " channel vector");
            if (v.rank() != 1 || v.dim(0) != channels) {
                throw new IllegalArgumentException(op + ": channel vectors must be [" + channels + "], got " + v.shape());
            }
        }
    }

    private void check(Tensor t, String what) {
        t.requireDType(DType.F32, what);
        backend.requireHere(t, what);
    }
}
