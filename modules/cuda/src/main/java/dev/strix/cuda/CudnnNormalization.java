package dev.strix.cuda;

import static dev.strix.cuda.CudaErrors.checkCudnn;

import dev.strix.bindings.cudnn.Cudnn;
import dev.strix.tensor.DType;
import dev.strix.tensor.Normalization;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.spi.ChannelView;
import java.lang.foreign.MemorySegment;

/**
 * Batch normalisation through cuDNN ({@code CUDNN_BATCHNORM_SPATIAL}: statistics per channel over
 * the batch and every axis after the channel), one library call per op: the alternative to our own
 * kernels ({@link CudaNormalization}), chosen with {@code -Dstrix.cuda.batchNorm=cudnn}
 * ({@link BatchNormImplementation}). The contract maps onto cuDNN's arguments as follows:
 * <ul>
 *   <li>{@code exponentialAverageFactor = momentum}: cuDNN updates {@code running = factor * batch +
 *       (1 - factor) * running}, PyTorch's rule. Its running variance takes the unbiased batch
 *       variance {@code var * M / (M - 1)}, as PyTorch's does. cuDNN's documentation (cudnn_ops.h,
 *       the API reference) says only "the moving average of variance[x]"; the Bessel correction
 *       was measured by MXNet's developers (apache/mxnet#18751, #21111: cuDNN's moving variance is
 *       the sample variance, MXNet's own kernel's the population one), and PyTorch hands its running
 *       variance to cuDNN unchanged and documents it as unbiased. So, like our kernels, a channel of
 *       one value ({@code M = 1}) is refused.</li>
 *   <li>{@code resultSaveInvVariance} is, despite its name, {@code 1 / sqrt(var + epsilon)} with
 *       the biased batch variance, i.e. our {@code savedInvStd}, which the backward pass hands back
 *       to cuDNN. The documentation calls it the "inverse variance"; onnxruntime measured the inverse
 *       standard deviation (microsoft/onnxruntime#8172), as MXNet's cuDNN op also stores it.</li>
 *   <li>The backward pass passes the epsilon of the training call that wrote the saved inverse
 *       deviation, as cudnn_ops.h asks ("Same epsilon as forward pass"): each training call records
 *       it by that tensor's device address ({@link #forwardEpsilon}).</li>
 *   <li>Every blend factor is alpha 1, beta 0: {@code out}, {@code dx}, {@code dGamma} and
 *       {@code dBeta} are overwritten.</li>
 * </ul>
 *
 * <p>{@code [N, C, ...]} is described to cuDNN as {@code [N, C, S, 1]} with the tensor's own
 * strides ({@link ChannelView}: the axes after the channel must merge into one strided run), so
 * {@code [N, C]} is {@code [N, C, 1, 1]}. cuDNN's developer guide ("Core Concepts: Tensor
 * Descriptor") says its routines take any non-negative strides, overlapping ones for forward inputs
 * but not for outputs, unless a routine says otherwise, and the batch norm functions say nothing
 * otherwise; so strided views (NHWC activations among them) are passed as they are
 * (CudnnNormalizationTest checks NHWC views against the CPU on the GPU). A configuration cuDNN
 * still declines comes back as its status, thrown naming the op and the tensors with their strides;
 * outputs whose elements share memory, and negative strides, are refused before the call. The
 * channel vectors share one packed {@code [1, C, 1, 1]} descriptor (what cudnnDeriveBNTensorDescriptor
 * derives for float32 data in spatial mode), so each must be {@code [C]} with stride 1. Epsilon must
 * be at least {@code CUDNN_BN_MIN_EPSILON} (0 in cuDNN 9).
 *
 * <p>Unlike our kernels, cuDNN reduces in float32 in an order of its own (not documented), so
 * results agree with the CPU's double-precision statistics to float rounding, not bit for bit.
 * Descriptors are made per layout on first use and kept, so a later call of a known shape allocates
 * nothing and can be recorded into a CUDA graph once it has run eagerly (the first call of all also
 * creates the backend's cuDNN handle).
 */
final class CudnnNormalization implements Normalization, AutoCloseable {
    private final CudaBackend backend;
    private final CudnnHandle cudnn;
    private final CudnnTensorDescriptors tensors = new CudnnTensorDescriptors();
    /** Device addresses of saved inverse deviations and the epsilon each was computed with (a few layers' worth). */
    private long[] savedAddresses = new long[4];
    private float[] savedEpsilons = new float[4];
    private int savedCount;

    CudnnNormalization(CudaBackend backend, CudnnHandle cudnn) {
        this.backend = backend;
        this.cudnn = cudnn;
    }

