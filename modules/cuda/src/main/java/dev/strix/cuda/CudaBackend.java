package dev.strix.cuda;

import static dev.strix.cuda.CudaErrors.check;

import dev.strix.bindings.cuda.CudaDriver;
import dev.strix.tensor.Activation;
import dev.strix.tensor.Backend;
import dev.strix.tensor.BatchNormRelu;
import dev.strix.tensor.BiasReluEpilogue;
import dev.strix.tensor.Blas;
import dev.strix.tensor.Convolution;
import dev.strix.tensor.DType;
import dev.strix.tensor.DataOps;
import dev.strix.tensor.DirectConvolution;
import dev.strix.tensor.DirectPooling;
import dev.strix.tensor.Elementwise;
import dev.strix.tensor.GraphCapture;
import dev.strix.tensor.Losses;
import dev.strix.tensor.Normalization;
import dev.strix.tensor.OptimizerSteps;
import dev.strix.tensor.Pooling;
import dev.strix.tensor.Reductions;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.Timeline;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;

/**
 * The CUDA backend: tensors in device memory, every op issued in order on one stream of device 0's
 * primary context. Ops return before the GPU has finished; {@link #copyToHost} and
 * {@link #synchronize} wait.
 *
 * <p>Created by {@link CudaBackendProvider} only after its availability check said yes, so the
 * driver and cuBLAS are loaded before any binding class is touched.
 */
public final class CudaBackend implements Backend {
    private final CudaContext context;
    private final CudaKernels kernels;
    private final CudaBlas blas;
    private final CudaElementwise elementwise;
    private final CudaReductions reductions;
    private final CudaOptimizerSteps optimizerSteps;
    private final CudaConvolution convolution;
    private final CudaPooling pooling;
    private final CudaNormalization normalization;
    private final CudnnNormalization cudnnNormalization;
    /** {@link #normalization} or {@link #cudnnNormalization}, as {@link BatchNormImplementation} chose. */
    private final Normalization offeredNormalization;
    private final Optional<BatchNormRelu> batchNormRelu;
    private final CudaActivation activation;
    private final CudaLosses losses;
    private final CudaDataOps dataOps;
    private final CudnnHandle cudnn;
    private final CudaDirectConvolution directConvolution;
    private final CudnnPooling cudnnPooling;
    private final Optional<DirectPooling> directPooling;
    private final CudaBiasReluEpilogue biasReluEpilogue;
    private final Optional<BiasReluEpilogue> offeredEpilogue;
    private final DeviceChecks checks;
    private final HostStaging staging = new HostStaging();
    private final PinnedUploads uploads;
    private final CudaTransfers transfers;
    private final Optional<GraphCapture> graphCapture = Optional.of(ops -> CudaGraph.capture(this, ops));
    private volatile boolean closed;
    /** Set while {@link CudaGraph#capture} records ops: what a graph cannot hold is refused. */
    private volatile boolean capturing;

    /** The backend with the batch norm that {@code -Dstrix.cuda.batchNorm} names ({@link BatchNormImplementation}). */
    CudaBackend() {
        this(BatchNormImplementation.fromSystemProperty());
    }

    CudaBackend(BatchNormImplementation batchNorm) {
        this.context = new CudaContext(0);
        this.kernels = new CudaKernels(context);
        this.blas = new CudaBlas(this);
        this.elementwise = new CudaElementwise(this);
        this.reductions = new CudaReductions(this);
        this.optimizerSteps = new CudaOptimizerSteps(this);
        this.convolution = new CudaConvolution(this);
        this.pooling = new CudaPooling(this);
        this.cudnn = new CudnnHandle(this);
        this.normalization = new CudaNormalization(this);
        this.cudnnNormalization = new CudnnNormalization(this, cudnn);
        boolean ourBatchNorm = batchNorm == BatchNormImplementation.KERNELS;
        this.offeredNormalization = ourBatchNorm ? normalization : cudnnNormalization;
        // cuDNN's batch norm has no ReLU flag: with it, layers run batch norm and ReLU as two ops.
        this.batchNormRelu = ourBatchNorm ? Optional.of(new CudaBatchNormRelu(normalization)) : Optional.empty();
        this.activation = new CudaActivation(this);
        this.losses = new CudaLosses(this);
        this.dataOps = new CudaDataOps(this);
        this.directConvolution = new CudaDirectConvolution(this);
        this.cudnnPooling = new CudnnPooling(this, cudnn);
        this.directPooling = Optional.of(cudnnPooling);
        this.biasReluEpilogue = new CudaBiasReluEpilogue(this);
        this.offeredEpilogue = Optional.of(biasReluEpilogue);
        this.checks = new DeviceChecks(context);
        this.uploads = new PinnedUploads(context);
        this.transfers = new CudaTransfers(this, context, kernels, staging, uploads, checks);
    }

