package dev.strix.mnist.train;

import dev.strix.layers.BatchNorm1D;
import dev.strix.layers.BatchNorm2D;
import dev.strix.layers.Conv2D;
import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Dense;
import dev.strix.layers.Flatten;
import dev.strix.layers.Init;
import dev.strix.layers.Layer;
import dev.strix.layers.MaxPool2D;
import dev.strix.layers.PoolingAlgorithm;
import dev.strix.layers.ReLU;
import dev.strix.layers.Sequential;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The models the trainer knows by name. A checkpoint records the name, so {@code eval} and
 * {@code predict} rebuild the same layers before loading the weights. The layer order (and so the
 * parameter names "0.weight", "1.running_mean", ...) matches the PyTorch {@code nn.Sequential} of
 * the same architecture in tools/reference.
 */
public enum Architectures {
    /**
     * The default: two conv-BN-ReLU pairs, max-pool, two more, max-pool, then a BN-ReLU dense head.
     * <pre>
     * [1,28,28] conv3x3 32 BN ReLU -> [32,26,26] conv3x3 32 BN ReLU -> [32,24,24] maxpool 2 -> [32,12,12]
     *           conv3x3 64 BN ReLU -> [64,10,10] conv3x3 64 BN ReLU -> [64,8,8]   maxpool 2 -> [64,4,4]
     *           flatten 1024 -> dense 128 BN ReLU -> dense 10 (logits)
     * </pre>
     * Convolutions and the hidden dense layer have no bias: the batch norm after them has one.
     */
    DEFAULT("default"),
    /**
     * The reference network for speed comparisons (no batch norm):
     * conv3x3 32 ReLU, maxpool 2, conv3x3 64 ReLU, maxpool 2, flatten 1600, dense 128 ReLU, dense 10.
     */
    REFERENCE("reference");

    private final String id;

    Architectures(String id) {
        this.id = id;
    }

    /** The name stored in checkpoints and given on the command line. */
    public String id() {
        return id;
    }

    public static Architectures byId(String id) {
        for (Architectures a : values()) {
            if (a.id.equals(id.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown model '" + id + "'; known: default, reference");
    }

    /** One MNIST image without the batch axis. */
    public static final Shape INPUT = Shape.of(1, 28, 28);

    /** The model on {@code backend}, weights drawn from {@code seed} (He init for the ReLU layers). */
    public Sequential build(Backend backend, ConvAlgorithm algorithm, long seed) {
        return build(backend, algorithm, PoolingAlgorithm.ARGMAX, seed);
    }

    /** As {@link #build(Backend, ConvAlgorithm, long)}, with the max-pooling layers using {@code pooling}. */
    public Sequential build(Backend backend, ConvAlgorithm algorithm, PoolingAlgorithm pooling, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Layer> layers = new ArrayList<>();
        switch (this) {
            case DEFAULT -> {
                convBlock(layers, backend, algorithm, random, 1, 32);
                convBlock(layers, backend, algorithm, random, 32, 32);
                layers.add(new MaxPool2D(backend, 2, pooling));
                convBlock(layers, backend, algorithm, random, 32, 64);
                convBlock(layers, backend, algorithm, random, 64, 64);
                layers.add(new MaxPool2D(backend, 2, pooling));
                layers.add(new Flatten(backend));
                layers.add(new Dense(backend, 64 * 4 * 4, 128, false, Init.KAIMING_UNIFORM, random));
                layers.add(new BatchNorm1D(backend, 128));
                layers.add(new ReLU(backend));
                layers.add(new Dense(backend, 128, 10, true, Init.PYTORCH_DEFAULT, random));
            }
            case REFERENCE -> {
                layers.add(conv(backend, algorithm, random, 1, 32, true));
                layers.add(new ReLU(backend));
                layers.add(new MaxPool2D(backend, 2, pooling));
                layers.add(conv(backend, algorithm, random, 32, 64, true));
                layers.add(new ReLU(backend));
                layers.add(new MaxPool2D(backend, 2, pooling));
                layers.add(new Flatten(backend));
                layers.add(new Dense(backend, 64 * 5 * 5, 128, true, Init.KAIMING_UNIFORM, random));
                layers.add(new ReLU(backend));
                layers.add(new Dense(backend, 128, 10, true, Init.PYTORCH_DEFAULT, random));
            }
        }
        return new Sequential(INPUT, layers);
    }

    private static void convBlock(List<Layer> layers, Backend backend, ConvAlgorithm algorithm, SplittableRandom random,
                                  int in, int out) {
        layers.add(conv(backend, algorithm, random, in, out, false));
        layers.add(new BatchNorm2D(backend, out));
        layers.add(new ReLU(backend));
    }

    private static Conv2D conv(Backend backend, ConvAlgorithm algorithm, SplittableRandom random, int in, int out,
                               boolean bias) {
        return Conv2D.builder(in, out).kernel(3, 3).bias(bias).algorithm(algorithm).init(Init.KAIMING_UNIFORM)
                .build(backend, random);
    }
}
