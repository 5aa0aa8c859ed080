package dev.strix.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * Where tensors live and ops run. Layers, losses, optimizers and the data pipeline call these ops
 * and never touch memory themselves, so every model runs unchanged on every backend.
 *
 * <p>Ops are grouped ({@link #blas()}, {@link #elementwise()}, {@link #reductions()}, ...). Every op
 * has a CPU implementation, which is the reference the other backends are tested against. Ops may
 * run asynchronously on a device; {@link #synchronize()} waits for them, and the host copies
 * ({@link #copyToHost}) synchronise as needed.
 */
public interface Backend extends AutoCloseable {
    /** Short lower-case name: "cpu", "cuda". */
    String name();

    /**
     * The device in one line, for what a program prints about where it runs: the name, unless the
     * backend can say more (the CUDA backend names the GPU, or says that it is the emulator).
     */
    default String describe() {
        return name();
    }

    /** A new zero-filled, contiguous tensor that owns its storage. */
    Tensor allocate(DType dtype, Shape shape);

    /** Matrix products. */
    Blas blas();

    /** Element-by-element arithmetic with broadcasting. */
    Elementwise elementwise();

    /** Sums, means, maxima and argmax over axes. */
    Reductions reductions();

    /** The fused in-place parameter updates of SGD and Adam. */
    OptimizerSteps optimizerSteps();

    /** Padding, dilation, window correlation and im2col / col2im for 2-D convolution. */
    Convolution convolution();

    /** Whole convolutions in one op each (cuDNN on CUDA; reference loops on the CPU). */
    DirectConvolution directConvolution();

    /**
     * im2col + GEMM convolution without materialised columns, where this backend has it (the CPU
     * does; elsewhere layers run im2col, GEMM and col2im as separate ops).
     */
    default Optional<ImplicitGemmConvolution> implicitGemmConvolution() {
        return Optional.empty();
    }

    /**
     * Bias, ReLU and 2x2 max pooling fused into one pass over a layer's output, where this backend
     * has it (layers run the separate ops elsewhere).
     */
    default Optional<BiasReluEpilogue> biasReluEpilogue() {
        return Optional.empty();
    }

    /**
     * Batch normalisation and a following ReLU in the passes of the normalisation alone, where this
     * backend has it (layers run the two ops elsewhere).
     */
    default Optional<BatchNormRelu> batchNormRelu() {
        return Optional.empty();
    }

    /**
     * Chooses the precision of this backend's float32 matrix products and convolutions. {@code false}
     * (every backend's default) computes them in strict float32. {@code true} lets a device round
     * their inputs to TF32 (float32's 8-bit exponent, 10 of its 23 mantissa bits) and multiply them
     * on tensor cores, accumulating in float32: several times faster on NVIDIA GPUs since Ampere,
     * about 3 significant digits per input. Other ops are unaffected.
     *
     * @return whether this backend has such a mode; one that has not (the CPU) ignores the request
     *     and stays strict float32
     */
    default boolean setTensorFloat32(boolean enabled) {
        return false;
    }

    /**
     * Recording of ops into graphs replayed with one launch each (CUDA graphs), where this backend
     * queues its ops on a device; empty on backends that run ops as they are called (the CPU).
     */
    default Optional<GraphCapture> graphCapture() {
        return Optional.empty();
    }

    /**
     * Max pooling as one library call each way, without argmax, where this backend has it (cuDNN on
     * CUDA; reference loops on the CPU).
     */
    default Optional<DirectPooling> directPooling() {
        return Optional.empty();
    }

    /** Max pooling with argmax indices. */
    Pooling pooling();

    /** Batch normalisation. */
    Normalization normalization();

    /** ReLU and softmax backward passes, softmax. */
    Activation activation();

    /** Cross-entropy losses and their gradients. */
    Losses losses();

    /** Batch gathering, pixel normalisation and affine augmentation from a uint8 dataset on the backend. */
    DataOps dataOps();

    /**
     * Copies {@code src} into {@code dst} element by element: same shape, any strides on either
     * side, dtype converted when they differ (float to int truncates toward zero; to uint8 also
     * clamps to [0, 255]). Both tensors belong to this backend.
     */
    void copy(Tensor src, Tensor dst);

    /** Sets every element of {@code dst} (any strides) to {@code value}, converted to its dtype. */
    void fill(Tensor dst, float value);

    /** Copies host bytes (dst's dtype, row-major) into the contiguous tensor {@code dst}. */
    void copyFromHost(MemorySegment src, Tensor dst);

    /** Copies the contiguous tensor {@code src} into host memory, waiting for pending work. */
    void copyToHost(Tensor src, MemorySegment dst);

    /** Waits until every op issued so far has finished. */
    void synchronize();

    /**
     * How many times so far the host has waited for this backend's device to finish its queued work
     * (explicit {@link #synchronize}, the waits inside {@link #copyToHost} and inside freeing memory).
     * Always 0 on the CPU, where nothing is queued. A training step that grows it stalls the device.
     */
    default long hostWaits() {
        return 0;
    }

    /**
     * How many pieces of work the host has queued on this backend's device so far: kernel launches,
     * library calls that queue device work (a cuBLAS GEMM, a cuDNN convolution: one each, however
     * many kernels the library runs inside), device memsets and copies, and replays of captured
     * graphs (one each; the ops recorded into a graph are not counted while recording). Always 0 on
     * the CPU, where nothing is queued. At small sizes a step's time on a GPU grows with this count
     * (each launch costs a few microseconds), so fewer is faster.
     */
    default long deviceLaunches() {
        return 0;
    }

    /**
     * A {@link Timeline} for timing stretches of this backend's work. The default waits for the
     * backend at each mark and reads the host clock; a backend that queues work on a device records
     * device events instead, so that marks do not stall it.
     */
    default Timeline timeline() {
        return new HostClockTimeline(this);
    }

    /** Releases backend resources (thread pools, device contexts). */
    @Override
    void close();
}
