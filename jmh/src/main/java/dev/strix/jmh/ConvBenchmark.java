package dev.strix.jmh;

import dev.strix.layers.Conv2D;
import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Mode;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
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
 * One {@link Conv2D} of the default model, per algorithm: the forward pass, the input gradient
 * ({@link Conv2D#backwardInput}) and the weight gradient ({@link Conv2D#backwardParameters}),
 * each in images/s and GFLOP/s (every pass does the same {@code 2 N O OH OW C 9} flops).
 *
 * <p>The weight gradient runs right after a forward pass of the same batch, as in training (the
 * im2col path reuses the forward columns then); that forward pass is not timed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConvBenchmark {
    @Param
    public ConvLayerShape layer;

    @Param({"IM2COL_GEMM", "STRIDED_VIEW"})
    public ConvAlgorithm algorithm;

    @Param({"128", "512"})
    public int batch;

    Conv2D conv;
    Tensor x;
    Tensor dz;

    @Setup(Level.Trial)
    public void build() {
        Backend cpu = Backends.cpu();
        SplittableRandom random = new SplittableRandom(1);
        conv = Conv2D.builder(layer.in, layer.out).kernel(3, 3).bias(false).algorithm(algorithm).build(cpu, random);
        x = Random.tensor(cpu, random, batch, layer.in, layer.size, layer.size);
        dz = Random.tensor(cpu, random, batch, layer.out, layer.outSize(), layer.outSize());
        conv.forward(x, Mode.TRAINING);
    }

    @TearDown(Level.Trial)
    public void free() {
        conv.close();
        x.close();
        dz.close();
    }

    /** Runs the (untimed) forward pass that a weight-gradient measurement follows. */
    @State(Scope.Thread)
    public static class AfterForward {
        @Setup(Level.Invocation)
        public void forward(ConvBenchmark b) {
            b.conv.forward(b.x, Mode.TRAINING);
        }
    }

    @Benchmark
    public Tensor forward(Counters counters) {
        Tensor z = conv.forward(x, Mode.TRAINING);
        count(counters);
        return z;
    }

    @Benchmark
    public Tensor backwardData(Counters counters) {
        Tensor dx = conv.backwardInput(dz);
        count(counters);
        return dx;
    }

    @Benchmark
    public void backwardFilter(AfterForward forwardDone, Counters counters) {
        conv.backwardParameters(dz);
        count(counters);
    }

    private void count(Counters counters) {
        counters.images += batch;
        counters.gflop += layer.flops(batch) / 1e9;
    }
}
