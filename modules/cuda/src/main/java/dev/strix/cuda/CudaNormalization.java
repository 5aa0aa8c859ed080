package dev.strix.cuda;

import dev.strix.tensor.DType;
import dev.strix.tensor.Normalization;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.spi.ChannelView;
import java.lang.foreign.MemorySegment;

/**
 * Batch normalisation as our own kernels (cuda-src/normalization.cu) rather than cuDNN's: the
 * contract is the CPU backend's to the letter (statistics in double precision with two passes, the
 * same saved inverse deviation and unbiased running variance, {@code [N, C]} and {@code [N, C, H,
 * W]} alike, any strides whose trailing axes merge), which cuDNN's opaque float reductions and its
 * descriptor rules would only approximate. The same kernels, with their ReLU flag set, are
 * {@link CudaBatchNormRelu}'s.
 *
 * <p>Training and backward give a block to each (channel, slice of that channel's {@code N x S}
 * values), with {@link #slices} chosen as for the bias + ReLU epilogue: a convolution's 32 channels
 * of 1024 x 26 x 26 would otherwise keep 32 blocks busy on a GPU with over a hundred
 * multiprocessors. With one slice (a dense layer's short channels, or many channels) each op is a
 * single kernel. With several, every pass that needs a channel's total is a kernel of
 * its own, whose blocks start by adding the channel's per-slice partials (doubles) from the kernel
 * before, in one fixed order: training is three launches (sums; squared deviations about the mean,
 * so the exact two-pass variance is kept; normalisation and statistics), backward two (gradient
 * sums; input gradient). No atomics, so the results are the same on every run. The partials live in
 * a workspace of {@code 2 x TARGET_BLOCKS} doubles allocated with the backend, which bounds them for
 * every shape, so no op allocates and each can be captured into a CUDA graph on first use. An op
 * queues its launches with the kernels' monitor held, so no other op's use of the partials comes in
 * between on the stream.
 */
final class CudaNormalization implements Normalization, AutoCloseable {
    /** Most blocks of a sliced pass, and so most partials of one kind in the workspace. */
    private static final int MAX_PARTIALS = CudaBiasReluEpilogue.TARGET_BLOCKS;

    private final CudaBackend backend;
    private final CudaKernels kernels;
    private final MemorySegment trainingKernel;
    private final MemorySegment sliceSumsKernel;
    private final MemorySegment sliceSquaresKernel;
    private final MemorySegment sliceNormaliseKernel;
    private final MemorySegment inferenceKernel;
    private final MemorySegment backwardKernel;
    private final MemorySegment backwardSliceSumsKernel;
    private final MemorySegment backwardSliceInputKernel;
    /** Two arrays of {@link #MAX_PARTIALS} doubles: the per-slice partials of two sums per channel. */
    private final Tensor partials;

    CudaNormalization(CudaBackend backend) {
        this.backend = backend;
        this.kernels = backend.kernels();
        this.trainingKernel = kernels.function("batchnorm_training");
        this.sliceSumsKernel = kernels.function("batchnorm_slice_sums");
        this.sliceSquaresKernel = kernels.function("batchnorm_slice_squares");
        this.sliceNormaliseKernel = kernels.function("batchnorm_slice_normalise");
        this.inferenceKernel = kernels.function("batchnorm_inference");
        this.backwardKernel = kernels.function("batchnorm_backward");
        this.backwardSliceSumsKernel = kernels.function("batchnorm_backward_slice_sums");
        this.backwardSliceInputKernel = kernels.function("batchnorm_backward_slice_input");
        this.partials = backend.allocate(DType.U8, Shape.of(2 * Double.BYTES * MAX_PARTIALS));
    }

    /**
     * Into how many slices each of {@code channels} channels of {@code values} values is cut: the
     * epilogue's rule ({@link CudaBiasReluEpilogue#slices}), about {@code TARGET_BLOCKS} blocks in
     * all, none below {@code MIN_TERMS_PER_BLOCK} values, at least one. Above one, {@code channels x
     * slices} never exceeds {@link #MAX_PARTIALS}, the workspace's bound.
     */
    static int slices(long channels, long values) {
        return CudaBiasReluEpilogue.slices(channels, values);
    }

    /** The address of the first partials array, and {@link #second} that of the other. */
    private long first() {
        return CudaBackend.address(partials);
    }

