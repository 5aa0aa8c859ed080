package dev.strix.cuda;

import static dev.strix.cuda.CudaErrors.checkCudnn;

import dev.strix.bindings.cudnn.Cudnn;
import dev.strix.tensor.BinaryOp;
import dev.strix.tensor.DType;
import dev.strix.tensor.DirectConvolution;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Convolutions through cuDNN (cudnnConvolutionForward, BackwardData, BackwardFilter, BackwardBias)
 * on our stream. cuDNN is loaded on first use, so a machine without it still runs every other op.
 *
 * <p>Data tensors may have any strides, so NHWC activations are NCHW-shaped views of {@code [N, H,
 * W, C]} buffers; weights are contiguous {@code [O, C, KH, KW]} or the view of a contiguous
 * {@code [O, KH, KW, C]} buffer ({@link FilterLayout}), anything else is refused.
 *
 * <p>For each shape (sizes, strides, padding, the data tensors' strides, the filter layout) and direction a
 * {@link CudnnPlan} is made once: descriptors, and the algorithm that cudnnFind...AlgorithmEx
 * measured fastest among those that fit the workspace (and are deterministic, in deterministic
 * mode). One workspace of {@code strix.cudnn.workspaceMB} MiB (default 256) is allocated at first
 * use and shared by every plan. Later calls of a known shape only look the plan up (no allocation)
 * and launch. Plain float32 maths ({@code CUDNN_FMA_MATH}: no TF32), like the other algorithms,
 * unless {@link #tensorFloat32} allowed TF32 tensor cores ({@code CUDNN_TENSOR_OP_MATH}); the mode
 * is part of a plan's key, so each mode measures its own algorithms.
 *
 * <p>Deterministic mode ({@code -Dstrix.cudnn.deterministic=true} or
 * {@code STRIX_CUDNN_DETERMINISTIC=1}) admits only algorithms cuDNN reports as deterministic, so two
 * runs give the same bits (the backward-filter ones are often not, by default).
 */
final class CudaDirectConvolution implements DirectConvolution, AutoCloseable {
    /** {@code CUDNN_DETERMINISTIC} of {@code cudnnDeterminism_t} (cudnn_ops.h), not among the generated constants. */
    static final int CUDNN_DETERMINISTIC = 1;

    private final CudaBackend backend;
    private final boolean deterministic;
    private final long workspaceBytes;
    private final List<CudnnPlan> plans = new ArrayList<>();
    private final int[] key = new int[CudnnPlan.KEY_LENGTH];
    private MemorySegment handle;
    private MemorySegment one;
    private MemorySegment zero;
    private Tensor workspace;
    private volatile boolean tf32;

    CudaDirectConvolution(CudaBackend backend) {
        this.backend = backend;
        String env = System.getenv("STRIX_CUDNN_DETERMINISTIC");
        this.deterministic = Boolean.getBoolean("strix.cudnn.deterministic")
                || "1".equals(env) || "true".equalsIgnoreCase(env);
        this.workspaceBytes = Long.getLong("strix.cudnn.workspaceMB", 256) << 20;
    }

    /** Strict float32 convolutions ({@code false}, the default) or TF32 tensor-core ones ({@code true}). */
    void tensorFloat32(boolean enabled) {
        this.tf32 = enabled;
    }

    /** The plans made so far, in the order they were made (for tests). */
    List<CudnnPlan> plans() {
        return List.copyOf(plans);
    }

    /** Whether only deterministic algorithms are chosen. */
    boolean deterministic() {
        return deterministic;
    }

    @Override
    public void forward(Tensor x, Tensor weight, Tensor bias, int strideH, int strideW, int padH, int padW, Tensor y) {
        checkData(x, "forward input");
        checkData(y, "forward output");
        FilterLayout layout = checkWeights(weight, x, y, "forward weights");
        Sizes s = Sizes.check("forward", x.shape(), weight.shape(), strideH, strideW, padH, padW, y.shape(), "output");
        if (bias != null) {
            checkData(bias, "forward bias");
            bias.requireShape(Shape.of(s.o()), "forward bias");
            CudaBackend.requireContiguous(bias, "forward bias");
        }
        if (y.size() == 0) {
            return;
        }
        if (x.size() == 0) {
            // No input channels: the sums are empty, only the bias remains.
            backend.fill(y, 0f);
            if (bias != null) {
                backend.elementwise().binary(BinaryOp.ADD, y, bias.reshape(s.o(), 1, 1), y);
            }
            return;
        }
        CudnnPlan p = plan(CudnnPlan.FORWARD, s, strideH, strideW, padH, padW, x, y, weight, layout);
        checkCudnn(Cudnn.cudnnConvolutionForward(handle, one, p.a, pointer(x), p.filter, pointer(weight), p.conv,
                p.algorithm, pointer(workspace), p.workspaceBytes, zero, p.b, pointer(y)), "cudnnConvolutionForward");
        backend.context().queued();
        if (bias != null) {
            checkCudnn(Cudnn.cudnnAddTensor(handle, one, p.bias(), pointer(bias), one, p.b, pointer(y)), "cudnnAddTensor");
            backend.context().queued();
        }
    }

    @Override
    public void backwardData(Tensor dy, Tensor weight, int strideH, int strideW, int padH, int padW, Tensor dx) {
        checkData(dy, "backwardData output gradient");
        checkData(dx, "backwardData input gradient");
        FilterLayout layout = checkWeights(weight, dy, dx, "backwardData weights");
        Sizes s = Sizes.check("backwardData", dx.shape(), weight.shape(), strideH, strideW, padH, padW, dy.shape(),
                "output gradient");
        if (dx.size() == 0) {
            return;
        }
        if (dy.size() == 0) {
            backend.fill(dx, 0f);
            return;
        }
        CudnnPlan p = plan(CudnnPlan.BACKWARD_DATA, s, strideH, strideW, padH, padW, dy, dx, weight, layout);
        checkCudnn(Cudnn.cudnnConvolutionBackwardData(handle, one, p.filter, pointer(weight), p.a, pointer(dy), p.conv,
                p.algorithm, pointer(workspace), p.workspaceBytes, zero, p.b, pointer(dx)), "cudnnConvolutionBackwardData");
        backend.context().queued();
    }

    @Override
    public void backwardFilter(Tensor x, Tensor dy, int strideH, int strideW, int padH, int padW, Tensor dWeight) {
        checkData(x, "backwardFilter input");
        checkData(dy, "backwardFilter output gradient");
        FilterLayout layout = checkWeights(dWeight, x, dy, "backwardFilter weight gradient");
        Sizes s = Sizes.check("backwardFilter", x.shape(), dWeight.shape(), strideH, strideW, padH, padW, dy.shape(),
                "output gradient");
        if (dWeight.size() == 0) {
            return;
        }
        if (x.size() == 0 || dy.size() == 0) {
            backend.fill(dWeight, 0f);
            return;
        }
        CudnnPlan p = plan(CudnnPlan.BACKWARD_FILTER, s, strideH, strideW, padH, padW, x, dy, dWeight, layout);
        checkCudnn(Cudnn.cudnnConvolutionBackwardFilter(handle, one, p.a, pointer(x), p.b, pointer(dy), p.conv,
                p.algorithm, pointer(workspace), p.workspaceBytes, zero, p.filter, pointer(dWeight)),
                "cudnnConvolutionBackwardFilter");
        backend.context().queued();
    }

    @Override
    public void backwardBias(Tensor dy, Tensor dBias) {
        checkData(dy, "backwardBias output gradient");
        checkData(dBias, "backwardBias bias gradient");
        if (dy.rank() != 4 || !dBias.shape().equals(Shape.of(dy.dim(1)))) {
            throw new IllegalArgumentException("backwardBias: output gradient must be [N, O, OH, OW] and the bias"
                    + " gradient [O], got " + dy.shape() + " and " + dBias.shape());
        }
        CudaBackend.requireContiguous(dBias, "backwardBias bias gradient");
        if (dBias.size() == 0) {
            return;
        }
        if (dy.size() == 0) {
            backend.fill(dBias, 0f);
            return;
        }
        // Only dy's descriptor matters: a plan of sizes [n, o, oh, ow] with dy as both data tensors.
        Sizes s = new Sizes(dy.dim(0), dy.dim(1), dy.dim(2), dy.dim(3), dy.dim(1), 1, 1, dy.dim(2), dy.dim(3));
        CudnnPlan p = plan(CudnnPlan.BIAS, s, 1, 1, 0, 0, dy, dy, null, FilterLayout.NCHW);
        checkCudnn(Cudnn.cudnnConvolutionBackwardBias(handle, one, p.a, pointer(dy), zero, p.bias(), pointer(dBias)),
                "cudnnConvolutionBackwardBias");
        backend.context().queued();
    }

    /** The plan for this call, made (and its algorithm measured with the call's own tensors) on first use. */
    private CudnnPlan plan(int direction, Sizes s, int sh, int sw, int ph, int pw, Tensor a, Tensor b, Tensor weights,
                           FilterLayout layout) {
        start();
        CudnnPlan.key(key, direction, s, sh, sw, ph, pw, a, b, tf32, layout);
        for (int i = 0; i < plans.size(); i++) {
            CudnnPlan p = plans.get(i);
            if (p.matches(key)) {
                return p;
            }
        }
        // Measuring algorithms runs and waits for the GPU: not something a graph can record.
        backend.refuseWhileCapturing("choosing a cuDNN algorithm for a new shape");
        CudnnPlan p = CudnnPlan.create(key, direction, s, sh, sw, ph, pw, a, b);
        plans.add(p);
        if (direction != CudnnPlan.BIAS) {
            p.choose(handle, pointer(a), pointer(weights), pointer(b), pointer(workspace), workspaceBytes, deterministic);
            // One library call that runs every candidate algorithm, once per plan.
            backend.context().queued();
        }
        return p;
    }

    /** Takes the backend's cuDNN handle (loading cuDNN on first use) and makes the workspace, once. */
    private void start() {
        if (handle != null) {
            return;
        }
        CudnnHandle cudnn = backend.cudnn();
        MemorySegment h = cudnn.get("cuDNN convolutions");
        one = cudnn.one();
        zero = cudnn.zero();
        workspace = backend.allocate(DType.U8, Shape.of(Math.toIntExact(workspaceBytes)));
        handle = h;
    }

    private static MemorySegment pointer(Tensor t) {
        return MemorySegment.ofAddress(CudaBackend.address(t));
    }

    private void checkData(Tensor t, String what) {
        backend.requireHere(t, what);
        t.requireDType(DType.F32, what);
    }

    /** Weights (or their gradient) of a call on data {@code a} and {@code b}, in an order a filter descriptor names. */
    private FilterLayout checkWeights(Tensor t, Tensor a, Tensor b, String what) {
        checkData(t, what);
        return FilterLayout.of(t, a, b, what);
    }

    @Override
    public void close() {
        if (handle == null) {
            return;
        }
        backend.context().makeCurrent();
        for (CudnnPlan p : plans) {
            p.close();
        }
        plans.clear();
        workspace.close();
        handle = null;
    }
}
