package dev.strix.cuda;

import static dev.strix.cuda.CudaErrors.checkCudnn;

import dev.strix.bindings.cudnn.Cudnn;
import dev.strix.bindings.cudnn.cudnnConvolutionBwdDataAlgoPerfStruct;
import dev.strix.bindings.cudnn.cudnnConvolutionBwdFilterAlgoPerfStruct;
import dev.strix.bindings.cudnn.cudnnConvolutionFwdAlgoPerfStruct;
import dev.strix.tensor.DirectConvolution.Sizes;
import dev.strix.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One cuDNN convolution of fixed shape and direction: its descriptors and chosen algorithm. The
 * data tensors are {@code a} and {@code b}: (x, y) forward, (dy, dx) for the data gradient, (x, dy)
 * for the filter gradient, (dy, dy) for the bias gradient. Descriptors carry the tensors' own
 * element strides, so strided views (NHWC activations among them) need no copy. The weights' filter
 * descriptor takes a format instead of strides: {@link FilterLayout}, part of the key.
 *
 * <p>The convolution's math type is {@code CUDNN_FMA_MATH} (float32 fused multiply-adds, no tensor
 * cores) unless TF32 was asked for ({@code CUDNN_TENSOR_OP_MATH}, which lets float32 convolutions
 * round their inputs to TF32 on tensor cores; once measured, the math type of the chosen algorithm
 * and math type pair). Never {@code CUDNN_DEFAULT_MATH}: on Ampere and later it lets cuDNN pick TF32
 * kernels for float32 data on its own.
 */
final class CudnnPlan implements AutoCloseable {
    static final int FORWARD = 0;
    static final int BACKWARD_DATA = 1;
    static final int BACKWARD_FILTER = 2;
    static final int BIAS = 3;
    /**
     * direction, n, c, h, w, o, kh, kw, sh, sw, ph, pw, a's four strides, b's four strides, TF32 (0 or
     * 1), the weights' {@link FilterLayout} (its ordinal).
     */
    static final int KEY_LENGTH = 22;

    private final int[] key;
    private final int direction;
    private final int outChannels;
    final MemorySegment a;
    final MemorySegment b;
    final MemorySegment filter;
    final MemorySegment conv;
    private MemorySegment biasDescriptor;
    private final Arena arena;
    int algorithm;
    long workspaceBytes;
    /** The math type cudnnFind reported with the chosen algorithm (what it was measured with). */
    int measuredMathType;
    /** The descriptor's math type: FMA, or under TF32 tensor-op until {@link #choose} sets the chosen pair's. */
    private int mathType;

    private CudnnPlan(int[] key, int direction, int outChannels, MemorySegment a, MemorySegment b, MemorySegment filter,
                      MemorySegment conv, Arena arena) {
        this.key = key;
        this.direction = direction;
        this.outChannels = outChannels;
        this.a = a;
        this.b = b;
        this.filter = filter;
        this.conv = conv;
        this.arena = arena;
    }

    /** Writes the lookup key of a call into {@code key} (no allocation). */
    static void key(int[] key, int direction, Sizes s, int sh, int sw, int ph, int pw, Tensor a, Tensor b,
                    boolean tf32, FilterLayout filterLayout) {
        key[0] = direction;
        key[1] = s.n();
        key[2] = s.c();
        key[3] = s.h();
        key[4] = s.w();
        key[5] = s.o();
        key[6] = s.kh();
        key[7] = s.kw();
        key[8] = sh;
        key[9] = sw;
        key[10] = ph;
        key[11] = pw;
        for (int i = 0; i < 4; i++) {
            key[12 + i] = stride(a, i);
            key[16 + i] = stride(b, i);
        }
        key[20] = tf32 ? 1 : 0;
        key[21] = filterLayout.ordinal();
    }