    @Override
    public String name() {
        return "cuda";
    }

    /** The GPU in one line: name, compute capability, memory, driver and cuBLAS versions. */
    @Override
    public String describe() {
        return context.describe(blas.version());
    }

    CudaContext context() {
        return context;
    }

    CudaKernels kernels() {
        return kernels;
    }

    /** The cuDNN handle shared by the cuDNN op groups, made on first use. */
    CudnnHandle cudnn() {
        return cudnn;
    }

    /** cuDNN's batch norm, whichever {@link #normalization()} offers (for tests of both). */
    CudnnNormalization cudnnNormalization() {
        return cudnnNormalization;
    }

    /** The device word through which kernels report bad labels and indices. */
    DeviceChecks checks() {
        return checks;
    }

    /** CUDA graphs of this backend's ops ({@link CudaGraph}). */
    @Override
    public Optional<GraphCapture> graphCapture() {
        return graphCapture;
    }

    void startCapture() {
        capturing = true;
        context.recording(true);
    }

    void endCapture() {
        capturing = false;
        context.recording(false);
    }

    /** Fails with the reason when {@code what} happens while a CUDA graph is being captured. */
    void refuseWhileCapturing(String what) {
        if (capturing) {
            throw new IllegalStateException(what + " while a CUDA graph is being captured: a graph holds only"
                    + " device ops, so every buffer must be allocated, and every host copy and wait done, outside it"
                    + " (run the captured code once eagerly first)");
        }
    }

    boolean isClosed() {
        return closed;
    }

    void requireOpen(String what) {
        if (closed) {
            throw new IllegalStateException(what + ": the CUDA backend is closed");
        }
    }

