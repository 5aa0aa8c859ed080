package dev.strix.cuda;

import dev.strix.tensor.BiasReluEpilogue;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Bias + ReLU (+ 2x2 max pooling) and their backward passes as kernels (cuda-src/fused.cu). The
 * forward ops are one launch each: a grid-stride loop over the outputs with at most
 * {@link #TARGET_BLOCKS} blocks, so that each thread takes several elements and the carries of its
 * index walk replace a division per element.
 *
 * <p>A backward op is one kernel that writes the input gradient and sums the bias gradient, with one
 * block per (channel, slice of that channel's terms). A block per channel suits a dense layer's
 * gradient ([1024, 128] is 128 blocks of 1024 terms; its reads stride over rows, but the tensor is
 * small), while a convolution's 32 channels of 1024 x 26 x 26 would keep 32 blocks busy on a GPU with
 * over a hundred multiprocessors. So each channel is cut into {@link #slices} ranges until there are
 * about {@link #TARGET_BLOCKS} blocks, none cut below about {@link #MIN_TERMS_PER_BLOCK} terms; with
 * more than one slice, the blocks store partial sums in a workspace and a second kernel adds them per
 * channel in slice order (a single pass that let the last block finish the sums would need a counter
 * reset and memory fences, for one launch of a few microseconds). So a backward op is one launch, or two when its channels are
 * sliced and a bias gradient is asked for; the sums are deterministic (fixed order, double precision,
 * no atomics). The workspace holds at most {@link #TARGET_BLOCKS} partials whatever the shape, so it
 * is allocated once, with the backend, and every op can be captured into a CUDA graph on first use.
 */
final class CudaBiasReluEpilogue implements BiasReluEpilogue, AutoCloseable {
    /**
     * Blocks of {@link CudaKernels#THREADS} that fill a large GPU a few times over (an H200 holds
     * 132 x 8 such blocks at once), fine enough that the last wave leaves little idle.
     */
    static final int TARGET_BLOCKS = 4096;
    /** Fewest terms worth a block of its own (8 per thread), so small channels are not cut up. */
    static final long MIN_TERMS_PER_BLOCK = 2048;

    private final CudaBackend backend;
    private final CudaKernels kernels;
    private final MemorySegment biasReluKernel;
    private final MemorySegment backwardKernel;
    private final MemorySegment maxPoolKernel;
    private final MemorySegment maxPoolBackwardKernel;
    private final MemorySegment partialsSumKernel;
    /** The per-slice partial sums of the bias gradient: {@link #TARGET_BLOCKS} doubles at most. */
    private final Tensor partials;

    CudaBiasReluEpilogue(CudaBackend backend) {
        this.backend = backend;
        this.kernels = backend.kernels();
        this.biasReluKernel = kernels.function("bias_relu");
        this.backwardKernel = kernels.function("bias_relu_backward");
        this.maxPoolKernel = kernels.function("bias_relu_max_pool");
        this.maxPoolBackwardKernel = kernels.function("bias_relu_max_pool_backward");
        this.partialsSumKernel = kernels.function("channel_partials_sum");
        this.partials = backend.allocate(DType.U8, Shape.of(Double.BYTES * TARGET_BLOCKS));
    }

    /**
     * Into how many slices each of {@code channels} channels of {@code terms} terms is cut: enough for
     * about {@link #TARGET_BLOCKS} blocks in all, none smaller than {@link #MIN_TERMS_PER_BLOCK} terms,
     * at least one. {@code channels * slices} never exceeds {@link #TARGET_BLOCKS} when it is above 1.
     */
    static int slices(long channels, long terms) {
        long byWork = (terms + MIN_TERMS_PER_BLOCK - 1) / MIN_TERMS_PER_BLOCK;
        long byBlocks = TARGET_BLOCKS / Math.max(1, channels);
        return (int) Math.max(1, Math.min(byWork, byBlocks));
    }

    @Override
    public void biasRelu(Tensor z, Tensor bias, Tensor y) {
        BiasReluEpilogue.checkRows("biasRelu", "input", z, "output", y, bias);
        boolean channelsLast = BiasReluEpilogue.channelsLast("biasRelu", z, y);
        here(z, "biasRelu input");
        here(bias, "biasRelu bias");
        here(y, "biasRelu output");
        if (z.size() == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().pointer(CudaBackend.address(z)).pointer(orNull(bias));
            p.pointer(CudaBackend.address(y)).i64(z.size()).i32(z.dim(1)).i64(pixels(z)).i32(channelsLast ? 1 : 0);
            kernels.launchBlocks(biasReluKernel, gridFor(z.size()), CudaKernels.THREADS, "bias_relu");
        }
    }

    @Override
    public void biasReluBackward(Tensor y, Tensor dy, Tensor dz, Tensor dBias) {
        String op = "biasReluBackward";
        BiasReluEpilogue.checkRows(op, "output", y, "output gradient", dy, dBias);
        BiasReluEpilogue.checkRows(op, "output", y, "input gradient", dz, null);
        boolean channelsLast = BiasReluEpilogue.channelsLast(op, y, dy, dz);
        here(y, op + " output");
        here(dy, op + " output gradient");
        here(dz, op + " input gradient");
        here(dBias, op + " bias gradient");
        if (zeroSumsOfNothing(y, dBias)) {
            return;
        }
        int channels = y.dim(1);
        long pixels = pixels(y);
        int slices = slices(channels, y.dim(0) * pixels);
        synchronized (kernels) {
            KernelParams p = kernels.params().pointer(CudaBackend.address(y)).pointer(CudaBackend.address(dy));
            p.pointer(CudaBackend.address(dz)).i32(y.dim(0)).i32(channels).i64(pixels).i32(channelsLast ? 1 : 0);
            launchPerChannelSlice(p, backwardKernel, "bias_relu_backward", channels, slices, dBias);
        }
    }

    @Override
    public void biasReluMaxPool(Tensor z, Tensor bias, Tensor pooled, Tensor argmax) {
        BiasReluEpilogue.checkPooling("biasReluMaxPool", z, bias, pooled, argmax);
        boolean channelsLast = BiasReluEpilogue.channelsLast("biasReluMaxPool", pooled, argmax);
        here(z, "biasReluMaxPool input");
        here(bias, "biasReluMaxPool bias");
        here(pooled, "biasReluMaxPool pooled");
        here(argmax, "biasReluMaxPool argmax");
        if (pooled.size() == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().pointer(CudaBackend.address(z)).pointer(orNull(bias));
            p.pointer(CudaBackend.address(pooled)).pointer(CudaBackend.address(argmax));
            p.i32(z.dim(0)).i32(z.dim(1)).i32(z.dim(2)).i32(z.dim(3)).i32(channelsLast ? 1 : 0);
            p.i64(z.strides()[0]).i64(z.strides()[1]).i64(z.strides()[3]);
            kernels.launchBlocks(maxPoolKernel, gridFor(pooled.size()), CudaKernels.THREADS, "bias_relu_max_pool");
        }
    }

    @Override
    public void biasReluMaxPoolBackward(Tensor dPooled, Tensor pooled, Tensor argmax, Tensor dz, Tensor dBias) {
        String op = "biasReluMaxPoolBackward";
        BiasReluEpilogue.checkPooling(op, dz, dBias, pooled, argmax);
        BiasReluEpilogue.checkRows(op, "pooled", pooled, "pooled gradient", dPooled, null);
        boolean channelsLast = BiasReluEpilogue.channelsLast(op, dPooled, pooled, argmax);
        here(dPooled, op + " pooled gradient");
        here(pooled, op + " pooled");
        here(argmax, op + " argmax");
        here(dz, op + " input gradient");
        here(dBias, op + " bias gradient");
        if (zeroSumsOfNothing(pooled, dBias)) {
            return;
        }
        int channels = dz.dim(1);
        int slices = slices(channels, (long) pooled.dim(0) * pooled.dim(2) * pooled.dim(3));
        synchronized (kernels) {
            KernelParams p = kernels.params().pointer(CudaBackend.address(dPooled))
                    .pointer(CudaBackend.address(pooled)).pointer(CudaBackend.address(argmax))
                    .pointer(CudaBackend.address(dz));
            p.i32(dz.dim(0)).i32(channels).i32(dz.dim(2)).i32(dz.dim(3)).i32(channelsLast ? 1 : 0);
            p.i64(dz.strides()[0]).i64(dz.strides()[1]).i64(dz.strides()[3]);
            launchPerChannelSlice(p, maxPoolBackwardKernel, "bias_relu_max_pool_backward", channels, slices, dBias);
        }
    }

    /**
     * Finishes the arguments {@code db, partials, slices} of a backward kernel and launches it with a
     * block per (channel, slice), then, when sliced sums were stored, the kernel that adds them.
     * Called with the kernels' monitor held, so no other op can use the partials in between.
     */
    private void launchPerChannelSlice(KernelParams p, MemorySegment kernel, String name, int channels, int slices,
                                       Tensor dBias) {
        p.pointer(orNull(dBias)).pointer(CudaBackend.address(partials)).i32(slices);
        kernels.launchBlocks(kernel, CudaKernels.blocksFor((long) channels * slices), CudaKernels.THREADS, name);
        if (dBias != null && slices > 1) {
            kernels.params().pointer(CudaBackend.address(partials)).i32(channels).i32(slices)
                    .pointer(CudaBackend.address(dBias));
            kernels.launch(partialsSumKernel, channels, "channel_partials_sum");
        }
    }

    /**
     * Whether there is nothing to do because {@code t} is empty (no images, channels or pixels): the
     * bias gradient, a sum over nothing, is then zeroed here (the kernels assume a non-empty walk).
     */
    private boolean zeroSumsOfNothing(Tensor t, Tensor dBias) {
        if (t.size() != 0) {
            return false;
        }
        if (dBias != null) {
            backend.fill(dBias, 0f);
        }
        return true;
    }

    /** Blocks for a grid-stride loop over {@code elements}: a thread each, up to {@link #TARGET_BLOCKS}. */
    static int gridFor(long elements) {
        return (int) Math.max(1, Math.min(TARGET_BLOCKS, (elements + CudaKernels.THREADS - 1) / CudaKernels.THREADS));
    }

    /** Pixels per channel: H * W of an [N, C, H, W] tensor, 1 for [N, C]. */
    private static long pixels(Tensor t) {
        return t.rank() == 4 ? (long) t.dim(2) * t.dim(3) : 1;
    }

    /** The address of {@code t}'s first element, or a null pointer for an absent bias. */
    private static long orNull(Tensor t) {
        return t == null ? 0 : CudaBackend.address(t);
    }

    /** Device residency of an operand ({@code null}, an absent bias, passes). */
    private void here(Tensor t, String what) {
        if (t != null) {
            backend.requireHere(t, what);
        }
    }

    @Override
    public void close() {
        partials.close();
    }
}
