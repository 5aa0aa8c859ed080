package dev.strix.jmh;

import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Mode;
import dev.strix.layers.Sequential;
import dev.strix.layers.loss.SoftmaxCrossEntropy;
import dev.strix.mnist.train.Architectures;
import dev.strix.optim.Adam;
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
 * Whole-model work: one full training step (forward, fused softmax cross-entropy, backward, Adam)
 * and one inference pass of the default and the reference model, the fused loss alone, and the
 * Adam step alone (all parameters of the model), in images/s (Adam: steps/s).
 *
 * <p>{@code -p fused=true,false} measures the fused passes (conv + ReLU + pool, dense + ReLU)
 * against the same layers run one by one ({@link Sequential#FUSION_PROPERTY}); every parameter set runs in a
 * JVM of its own, so the property is set before any model exists.
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
public class TrainingBenchmark {
    @Param({"default", "reference"})
    public String model;

    @Param({"128", "512"})
    public int batch;

    @Param("IM2COL_GEMM")
    public ConvAlgorithm algorithm;

    @Param("true")
    public boolean fused;

    private Sequential net;
    private SoftmaxCrossEntropy loss;
    private Adam adam;
    private Tensor images;
    private Tensor labels;
    private Tensor logits;

    @Setup(Level.Trial)
    public void build() {
        System.setProperty(Sequential.FUSION_PROPERTY, Boolean.toString(fused));
        Backend cpu = Backends.cpu();
        SplittableRandom random = new SplittableRandom(3);
        net = Architectures.byId(model).build(cpu, algorithm, 1);
        loss = new SoftmaxCrossEntropy(cpu);
        adam = new Adam(net.parameters(), 1e-3);
        images = Random.tensor(cpu, random, batch, 1, 28, 28);
        labels = Random.labels(cpu, random, batch, 10);
        logits = Random.tensor(cpu, random, batch, 10);
        step(new Counters());
    }

    @TearDown(Level.Trial)
    public void free() {
        adam.close();
        loss.close();
        net.close();
        images.close();
        labels.close();
        logits.close();
    }

    @Benchmark
    public void step(Counters counters) {
        Tensor out = net.forward(images, Mode.TRAINING);
        loss.forward(out, labels);
        net.backwardParameters(loss.backward());
        adam.step();
        counters.images += batch;
    }

    @Benchmark
    public Tensor inference(Counters counters) {
        Tensor out = net.forward(images, Mode.EVALUATION);
        counters.images += batch;
        return out;
    }

    @Benchmark
    public Tensor fusedLoss(Counters counters) {
        loss.forward(logits, labels);
        Tensor gradient = loss.backward();
        counters.images += batch;
        return gradient;
    }

    @Benchmark
    public void adamStep() {
        adam.step();
    }
}
