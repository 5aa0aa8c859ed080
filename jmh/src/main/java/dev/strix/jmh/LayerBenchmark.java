package dev.strix.jmh;

import dev.strix.layers.BatchNorm1D;
import dev.strix.layers.BatchNorm2D;
import dev.strix.layers.Layer;
import dev.strix.layers.MaxPool2D;
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
 * The default model's max-pooling and batch-norm layers at their real shapes: forward (training
 * mode) and backward, in images/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LayerBenchmark {
    /** A layer of the default model and the per-sample shape it sees. */
    public enum Case {
        /** Max-pool 2 on [32, 24, 24]. */
        MAXPOOL1(new int[] {32, 24, 24}),
        /** Max-pool 2 on [64, 8, 8]. */
        MAXPOOL2(new int[] {64, 8, 8}),
        /** Batch norm after conv 1: [32, 26, 26]. */
        BATCHNORM_CONV1(new int[] {32, 26, 26}),
        /** Batch norm after conv 2: [32, 24, 24]. */
        BATCHNORM_CONV2(new int[] {32, 24, 24}),
        /** Batch norm after conv 3: [64, 10, 10]. */
        BATCHNORM_CONV3(new int[] {64, 10, 10}),
        /** Batch norm after conv 4: [64, 8, 8]. */
        BATCHNORM_CONV4(new int[] {64, 8, 8}),
        /** Batch norm after the hidden dense layer: [128]. */
        BATCHNORM_DENSE(new int[] {128});

        final int[] sample;

        Case(int[] sample) {
            this.sample = sample;
        }

        Layer build(Backend backend) {
            return switch (this) {
                case MAXPOOL1, MAXPOOL2 -> new MaxPool2D(backend, 2);
                case BATCHNORM_DENSE -> new BatchNorm1D(backend, sample[0]);
                default -> new BatchNorm2D(backend, sample[0]);
            };
        }
    }

    @Param
    public Case layer;

    @Param({"128", "512"})
    public int batch;

    private Layer module;
    private Tensor x;
    private Tensor dy;

    @Setup(Level.Trial)
    public void build() {
        Backend cpu = Backends.cpu();
        SplittableRandom random = new SplittableRandom(2);
        int[] dims = new int[layer.sample.length + 1];
        dims[0] = batch;
        System.arraycopy(layer.sample, 0, dims, 1, layer.sample.length);
        module = layer.build(cpu);
        x = Random.tensor(cpu, random, dims);
        Tensor y = module.forward(x, Mode.TRAINING);
        dy = Random.tensor(cpu, random, y.shape().dims());
    }

    @TearDown(Level.Trial)
    public void free() {
        module.close();
        x.close();
        dy.close();
    }

    @Benchmark
    public Tensor forward(Counters counters) {
        Tensor y = module.forward(x, Mode.TRAINING);
        counters.images += batch;
        return y;
    }

    @Benchmark
    public Tensor backward(Counters counters) {
        Tensor dx = module.backward(dy);
        counters.images += batch;
        return dx;
    }
}