    @Override
    public void batchNormTraining(Tensor x, Tensor gamma, Tensor beta, float momentum, float epsilon,
                                  Tensor runningMean, Tensor runningVar, Tensor out, Tensor savedMean,
                                  Tensor savedInvStd) {
        // A constant variable, so op + " input" and the like are constants too: no string is built per call.
        final String op = "batchNormTraining";
        ChannelView xv = layout(x, op + " input");
        ChannelView ov = output(xv, out, op + " output");
        checkChannels(op, xv.c(), gamma, beta, runningMean, runningVar, savedMean, savedInvStd);
        checkEpsilon(op, epsilon);
        long m = (long) xv.n() * xv.s();
        if (m < 2) {
            throw new IllegalArgumentException(op + " needs more than one value per channel to estimate a"
                    + " variance, got input " + x.shape());
        }
        if (xv.c() == 0) {
            return;
        }
        MemorySegment handle = cudnn.get("cuDNN batch norm");
        synchronized (this) {
            int status = Cudnn.cudnnBatchNormalizationForwardTraining(handle, Cudnn.CUDNN_BATCHNORM_SPATIAL(),
                    cudnn.one(), cudnn.zero(), descriptor(xv, op + " input"), pointer(x), descriptor(ov, op + " output"),
                    pointer(out), channels(xv.c()), pointer(gamma), pointer(beta), momentum, pointer(runningMean),
                    pointer(runningVar), epsilon, pointer(savedMean), pointer(savedInvStd));
            if (status != 0) {
                checkCudnn(status, "cudnnBatchNormalizationForwardTraining (" + op + " of " + x + " into " + out + ")");
            }
            backend.context().queued();
            rememberEpsilon(CudaBackend.address(savedInvStd), epsilon);
        }
    }

