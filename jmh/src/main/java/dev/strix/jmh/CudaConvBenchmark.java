package dev.strix.jmh;

import dev.strix.layers.Conv2D;
import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Mode;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.spi.BackendProvider;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The three convolution algorithms on the CUDA backend (strided view, im2col + cuBLAS, cuDNN) at the
 * reference network's two convolution shapes, batch 128 and 1024: forward, input gradient
 * ({@link Conv2D#backwardInput}) and weight gradient ({@link Conv2D#backwardParameters}), in
 * microseconds per pass. Each measured op ends with {@link Backend#synchronize()}, so the time is
 * the GPU's work, not the time to queue it. Strict float32 unless {@code -p tf32=true}.
 *
 * <p>{@code IM2COL_GEMM} on its own is the layer's NCHW form: one GEMM per sample each way.
 * {@code -p batchMatrix=true} (with {@code -p algorithm=IM2COL_GEMM}) measures the form that training
 * runs where a batch norm or a fused ReLU + pool takes the output: Z and dL/dZ channel-major
 * ({@link Conv2D.Builder#channelMajorOutput}), each pass one GEMM over the whole batch's columns.
 *
 * <p>Without a working CUDA backend the setup fails at once with the loader's reason (no numbers).
 * {@link CudaConvReport} runs this with short settings and writes a table with ratios to cuDNN.
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CudaConvBenchmark {
    @Param
    public ReferenceConvShape layer;

    @Param({"STRIDED_VIEW", "IM2COL_GEMM", "CUDNN"})
    public ConvAlgorithm algorithm;

    @Param({"128", "1024"})
    public int batch;

    @Param({"false"})
    public boolean tf32;

    /** IM2COL_GEMM only: channel-major Z and dL/dZ, one GEMM over the batch (see above). */
    @Param({"false"})
    public boolean batchMatrix;

    Backend cuda;
    Conv2D conv;
    Tensor x;
    /** dL/dZ: a view of {@link #dzStorage}, channel-major with {@link #batchMatrix}. */
    Tensor dz;
    private Tensor dzStorage;

    /** The CUDA backend, or an {@link IllegalStateException} carrying the reason it is unavailable. */
    static Backend cudaOrFail() {
        for (BackendProvider p : Backends.providers()) {
            if (p.name().equals("cuda")) {
                BackendProvider.Availability a = p.availability();
                if (!a.available()) {
                    throw new IllegalStateException("CUDA backend unavailable: " + a.reason());
                }
                return Backends.named("cuda");
            }
        }
        throw new IllegalStateException("CUDA backend unavailable: no cuda provider on the class path");
    }

    @Setup(Level.Trial)
    public void build() {
        if (batchMatrix && algorithm != ConvAlgorithm.IM2COL_GEMM) {
            throw new IllegalArgumentException("batchMatrix=true is a form of IM2COL_GEMM, not of " + algorithm);
        }
        cuda = cudaOrFail();
        cuda.setTensorFloat32(tf32);
        SplittableRandom random = new SplittableRandom(1);
        conv = Conv2D.builder(layer.in, layer.out).kernel(3, 3).bias(true).algorithm(algorithm)
                .channelMajorOutput(batchMatrix).build(cuda, random);
        x = Random.tensor(cuda, random, batch, layer.in, layer.size, layer.size);
        if (batchMatrix) {
            dzStorage = Random.tensor(cuda, random, layer.out, batch, layer.outSize(), layer.outSize());
            dz = dzStorage.permute(1, 0, 2, 3);
        } else {
            dzStorage = Random.tensor(cuda, random, batch, layer.out, layer.outSize(), layer.outSize());
            dz = dzStorage;
        }
        // Sizes every buffer and lets cuDNN measure its algorithms before anything is timed.
        Tensor z = conv.forward(x, Mode.TRAINING);
        if (batchMatrix && !z.permute(1, 0, 2, 3).isContiguous()) {
            throw new IllegalStateException("batchMatrix=true: the layer kept NCHW output at batch " + batch
                    + " (its columns exceed the budget, or -Dstrix.conv.batchMatrix=false)");
        }
        conv.backwardInput(dz);
        conv.forward(x, Mode.TRAINING);
        conv.backwardParameters(dz);
        cuda.synchronize();
    }

    @TearDown(Level.Trial)
    public void free() {
        conv.close();
        x.close();
        dzStorage.close();
        cuda.setTensorFloat32(false);
    }

    /** Runs the (untimed) forward pass that a weight-gradient measurement follows, as in training. */
    @State(Scope.Thread)
    public static class AfterForward {
        @Setup(Level.Invocation)
        public void forward(CudaConvBenchmark b) {
            b.conv.forward(b.x, Mode.TRAINING);
            b.cuda.synchronize();
        }
    }

    @Benchmark
    public Tensor forward() {
        Tensor z = conv.forward(x, Mode.TRAINING);
        cuda.synchronize();
        return z;
    }

    @Benchmark
    public Tensor backwardData() {
        Tensor dx = conv.backwardInput(dz);
        cuda.synchronize();
        return dx;
    }

    @Benchmark
    public void backwardFilter(AfterForward forwardDone) {
        conv.backwardParameters(dz);
        cuda.synchronize();
    }
}
