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
 * a single kernel (statistics, normalisation and running averages together).
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
        ChannelLayout xv = layout(x, "batchNormTraining input");
        ChannelLayout ov = same(xv, out, "batchNormTraining output");
        checkChannels("batchNormTraining", xv.c(), gamma, beta, runningMean, runningVar, savedMean, savedInvStd);
        long m = (long) xv.n() * xv.s();
        if (m < 2) {
            throw new IllegalArgumentException("batchNormTraining needs more than one value per channel to estimate a"
                    + " variance, got input " + x.shape());
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(xv.n()).i32(xv.c()).i32(xv.s());
            xv.stridesTo(p.pointer(CudaBackend.address(x)));
            ov.stridesTo(p.pointer(CudaBackend.address(out)));
            channels(p, gamma, beta, runningMean, runningVar, savedMean, savedInvStd);
            p.f32(momentum).f32(epsilon);
            kernels.launchBlocks(trainingKernel, CudaKernels.blocksFor(xv.c()), CudaKernels.THREADS,
                    "batchnorm_training");
        }
    }

    @Override
    public void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                   float epsilon, Tensor out) {
        ChannelLayout xv = layout(x, "batchNormInference input");
        ChannelLayout ov = same(xv, out, "batchNormInference output");
        checkChannels("batchNormInference", xv.c(), gamma, beta, runningMean, runningVar);
        long total = (long) xv.n() * xv.c() * xv.s();
        if (total == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(xv.n()).i32(xv.c()).i32(xv.s());
            xv.stridesTo(p.pointer(CudaBackend.address(x)));
            ov.stridesTo(p.pointer(CudaBackend.address(out)));
            channels(p, gamma, beta, runningMean, runningVar);
            p.f32(epsilon);
            kernels.launch(inferenceKernel, total, "batchnorm_inference");
        }
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor dOut, Tensor gamma, Tensor savedMean, Tensor savedInvStd,
                                  Tensor dx, Tensor dGamma, Tensor dBeta) {
        ChannelLayout xv = layout(x, "batchNormBackward input");
        ChannelLayout gv = same(xv, dOut, "batchNormBackward output gradient");
        ChannelLayout dv = same(xv, dx, "batchNormBackward input gradient");
        checkChannels("batchNormBackward", xv.c(), gamma, savedMean, savedInvStd, dGamma, dBeta);
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(xv.n()).i32(xv.c()).i32(xv.s());
            xv.stridesTo(p.pointer(CudaBackend.address(x)));
            gv.stridesTo(p.pointer(CudaBackend.address(dOut)));
            dv.stridesTo(p.pointer(CudaBackend.address(dx)));
            channels(p, gamma, savedMean, savedInvStd, dGamma, dBeta);
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
