package dev.strix.jmh;

import dev.strix.tensor.Backend;
import dev.strix.tensor.DirectConvolution;
import dev.strix.tensor.Tensor;
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
 * cuDNN's convolutions with every operand in one memory order: NCHW (contiguous, as the Conv2D
 * layer keeps them) or NHWC (activations as views of {@code [N, H, W, C]} tensors, the weights and
 * their gradient as views of {@code [O, KH, KW, C]}; see {@link DirectConvolution}). The same calls
 * as {@link CudaConvBenchmark}'s CUDNN rows (the layer's cuDNN path is exactly these ops): forward
 * with the bias, input gradient, and weight plus bias gradients after an untimed forward pass, at
 * the reference network's shapes, in microseconds per pass with the device synchronised after each.
 * Strict float32 unless {@code -p tf32=true}.
 *
 * <p>{@link CudaConvReport} runs it, NHWC only by default, as the CUDNN_NHWC column beside
 * CudaConvBenchmark's CUDNN (NCHW) one; {@code -p layout=NCHW,NHWC} adds this class's own NCHW rows
 * (column CUDNN_NCHW) for a same-code comparison.
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CudnnLayoutBenchmark {
    /** The memory order of every operand. */
    public enum Layout {
        NCHW, NHWC
    }

    @Param
    public ReferenceConvShape layer;

    @Param({"NHWC"})
    public Layout layout;

    @Param({"128", "1024"})
    public int batch;

    @Param({"false"})
    public boolean tf32;

    Backend cuda;
    DirectConvolution conv;
    private Tensor[] owned;
    Tensor x;
    Tensor weight;
    Tensor bias;
    Tensor y;
    Tensor dy;
    Tensor dx;
    Tensor dWeight;
    Tensor dBias;

    @Setup(Level.Trial)
    public void build() {
        cuda = CudaConvBenchmark.cudaOrFail();
        cuda.setTensorFloat32(tf32);
        conv = cuda.directConvolution();
        SplittableRandom random = new SplittableRandom(1);
        int in = layer.in;
        int out = layer.out;
        int size = layer.size;
        int outSize = layer.outSize();
        Tensor xStore = operand(random, batch, in, size, size);
        Tensor wStore = operand(random, out, in, 3, 3);
        bias = Random.tensor(cuda, random, out);
        Tensor yStore = operand(random, batch, out, outSize, outSize);
        Tensor dyStore = operand(random, batch, out, outSize, outSize);
        Tensor dxStore = operand(random, batch, in, size, size);
        Tensor dwStore = operand(random, out, in, 3, 3);
        dBias = Random.tensor(cuda, random, out);
        owned = new Tensor[] {xStore, wStore, bias, yStore, dyStore, dxStore, dwStore, dBias};
        x = view(xStore);
        weight = view(wStore);
        y = view(yStore);
        dy = view(dyStore);
        dx = view(dxStore);
        dWeight = view(dwStore);
        // Sizes cuDNN's plans and lets it measure its algorithms before anything is timed.
        forward();
        backwardData();
        backwardFilter(null);
    }

    /** Random values for {@code [d0, d1, d2, d3]}, stored in this layout's order. */
    private Tensor operand(SplittableRandom random, int d0, int d1, int d2, int d3) {
        return layout == Layout.NCHW ? Random.tensor(cuda, random, d0, d1, d2, d3)
                : Random.tensor(cuda, random, d0, d2, d3, d1);
    }

    /** The {@code [d0, d1, d2, d3]} view the ops take. */
    private Tensor view(Tensor stored) {
        return layout == Layout.NCHW ? stored : stored.permute(0, 3, 1, 2);
    }

    @TearDown(Level.Trial)
    public void free() {
        for (Tensor t : owned) {
            t.close();
        }
        cuda.setTensorFloat32(false);
    }

    /** Runs the (untimed) forward pass that a weight-gradient measurement follows, as in training. */
    @State(Scope.Thread)
    public static class AfterForward {
        @Setup(Level.Invocation)
        public void forward(CudnnLayoutBenchmark b) {
            b.forward();
        }
    }

    @Benchmark
    public Tensor forward() {
        conv.forward(x, weight, bias, 1, 1, 0, 0, y);
        cuda.synchronize();
        return y;
    }

    @Benchmark
    public Tensor backwardData() {
        conv.backwardData(dy, weight, 1, 1, 0, 0, dx);
        cuda.synchronize();
        return dx;
    }

    @Benchmark
    public Tensor backwardFilter(AfterForward forwardDone) {
        conv.backwardBias(dy, dBias);
        conv.backwardFilter(x, dy, 1, 1, 0, 0, dWeight);
        cuda.synchronize();
        return dWeight;
    }
}