    @Override
    public Tensor allocate(DType dtype, Shape shape) {
        refuseWhileCapturing("allocate " + dtype + shape);
        long bytes = Math.max(4, shape.size() * dtype.byteSize());
        context.makeCurrent();
        long pointer;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_LONG);
            check(CudaDriver.cuMemAlloc_v2(out, bytes), "cuMemAlloc_v2");
            pointer = out.get(ValueLayout.JAVA_LONG, 0);
        }
        check(CudaDriver.cuMemsetD8Async(pointer, (byte) 0, bytes, context.stream()), "cuMemsetD8Async");
        context.queued();
        return Tensor.owning(new CudaStorage(this, pointer, bytes), dtype, shape);
    }

    void freeDevice(long pointer) {
        if (closed) {
            return;
        }
        refuseWhileCapturing("freeing device memory");
        // Kernels queued on our non-blocking stream may still use the memory: wait for them first.
        context.synchronize();
        check(CudaDriver.cuMemFree_v2(pointer), "cuMemFree_v2");
    }

    @Override
    public Blas blas() {
        return blas;
    }

    @Override
    public Elementwise elementwise() {
        return elementwise;
    }

    @Override
    public Reductions reductions() {
        return reductions;
    }

    @Override
    public OptimizerSteps optimizerSteps() {
        return optimizerSteps;
    }

    @Override
    public Convolution convolution() {
        return convolution;
    }

    @Override
    public Pooling pooling() {
        return pooling;
    }

    /** Our kernels ({@link CudaNormalization}) or, with {@code -Dstrix.cuda.batchNorm=cudnn}, cuDNN's. */
    @Override
    public Normalization normalization() {
        return offeredNormalization;
    }

    /**
     * Batch norm + ReLU in the batch norm's kernels alone ({@link CudaBatchNormRelu}); empty when
     * {@link #normalization()} is cuDNN's.
     */
    @Override
    public Optional<BatchNormRelu> batchNormRelu() {
        return batchNormRelu;
    }

    @Override
    public Activation activation() {
        return activation;
    }

    @Override
    public Losses losses() {
        return losses;
    }

    /** Convolutions through cuDNN, which is loaded on first use (see {@link CudaDirectConvolution}). */
    @Override
    public DirectConvolution directConvolution() {
        return directConvolution;
    }

    /** Max pooling through cuDNN, one call each way ({@link CudnnPooling}). */
    @Override
    public Optional<DirectPooling> directPooling() {
        return directPooling;
    }

    /**
     * Strict float32 (the default) or TF32 tensor-core maths for cuBLAS GEMMs and cuDNN convolutions;
     * our own kernels always compute in float32. A CUDA graph captured before the change keeps the
     * mode it was captured with.
     */
    @Override
    public boolean setTensorFloat32(boolean enabled) {
        blas.tensorFloat32(enabled);
        directConvolution.tensorFloat32(enabled);
        return true;
    }

    /** Bias + ReLU (+ 2x2 max pooling) in one kernel per pass ({@link CudaBiasReluEpilogue}). */
    @Override
    public Optional<BiasReluEpilogue> biasReluEpilogue() {
        return offeredEpilogue;
    }

    @Override
    public DataOps dataOps() {
        return dataOps;
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        transfers.copy(src, dst);
    }

    @Override
    public void fill(Tensor dst, float value) {
        transfers.fill(dst, value);
    }

    @Override
    public void copyFromHost(MemorySegment src, Tensor dst) {
        transfers.copyFromHost(src, dst);
    }

    @Override
    public void copyToHost(Tensor src, MemorySegment dst) {
        transfers.copyToHost(src, dst);
    }

    /**
     * Waits for every op issued so far. Also throws, as {@link IllegalArgumentException} with the CPU
     * backend's message, a bad label, argmax or dataset index that a kernel found since the last
     * synchronisation point (ops that read such values do not wait to check them; see
     * {@link DeviceChecks}). {@link #copyToHost} does the same.
     */
    @Override
    public void synchronize() {
        refuseWhileCapturing("synchronize");
        context.synchronize();
        checks.reportDeferred();
    }

    /** Device events on the stream: marks never wait (see {@link CudaEventTimeline}). */
    @Override
    public Timeline timeline() {
        return new CudaEventTimeline(this, context);
    }

    @Override
    public long hostWaits() {
        return context.waits();
    }

    /**
     * Kernel launches, cuBLAS and cuDNN calls, device copies and memsets, graph launches (see
     * {@link CudaContext#queued}).
     */
    @Override
    public long deviceLaunches() {
        return context.launches();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        context.synchronize();
        directConvolution.close();
        cudnnPooling.close();
        cudnnNormalization.close();
        cudnn.close();
        biasReluEpilogue.close();
        normalization.close();
        blas.close();
        checks.close();
        kernels.close();
        staging.close();
        uploads.close();
        closed = true;
        context.close();
    }

    // ---------------------------------------------------------------- helpers for the op groups

    void requireHere(Tensor t, String what) {
        if (t.backend() != this) {
            throw new IllegalArgumentException(what + ": tensor lives on backend '" + t.backend().name()
                    + "', not cuda; move it with Tensor.to(backend)");
        }
        if (t.storage().isFreed()) {
            throw new IllegalStateException(what + ": " + t.dtype() + t.shape() + " is used after its storage was freed");
        }
        if (closed) {
            throw new IllegalStateException(what + ": the CUDA backend is closed");
        }
    }

    static void requireContiguous(Tensor t, String what) {
        if (!t.isContiguous()) {
            throw new IllegalArgumentException(what + " needs a contiguous tensor, got " + t);
        }
    }

    /** Device pointer of the storage (element offsets are added by the kernels). */
    static long base(Tensor t) {
        return ((CudaStorage) t.storage()).address();
    }

    /** Device pointer of the tensor's first element. */
    static long address(Tensor t) {
        return base(t) + t.offset() * t.dtype().byteSize();
    }
}
