package dev.strix.tensor.cpu;

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
import dev.strix.tensor.ImplicitGemmConvolution;
import dev.strix.tensor.OptimizerSteps;
import dev.strix.tensor.Losses;
import dev.strix.tensor.Normalization;
import dev.strix.tensor.Pooling;
import dev.strix.tensor.Reductions;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;

/**
 * The pure-Java backend: off-heap host memory, one worker per core, Vector API kernels. It is the
 * reference every other backend is checked against, and the default where there is no GPU.
 */
public final class CpuBackend implements Backend {
    private final Blas blas = new CpuBlas();
    private final Elementwise elementwise = new CpuElementwise();
    private final Reductions reductions = new CpuReductions();
    private final OptimizerSteps optimizerSteps = new CpuOptimizerSteps();
    private final Convolution convolution = new CpuConvolution(this);
    private final Pooling pooling = new CpuPooling();
    private final CpuNormalization normalization = new CpuNormalization();
    private final Optional<BatchNormRelu> batchNormRelu = Optional.of(normalization);
    private final Optional<DirectPooling> directPooling = Optional.of(new CpuDirectPooling());
    private final Activation activation = new CpuActivation();
    private final Losses losses = new CpuLosses();
    private final DataOps dataOps = new CpuDataOps(this);
    private final DirectConvolution directConvolution = new CpuDirectConvolution(this);
    private final Optional<ImplicitGemmConvolution> implicitGemmConvolution =
            Optional.of(new CpuImplicitGemmConvolution());
    private final Optional<BiasReluEpilogue> biasReluEpilogue = Optional.of(new CpuBiasReluEpilogue());

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Tensor allocate(DType dtype, Shape shape) {
        return Tensor.owning(new CpuStorage(this, shape.size() * dtype.byteSize()), dtype, shape);
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
    public Optional<ImplicitGemmConvolution> implicitGemmConvolution() {
        return implicitGemmConvolution;
    }

    @Override
    public Optional<DirectPooling> directPooling() {
        return directPooling;
    }

    @Override
    public Optional<BatchNormRelu> batchNormRelu() {
        return batchNormRelu;
    }

    @Override
    public Optional<BiasReluEpilogue> biasReluEpilogue() {
        return biasReluEpilogue;
    }

    @Override
    public Pooling pooling() {
        return pooling;
    }

    @Override
    public Normalization normalization() {
        return normalization;
    }

    @Override
    public Activation activation() {
        return activation;
    }

    @Override
    public Losses losses() {
        return losses;
    }

    @Override
    public DirectConvolution directConvolution() {
        return directConvolution;
    }

    @Override
    public DataOps dataOps() {
        return dataOps;
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        requireHere(src, "copy source");
        requireHere(dst, "copy destination");
        if (!src.shape().equals(dst.shape())) {
            throw new IllegalArgumentException("copy: source shape " + src.shape() + " != destination " + dst.shape());
        }
        MemorySegment s = src.storage().segment();
        MemorySegment d = dst.storage().segment();
        DType from = src.dtype();
        DType to = dst.dtype();
        int width = from.byteSize();
        StridedLoop.of(src, dst).runParallel((starts, n, st) -> {
            if (from == to && st[0] == 1 && st[1] == 1) {
                MemorySegment.copy(s, starts[0] * width, d, starts[1] * width, (long) n * width);
                return;
            }
            long a = starts[0];
            long b = starts[1];
            for (int i = 0; i < n; i++, a += st[0], b += st[1]) {
                if (from == to) {
                    switch (from) {
                        case F32 -> d.setAtIndex(ValueLayout.JAVA_FLOAT, b, s.getAtIndex(ValueLayout.JAVA_FLOAT, a));
                        case I32 -> d.setAtIndex(ValueLayout.JAVA_INT, b, s.getAtIndex(ValueLayout.JAVA_INT, a));
                        case U8 -> d.set(ValueLayout.JAVA_BYTE, b, s.get(ValueLayout.JAVA_BYTE, a));
                    }
                } else {
                    store(d, to, b, load(s, from, a));
                }
            }
        });
    }

    @Override
    public void fill(Tensor dst, float value) {
        requireHere(dst, "fill");
        MemorySegment d = dst.storage().segment();
        DType t = dst.dtype();
        StridedLoop.of(dst).runParallel((starts, n, st) -> {
            if (st[0] == 1 && t == DType.U8) {
                d.asSlice(starts[0], n).fill((byte) clampToByte(value));
                return;
            }
            long b = starts[0];
            for (int i = 0; i < n; i++, b += st[0]) {
                store(d, t, b, value);
            }
        });
    }

    @Override
    public void copyFromHost(MemorySegment src, Tensor dst) {
        requireHere(dst, "copyFromHost");
        requireContiguous(dst, "copyFromHost");
        long bytes = dst.size() * dst.dtype().byteSize();
        MemorySegment.copy(src, 0, dst.storage().segment(), dst.offset() * dst.dtype().byteSize(), bytes);
    }

    @Override
    public void copyToHost(Tensor src, MemorySegment dst) {
        requireHere(src, "copyToHost");
        requireContiguous(src, "copyToHost");
        long bytes = src.size() * src.dtype().byteSize();
        MemorySegment.copy(src.storage().segment(), src.offset() * src.dtype().byteSize(), dst, 0, bytes);
    }

    @Override
    public void synchronize() {
        // Every CPU op has finished when it returns.
    }

    @Override
    public void close() {
        // Shared for the JVM's lifetime: workers are daemon threads.
    }

    static double load(MemorySegment s, DType t, long index) {
        return switch (t) {
            case F32 -> s.getAtIndex(ValueLayout.JAVA_FLOAT, index);
            case I32 -> s.getAtIndex(ValueLayout.JAVA_INT, index);
            case U8 -> Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, index));
        };
    }

    static void store(MemorySegment s, DType t, long index, double v) {
        switch (t) {
            case F32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT, index, (float) v);
            case I32 -> s.setAtIndex(ValueLayout.JAVA_INT, index, (int) v);
            case U8 -> s.set(ValueLayout.JAVA_BYTE, index, (byte) clampToByte(v));
        }
    }

    private static int clampToByte(double v) {
        return (int) Math.max(0, Math.min(255, v));
    }

    void requireHere(Tensor t, String what) {
        if (t.backend() != this) {
            throw new IllegalArgumentException(what + ": tensor lives on backend '" + t.backend().name()
                    + "', not cpu; move it with Tensor.to(backend)");
        }
    }

    static void requireContiguous(Tensor t, String what) {
        if (!t.isContiguous()) {
            throw new IllegalArgumentException(what + " needs a contiguous tensor, got " + t);
        }
    }
}