    private static int stride(Tensor t, int axis) {
        long s = t.stride(axis);
        if (s < 0 || s > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cuDNN convolution: " + t + " has stride " + s + " on axis " + axis
                    + ", outside what cuDNN takes (0 .. 2^31-1); pass a contiguous copy");
        }
        if (s == 0 && t.dim(axis) > 1) {
            // Real cuDNN refuses a broadcast axis (CUDNN_STATUS_BAD_PARAM), see CudnnTensorDescriptors.
            throw new IllegalArgumentException("cuDNN convolution: " + t + " has stride 0 on axis " + axis + " of "
                    + t.dim(axis) + " elements (a broadcast), which cuDNN does not take; pass a contiguous copy");
        }
        return (int) s;
    }

    /** {@link #FORWARD}, {@link #BACKWARD_DATA}, {@link #BACKWARD_FILTER} or {@link #BIAS}. */
    int direction() {
        return direction;
    }

    /** Whether this plan may use TF32 tensor ops ({@code CUDNN_TENSOR_OP_MATH}). */
    boolean tensorFloat32() {
        return key[20] == 1;
    }

    boolean matches(int[] candidate) {
        return Arrays.equals(key, candidate);
    }

    /** Descriptors for the call whose key was just written; the algorithm is chosen by {@link #choose}. */
    static CudnnPlan create(int[] key, int direction, Sizes s, int sh, int sw,
                            int ph, int pw, Tensor a, Tensor b) {
        int math = key[20] == 1 ? Cudnn.CUDNN_TENSOR_OP_MATH() : Cudnn.CUDNN_FMA_MATH();
        Arena arena = Arena.ofShared();
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        MemorySegment da = tensorDescriptor(out, a);
        MemorySegment db = direction == BIAS ? da : tensorDescriptor(out, b);
        MemorySegment filter = MemorySegment.NULL;
        MemorySegment conv = MemorySegment.NULL;
        if (direction != BIAS) {
            checkCudnn(Cudnn.cudnnCreateFilterDescriptor(out), "cudnnCreateFilterDescriptor");
            filter = out.get(ValueLayout.ADDRESS, 0);
            // The sizes are given as (o, c, kh, kw) in either format; the format says how they lie in memory.
            int format = FilterLayout.values()[key[21]].cudnnFormat;
            checkCudnn(Cudnn.cudnnSetFilter4dDescriptor(filter, Cudnn.CUDNN_DATA_FLOAT(), format,
                    s.o(), s.c(), s.kh(), s.kw()), "cudnnSetFilter4dDescriptor");
            checkCudnn(Cudnn.cudnnCreateConvolutionDescriptor(out), "cudnnCreateConvolutionDescriptor");
            conv = out.get(ValueLayout.ADDRESS, 0);
            checkCudnn(Cudnn.cudnnSetConvolution2dDescriptor(conv, ph, pw, sh, sw, 1, 1, Cudnn.CUDNN_CROSS_CORRELATION(),
                    Cudnn.CUDNN_DATA_FLOAT()), "cudnnSetConvolution2dDescriptor");
            // FMA: plain float32 kernels, so results match the other algorithms; TF32 only when asked for.
            checkCudnn(Cudnn.cudnnSetConvolutionMathType(conv, math), "cudnnSetConvolutionMathType");
        }
        CudnnPlan plan = new CudnnPlan(key.clone(), direction, s.o(), da, db, filter, conv, arena);
        plan.mathType = math;
        return plan;
    }

    private static MemorySegment tensorDescriptor(MemorySegment out, Tensor t) {
        checkCudnn(Cudnn.cudnnCreateTensorDescriptor(out), "cudnnCreateTensorDescriptor");
        MemorySegment d = out.get(ValueLayout.ADDRESS, 0);
        checkCudnn(Cudnn.cudnnSetTensor4dDescriptorEx(d, Cudnn.CUDNN_DATA_FLOAT(), t.dim(0), t.dim(1), t.dim(2),
                t.dim(3), stride(t, 0), stride(t, 1), stride(t, 2), stride(t, 3)), "cudnnSetTensor4dDescriptorEx");
        return d;
    }

    /** A [1, o, 1, 1] descriptor for a contiguous bias, made on first use. */
    MemorySegment bias() {
        if (biasDescriptor == null) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            checkCudnn(Cudnn.cudnnCreateTensorDescriptor(out), "cudnnCreateTensorDescriptor");
            MemorySegment d = out.get(ValueLayout.ADDRESS, 0);
            checkCudnn(Cudnn.cudnnSetTensor4dDescriptor(d, Cudnn.CUDNN_TENSOR_NCHW(), Cudnn.CUDNN_DATA_FLOAT(), 1,
                    outChannels, 1, 1), "cudnnSetTensor4dDescriptor");
            biasDescriptor = d;
        }
        return biasDescriptor;
    }

    /**
     * Runs cudnnFind...AlgorithmEx on the call's own buffers (it writes the output, which the call
     * then overwrites) and keeps the fastest algorithm that succeeded within {@code workspaceLimit}
     * bytes (and is deterministic when asked). Waits for the GPU: once per plan.
     */
    void choose(MemorySegment handle, MemorySegment pa, MemorySegment pw, MemorySegment pb, MemorySegment workspace,
                long workspaceLimit, boolean deterministic) {
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment returned = temp.allocate(ValueLayout.JAVA_INT);
            // Room for every result cudnnFind may give: under tensor-op maths that is algorithm and
            // math type pairs, more than the algorithm count.
            int count = switch (direction) {
                case FORWARD -> resultCount(Cudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(handle, returned),
                        "cudnnGetConvolutionForwardAlgorithmMaxCount", returned, Cudnn.CUDNN_CONVOLUTION_FWD_ALGO_COUNT());
                case BACKWARD_DATA -> resultCount(Cudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, returned),
                        "cudnnGetConvolutionBackwardDataAlgorithmMaxCount", returned,
                        Cudnn.CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT());
                default -> resultCount(Cudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, returned),
                        "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount", returned,
                        Cudnn.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT());
            };
            MemorySegment results;
            switch (direction) {
                case FORWARD -> {
                    results = cudnnConvolutionFwdAlgoPerfStruct.allocateArray(count, temp);
                    checkCudnn(Cudnn.cudnnFindConvolutionForwardAlgorithmEx(handle, a, pa, filter, pw, conv, b, pb,
                            count, returned, results, workspace, workspaceLimit), "cudnnFindConvolutionForwardAlgorithmEx");
                }
                case BACKWARD_DATA -> {
                    results = cudnnConvolutionBwdDataAlgoPerfStruct.allocateArray(count, temp);
                    checkCudnn(Cudnn.cudnnFindConvolutionBackwardDataAlgorithmEx(handle, filter, pw, a, pa, conv, b, pb,
                            count, returned, results, workspace, workspaceLimit),
                            "cudnnFindConvolutionBackwardDataAlgorithmEx");
                }
                default -> {
                    results = cudnnConvolutionBwdFilterAlgoPerfStruct.allocateArray(count, temp);
                    checkCudnn(Cudnn.cudnnFindConvolutionBackwardFilterAlgorithmEx(handle, a, pa, b, pb, conv, filter,
                            pw, count, returned, results, workspace, workspaceLimit),
                            "cudnnFindConvolutionBackwardFilterAlgorithmEx");
                }
            }
            StringBuilder seen = new StringBuilder();
            for (int i = 0; i < returned.get(ValueLayout.JAVA_INT, 0); i++) {
                Perf p = perf(results, i);
                seen.append(seen.isEmpty() ? "" : ", ").append("algo ").append(p.algorithm).append(" status ")
                        .append(p.status).append(" memory ").append(p.memory).append(" determinism ").append(p.determinism)
                        .append(" math ").append(p.mathType);
                if (p.status == Cudnn.CUDNN_STATUS_SUCCESS() && p.memory <= workspaceLimit
                        && (!deterministic || p.determinism == CudaDirectConvolution.CUDNN_DETERMINISTIC)) {
                    algorithm = p.algorithm;
                    workspaceBytes = p.memory;
                    useMathType(p.mathType);
                    return;
                }
            }
            throw new IllegalStateException("cuDNN has no usable " + name() + " algorithm for " + describe()
                    + (deterministic ? " (deterministic mode)" : "") + " within a workspace of " + workspaceLimit
                    + " bytes; it reported: " + (seen.isEmpty() ? "nothing" : seen));
        }
    }

    /** The larger of the count a MaxCount call wrote and the algorithm count. */
    private static int resultCount(int status, String function, MemorySegment count, int algorithms) {
        checkCudnn(status, function);
        return Math.max(count.get(ValueLayout.JAVA_INT, 0), algorithms);
    }

    /**
     * Under tensor-op maths cudnnFind reports algorithm and math type pairs (an algorithm may be
     * timed with tensor cores and without), and the descriptor's math type decides which of them a
     * call runs: the chosen pair's is set, as PyTorch does, so the call runs what was measured.
     * FMA plans keep FMA whatever is reported: strict float32 is the promise.
     */
    private void useMathType(int reported) {
        measuredMathType = reported;
        if (tensorFloat32() && reported != mathType) {
            checkCudnn(Cudnn.cudnnSetConvolutionMathType(conv, reported), "cudnnSetConvolutionMathType");
            mathType = reported;
        }
    }

    private record Perf(int algorithm, int status, long memory, int determinism, int mathType) {
    }

    private Perf perf(MemorySegment results, int i) {
        return switch (direction) {
            case FORWARD -> {
                MemorySegment r = cudnnConvolutionFwdAlgoPerfStruct.asSlice(results, i);
                yield new Perf(cudnnConvolutionFwdAlgoPerfStruct.algo(r), cudnnConvolutionFwdAlgoPerfStruct.status(r),
                        cudnnConvolutionFwdAlgoPerfStruct.memory(r), cudnnConvolutionFwdAlgoPerfStruct.determinism(r),
                        cudnnConvolutionFwdAlgoPerfStruct.mathType(r));
            }
            case BACKWARD_DATA -> {
                MemorySegment r = cudnnConvolutionBwdDataAlgoPerfStruct.asSlice(results, i);
                yield new Perf(cudnnConvolutionBwdDataAlgoPerfStruct.algo(r),
                        cudnnConvolutionBwdDataAlgoPerfStruct.status(r), cudnnConvolutionBwdDataAlgoPerfStruct.memory(r),
                        cudnnConvolutionBwdDataAlgoPerfStruct.determinism(r),
                        cudnnConvolutionBwdDataAlgoPerfStruct.mathType(r));
            }
            default -> {
                MemorySegment r = cudnnConvolutionBwdFilterAlgoPerfStruct.asSlice(results, i);
                yield new Perf(cudnnConvolutionBwdFilterAlgoPerfStruct.algo(r),
                        cudnnConvolutionBwdFilterAlgoPerfStruct.status(r),
                        cudnnConvolutionBwdFilterAlgoPerfStruct.memory(r),
                        cudnnConvolutionBwdFilterAlgoPerfStruct.determinism(r),
                        cudnnConvolutionBwdFilterAlgoPerfStruct.mathType(r));
            }
        };
    }

    private String name() {
        return switch (direction) {
            case FORWARD -> "forward";
            case BACKWARD_DATA -> "backward-data";
            case BACKWARD_FILTER -> "backward-filter";
            default -> "bias";
        };
    }

    /** "input [128, 1, 28, 28], weights [32, 1, 3, 3], stride 1x1, padding 0x0" (then ", NHWC weights", ", TF32"). */
    String describe() {
        return "input [" + key[1] + ", " + key[2] + ", " + key[3] + ", " + key[4] + "], weights [" + key[5] + ", "
                + key[2] + ", " + key[6] + ", " + key[7] + "], stride " + key[8] + "x" + key[9] + ", padding "
                + key[10] + "x" + key[11] + (key[21] == FilterLayout.NHWC.ordinal() ? ", NHWC weights" : "")
                + (key[20] == 1 ? ", TF32" : "");
    }

    @Override
    public void close() {
        checkCudnn(Cudnn.cudnnDestroyTensorDescriptor(a), "cudnnDestroyTensorDescriptor");
        if (b != a) {
            checkCudnn(Cudnn.cudnnDestroyTensorDescriptor(b), "cudnnDestroyTensorDescriptor");
        }
        if (biasDescriptor != null) {
            checkCudnn(Cudnn.cudnnDestroyTensorDescriptor(biasDescriptor), "cudnnDestroyTensorDescriptor");
        }
        if (direction != BIAS) {
            checkCudnn(Cudnn.cudnnDestroyFilterDescriptor(filter), "cudnnDestroyFilterDescriptor");
            checkCudnn(Cudnn.cudnnDestroyConvolutionDescriptor(conv), "cudnnDestroyConvolutionDescriptor");
        }
        arena.close();
    }
}