    private long second() {
        return CudaBackend.address(partials) + (long) Double.BYTES * MAX_PARTIALS;
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
        ChannelView xv = layout(x, op + " input");
        ChannelView ov = same(xv, out, op + " output");
        checkChannels(op, xv.c(), gamma, beta, runningMean, runningVar, savedMean, savedInvStd);
        long m = (long) xv.n() * xv.s();
        if (m < 2) {
            throw new IllegalArgumentException(op + " needs more than one value per channel to estimate a"
                    + " variance, got input " + x.shape());
        }
        int slices = slices(xv.c(), m);
        int blocks = CudaKernels.blocksFor((long) xv.c() * slices);
        synchronized (kernels) {
            if (slices > 1) {
                KernelParams p = kernels.params().i32(xv.n()).i32(xv.c()).i32(xv.s());
                strides(p.pointer(CudaBackend.address(x)), xv).i32(slices).pointer(first());
                kernels.launchBlocks(sliceSumsKernel, blocks, CudaKernels.THREADS, "batchnorm_slice_sums");
                p = kernels.params().i32(xv.n()).i32(xv.c()).i32(xv.s());
                strides(p.pointer(CudaBackend.address(x)), xv).i32(slices).pointer(first()).pointer(second());
                kernels.launchBlocks(sliceSquaresKernel, blocks, CudaKernels.THREADS, "batchnorm_slice_squares");
            }
            KernelParams p = kernels.params().i32(xv.n()).i32(xv.c()).i32(xv.s());
            strides(p.pointer(CudaBackend.address(x)), xv);
            strides(p.pointer(CudaBackend.address(out)), ov);
            channels(p, gamma, beta, runningMean, runningVar, savedMean, savedInvStd);
            p.f32(momentum).f32(epsilon).i32(relu ? 1 : 0);
            if (slices > 1) {
                p.i32(slices).pointer(first()).pointer(second());
                kernels.launchBlocks(sliceNormaliseKernel, blocks, CudaKernels.THREADS, "batchnorm_slice_normalise");
            } else {
                kernels.launchBlocks(trainingKernel, blocks, CudaKernels.THREADS, "batchnorm_training");
            }
        }
    }

    /** The inference pass as {@code op}, followed by a ReLU in the same kernel when {@code relu} is set. */
    void inference(String op, boolean relu, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                   Tensor runningVar, float epsilon, Tensor out) {
        ChannelView xv = layout(x, op + " input");
        ChannelView ov = same(xv, out, op + " output");
        checkChannels(op, xv.c(), gamma, beta, runningMean, runningVar);
        long total = (long) xv.n() * xv.c() * xv.s();
        if (total == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().i32(xv.n()).i32(xv.c()).i32(xv.s());
            strides(p.pointer(CudaBackend.address(x)), xv);
            strides(p.pointer(CudaBackend.address(out)), ov);
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
        ChannelView xv = layout(x, op + " input");
        ChannelView yv = out == null ? xv : same(xv, out, op + " forward output");
        ChannelView gv = same(xv, dOut, op + " output gradient");
        ChannelView dv = same(xv, dx, op + " input gradient");
        checkChannels(op, xv.c(), gamma, savedMean, savedInvStd, dGamma, dBeta);
        int relu = out == null ? 0 : 1;
        // Without the ReLU the kernels never read the forward output: a null pointer and x's strides.
        long y = out == null ? 0 : CudaBackend.address(out);
        int slices = slices(xv.c(), (long) xv.n() * xv.s());
        int blocks = CudaKernels.blocksFor((long) xv.c() * slices);
        synchronized (kernels) {
            if (slices > 1) {
                KernelParams p = kernels.params().i32(xv.n()).i32(xv.c()).i32(xv.s());
                strides(p.pointer(CudaBackend.address(x)), xv);
                strides(p.pointer(y), yv);
                strides(p.pointer(CudaBackend.address(dOut)), gv);
                channels(p, savedMean, savedInvStd);
                p.i32(relu).i32(slices).pointer(first()).pointer(second());
                kernels.launchBlocks(backwardSliceSumsKernel, blocks, CudaKernels.THREADS,
                        "batchnorm_backward_slice_sums");
            }
            KernelParams p = kernels.params().i32(xv.n()).i32(xv.c()).i32(xv.s());
            strides(p.pointer(CudaBackend.address(x)), xv);
            strides(p.pointer(y), yv);
            strides(p.pointer(CudaBackend.address(dOut)), gv);
            strides(p.pointer(CudaBackend.address(dx)), dv);
            channels(p, gamma, savedMean, savedInvStd, dGamma, dBeta);
            p.i32(relu);
            if (slices > 1) {
                p.i32(slices).pointer(first()).pointer(second());
                kernels.launchBlocks(backwardSliceInputKernel, blocks, CudaKernels.THREADS,
                        "batchnorm_backward_slice_input");
            } else {
                kernels.launchBlocks(backwardKernel, blocks, CudaKernels.THREADS, "batchnorm_backward");
            }
        }
    }

    /** Each channel vector as the address of its element 0 and its stride. */
    private static void channels(KernelParams p, Tensor... vectors) {
        for (Tensor v : vectors) {
            p.pointer(CudaBackend.address(v)).i64(v.stride(0));
        }
    }

    private ChannelView layout(Tensor t, String what) {
        check(t, what);
        return ChannelView.of(t, what);
    }

    private ChannelView same(ChannelView x, Tensor t, String what) {
        return layout(t, what).requireShapeOf(x, t, what);
    }

    /**
     * Appends the kernels' {@code ChannelTensor} struct: the three strides (the address passed before
     * them already includes the view's offset).
     */
    private static KernelParams strides(KernelParams p, ChannelView v) {
        return p.longs(v.strideN(), v.strideC(), v.strideS());
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

    @Override
    public void close() {
        partials.close();
    }
}
