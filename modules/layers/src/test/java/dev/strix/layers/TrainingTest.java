package dev.strix.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.layers.loss.SoftmaxCrossEntropy;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A small CNN learns to tell horizontal bars, vertical bars and diagonals apart in noisy 8x8
 * images, with plain SGD written here ({@code w -= lr * dw} through the backend's axpby). Everything
 * is seeded, so the result is the same on every run.
 */
class TrainingTest {
    private static final Backend CPU = Backends.cpu();
    private static final int CLASSES = 3;
    private static final int SIZE = 8;
    private static final int BATCH = 16;

    /** Fills {@code images} [n, 1, 8, 8] and {@code labels} [n] with random examples. */
    private static void batch(SplittableRandom random, float[] images, int[] labels) {
        java.util.Arrays.fill(images, 0f);
        for (int n = 0; n < labels.length; n++) {
            int label = random.nextInt(CLASSES);
            labels[n] = label;
            int at = random.nextInt(SIZE);
            int base = n * SIZE * SIZE;
            for (int i = 0; i < SIZE; i++) {
                int r = label == 0 ? at : i;
                int c = label == 1 ? at : label == 0 ? i : (i + at) % SIZE;
                images[base + r * SIZE + c] = 1f;
            }
            for (int p = 0; p < SIZE * SIZE; p++) {
                images[base + p] += (float) (random.nextGaussian() * 0.2);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = ConvAlgorithm.class, names = {"STRIDED_VIEW", "IM2COL_GEMM"})
    void lossFallsByALargeFactorAndTheModelGeneralises(ConvAlgorithm algorithm) {
        SplittableRandom random = new SplittableRandom(2024);
        float learningRate = 0.1f;
        float[] images = new float[BATCH * SIZE * SIZE];
        int[] labels = new int[BATCH];
        try (Sequential model = new Sequential(Shape.of(1, SIZE, SIZE),
                     Conv2D.builder(1, 6).kernel(3, 3).padding(Padding.SAME).algorithm(algorithm).build(CPU, random),
                     new BatchNorm2D(CPU, 6),
                     new ReLU(CPU),
                     new MaxPool2D(CPU, 2),
                     new Flatten(CPU),
                     new Dense(CPU, 6 * 4 * 4, CLASSES, random));
             SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(CPU);
             Tensor x = CPU.allocate(DType.F32, Shape.of(BATCH, 1, SIZE, SIZE));
             Tensor y = CPU.allocate(DType.I32, Shape.of(BATCH))) {
            int steps = 300;
            double initial = 0;
            double last = 0;
            for (int step = 0; step < steps; step++) {
                batch(random, images, labels);
                x.copyFrom(images);
                y.copyFrom(labels);
                double value = loss.forward(model.forward(x, Mode.TRAINING), y).get();
                model.backward(loss.backward());
                for (Parameter p : model.parameters()) {
                    CPU.elementwise().axpby(-learningRate, p.gradient(), 1f, p.value());
                }
                if (step == 0) {
                    initial = value;
                } else if (step >= steps - 20) {
                    last += value / 20;
                }
            }
            assertTrue(initial > 0.9, "the untrained model should be near chance (ln 3 = 1.1), loss " + initial);
            assertTrue(last * 20 < initial, "loss fell only from " + initial + " to a mean of " + last
                    + " over the last 20 steps");

            int correct = 0;
            int total = 0;
            for (int b = 0; b < 8; b++) {
                batch(random, images, labels);
                x.copyFrom(images);
                float[] logits = model.forward(x, Mode.EVALUATION).toFloatArray();
                for (int n = 0; n < BATCH; n++) {
                    int best = 0;
                    for (int k = 1; k < CLASSES; k++) {
                        if (logits[n * CLASSES + k] > logits[n * CLASSES + best]) {
                            best = k;
                        }
                    }
                    correct += best == labels[n] ? 1 : 0;
                    total++;
                }
            }
            assertTrue(correct >= 0.97 * total, "accuracy on fresh images " + correct + "/" + total);
        }
    }
}
