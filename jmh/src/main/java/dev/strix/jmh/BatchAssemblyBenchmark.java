package dev.strix.jmh;

import dev.strix.data.Batch;
import dev.strix.data.BatchLoader;
import dev.strix.data.BatchOptions;
import dev.strix.data.ImageDataset;
import dev.strix.data.Normalization;
import dev.strix.data.augment.Augmentation;
import dev.strix.tensor.Backends;
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
 * Batch assembly: gathering a shuffled batch of 28x28 uint8 images, normalising it (and, with
 * augmentation, resampling each image under a random rotation, shift and zoom) into the batch
 * tensor, in images/s. The dataset is 60,000 synthetic MNIST-shaped images.
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BatchAssemblyBenchmark {
    @Param({"true", "false"})
    public boolean augment;

    @Param({"128", "512"})
    public int batch;

    private BatchLoader loader;
    private int next;

    @Setup(Level.Trial)
    public void build() {
        SplittableRandom random = new SplittableRandom(4);
        int count = 60_000;
        byte[] pixels = new byte[count * 28 * 28];
        byte[] labels = new byte[count];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) random.nextInt(256);
        }
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) random.nextInt(10);
        }
        ImageDataset data = new ImageDataset("synthetic", pixels, labels, 28, 28, 10);
        BatchOptions options = BatchOptions.training(batch).withNormalization(Normalization.MNIST)
                .withAugmentation(augment ? Augmentation.digits() : Augmentation.NONE);
        loader = new BatchLoader(data, Backends.cpu(), options);
        loader.startEpoch(1);
    }

    @TearDown(Level.Trial)
    public void free() {
        loader.close();
    }

    @Benchmark
    public Batch assemble(Counters counters) {
        Batch b = loader.batch(next);
        next = (next + 1) % loader.batchCount();
        counters.images += batch;
        return b;
    }
}
