package dev.strix.jmh;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SGEMM throughput, {@code C = op(A) * op(B)} with {@code beta = 0}, for each {@link GemmShape}.
 *
 * <p>The primary score is GEMMs per second. The secondary score {@code gflop} counts
 * {@code 2 m n k / 1e9} per GEMM, so JMH reports it in "ops/s" that are GFLOP/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GemmBenchmark {
    @Param
    public GemmShape shape;

    /** Backend name, as {@link Backends#named} knows it. */
    @Param("cpu")
    public String backend;

    private Backend device;
    private Tensor a;
    private Tensor b;
    private Tensor c;

    @Setup(Level.Trial)
    public void allocate() {
        device = Backends.named(backend);
        SplittableRandom random = new SplittableRandom(42);
        a = randomTensor(random, shape.aDims());
        b = randomTensor(random, shape.bDims());
        c = device.allocate(DType.F32, Shape.of(shape.m, shape.n));
    }

    private Tensor randomTensor(SplittableRandom random, int[] dims) {
        float[] data = new float[dims[0] * dims[1]];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return Tensor.of(device, data, dims);
    }

    @TearDown(Level.Trial)
    public void free() {
        a.close();
        b.close();
        c.close();
    }

    @Benchmark
    public void gemm(Counters counters) {
        device.blas().gemm(shape.transposeA, shape.transposeB, 1f, a, b, 0f, c);
        device.synchronize();
        counters.gflop += shape.flops() / 1e9;
    }
}