    @Override
    public void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                   float epsilon, Tensor out) {
        final String op = "batchNormInference";
        ChannelView xv = layout(x, op + " input");
        ChannelView ov = output(xv, out, op + " output");
        checkChannels(op, xv.c(), gamma, beta, runningMean, runningVar);
        checkEpsilon(op, epsilon);
        if ((long) xv.n() * xv.c() * xv.s() == 0) {
            return;
        }
        MemorySegment handle = cudnn.get("cuDNN batch norm");
        synchronized (this) {
            int status = Cudnn.cudnnBatchNormalizationForwardInference(handle, Cudnn.CUDNN_BATCHNORM_SPATIAL(),
                    cudnn.one(), cudnn.zero(), descriptor(xv, op + " input"), pointer(x), descriptor(ov, op + " output"),
                    pointer(out), channels(xv.c()), pointer(gamma), pointer(beta), pointer(runningMean),
                    pointer(runningVar), epsilon);
            if (status != 0) {
                checkCudnn(status, "cudnnBatchNormalizationForwardInference (" + op + " of " + x + " into " + out + ")");
            }
            backend.context().queued();
        }
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor dOut, Tensor gamma, Tensor savedMean, Tensor savedInvStd,
                                  Tensor dx, Tensor dGamma, Tensor dBeta) {
        final String op = "batchNormBackward";
        ChannelView xv = layout(x, op + " input");
        ChannelView gv = same(xv, dOut, op + " output gradient");
        ChannelView dv = output(xv, dx, op + " input gradient");
        checkChannels(op, xv.c(), gamma, savedMean, savedInvStd, dGamma, dBeta);
        if (xv.c() == 0) {
            return;
        }
        if ((long) xv.n() * xv.s() == 0) {
            // No values: the sums are empty (cuDNN takes no tensor with a zero size).
            backend.fill(dGamma, 0f);
            backend.fill(dBeta, 0f);
            return;
        }
        MemorySegment handle = cudnn.get("cuDNN batch norm");
        synchronized (this) {
            int status = Cudnn.cudnnBatchNormalizationBackward(handle, Cudnn.CUDNN_BATCHNORM_SPATIAL(), cudnn.one(),
                    cudnn.zero(), cudnn.one(), cudnn.zero(), descriptor(xv, op + " input"), pointer(x),
                    descriptor(gv, op + " output gradient"), pointer(dOut), descriptor(dv, op + " input gradient"),
                    pointer(dx), channels(xv.c()), pointer(gamma), pointer(dGamma), pointer(dBeta),
                    forwardEpsilon(CudaBackend.address(savedInvStd)), pointer(savedMean), pointer(savedInvStd));
            if (status != 0) {
                checkCudnn(status, "cudnnBatchNormalizationBackward (" + op + " of " + x + " and " + dOut + " into "
                        + dx + ")");
            }
            backend.context().queued();
        }
    }

    /** Records that the saved inverse deviation at {@code address} was computed with {@code epsilon}. */
    private void rememberEpsilon(long address, float epsilon) {
        for (int i = 0; i < savedCount; i++) {
            if (savedAddresses[i] == address) {
                savedEpsilons[i] = epsilon;
                return;
            }
        }
        if (savedCount == savedAddresses.length) {
            savedAddresses = java.util.Arrays.copyOf(savedAddresses, 2 * savedCount);
            savedEpsilons = java.util.Arrays.copyOf(savedEpsilons, 2 * savedCount);
        }
        savedAddresses[savedCount] = address;
        savedEpsilons[savedCount++] = epsilon;
    }

    /**
     * The epsilon of the training call that wrote the saved inverse deviation at {@code address}.
     * Saved statistics that no training call of this object wrote (filled by hand, say) get the
     * smallest epsilon cuDNN takes; cuDNN then reads them as given.
     */
    float forwardEpsilon(long address) {
        for (int i = 0; i < savedCount; i++) {
            if (savedAddresses[i] == address) {
                return savedEpsilons[i];
            }
        }
        return (float) Cudnn.CUDNN_BN_MIN_EPSILON();
    }

    /** Fails unless {@code epsilon} is a number cuDNN takes: at least {@code CUDNN_BN_MIN_EPSILON}. */
    static void checkEpsilon(String op, float epsilon) {
        double min = Cudnn.CUDNN_BN_MIN_EPSILON();
        if (!(epsilon >= min)) {
            throw new IllegalArgumentException(op + ": cuDNN batch norm needs epsilon >= CUDNN_BN_MIN_EPSILON ("
                    + min + "), got " + epsilon);
        }
    }

    /**
     * Fails unless every channel vector is {@code [channels]} with stride 1 (or a single element):
     * cuDNN describes them all with one packed {@code [1, C, 1, 1]} descriptor.
     */
    static void checkChannelVectors(String op, int channels, Tensor... vectors) {
        for (Tensor v : vectors) {
            if (v.rank() != 1 || v.dim(0) != channels) {
                throw new IllegalArgumentException(op + ": channel vectors must be [" + channels + "], got " + v.shape());
            }
            if (channels > 1 && v.stride(0) != 1) {
                throw new IllegalArgumentException(op + ": cuDNN batch norm needs contiguous channel vectors, got " + v
                        + " (stride " + v.stride(0) + "); pass a contiguous copy");
            }
        }
    }

    /** The [N, C, S] view of an input, with cuDNN's stride range checked. */
    static ChannelView cudnnLayout(Tensor t, String what) {
        ChannelView v = ChannelView.of(t, what);
        CudnnTensorDescriptors.stride(v.strideN(), v.n(), what);
        CudnnTensorDescriptors.stride(v.strideC(), v.c(), what);
        CudnnTensorDescriptors.stride(v.strideS(), v.s(), what);
        return v;
    }

    private void checkChannels(String op, int channels, Tensor... vectors) {
        for (Tensor v : vectors) {
            check(v, op + " channel vector");
        }
        checkChannelVectors(op, channels, vectors);
    }

    private ChannelView layout(Tensor t, String what) {
        check(t, what);
        return cudnnLayout(t, what);
    }

    private ChannelView same(ChannelView x, Tensor t, String what) {
        return layout(t, what).requireShapeOf(x, t, what);
    }

    private ChannelView output(ChannelView x, Tensor t, String what) {
        ChannelView v = same(x, t, what);
        CudnnTensorDescriptors.requireNoOverlap(t, what);
        return v;
    }

    /** {@code [N, C, S, 1]} with the view's strides (the last axis has one element: its stride is moot). */
    private MemorySegment descriptor(ChannelView v, String what) {
        return tensors.of(v.n(), v.c(), v.s(), 1, v.strideN(), v.strideC(), v.strideS(), 1, what);
    }

    /** The packed {@code [1, C, 1, 1]} float32 descriptor of the channel vectors. */
    private MemorySegment channels(int c) {
        return tensors.of(1, c, 1, 1, c, 1, 1, 1, "batch norm channel vectors");
    }

    private static MemorySegment pointer(Tensor t) {
        return MemorySegment.ofAddress(CudaBackend.address(t));
    }

    private void check(Tensor t, String what) {
        t.requireDType(DType.F32, what);
        backend.requireHere(t, what);
    }

    @Override
    public synchronized void close() {
        tensors.close();
    }
}
