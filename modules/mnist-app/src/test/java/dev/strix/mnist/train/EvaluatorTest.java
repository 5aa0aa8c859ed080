package dev.strix.mnist.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.data.ImageDataset;
import dev.strix.data.Normalization;
import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Mode;
import dev.strix.layers.Sequential;
import dev.strix.mnist.report.Misclassified;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The evaluator against the model run once over the whole dataset and softmax, argmax, loss,
 * confusion counts and most confident mistakes worked out here in double precision; and on CUDA,
 * the same numbers with the host waiting for the device as often for six batches as for two (the
 * results come back once, at the end). The model is the default one, untrained (batch norm with
 * its initial running statistics), so it makes plenty of mistakes to rank.
 */
class EvaluatorTest {
    private static final Backend CPU = Backends.cpu();
    private static final int WORST = 7;

    /** {@code count} random 28x28 images with random labels (one partial batch when count % 200 != 0). */
    private static ImageDataset dataset(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] pixels = new byte[count * 784];
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) random.nextInt(10);
            for (int p = 0; p < 784; p++) {
                pixels[i * 784 + p] = (byte) (random.nextInt(4) == 0 ? random.nextInt(256) : 0);
            }
        }
        return new ImageDataset("random", pixels, labels, 28, 28, 10);
    }

    /** What the evaluator must report, from one forward pass over every image. */
    private record Expected(double[][] logits, int[] predicted, double meanLoss, List<Misclassified> worst) {
    }

    private static Expected expected(Sequential model, ImageDataset data, Normalization normalization) {
        int count = data.count();
        float[] table = normalization.table();
        float[] input = new float[count * 784];
        for (int i = 0; i < count; i++) {
            byte[] image = data.image(i);
            for (int p = 0; p < 784; p++) {
                input[i * 784 + p] = table[image[p] & 0xFF];
            }
        }
        float[] out;
        try (Tensor x = Tensor.of(model.backend(), input, count, 1, 28, 28)) {
            out = model.forward(x, Mode.EVALUATION).contiguous().toFloatArray();
        }
        double[][] logits = new double[count][10];
        int[] predicted = new int[count];
        double[] confidence = new double[count];
        double lossSum = 0;
        for (int i = 0; i < count; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < 10; c++) {
                logits[i][c] = out[i * 10 + c];
                max = Math.max(max, logits[i][c]);
            }
            double sum = 0;
            for (int c = 0; c < 10; c++) {
                sum += Math.exp(logits[i][c] - max);
            }
            for (int c = 0; c < 10; c++) {
                double p = Math.exp(logits[i][c] - max) / sum;
                if (p > confidence[i]) {
                    confidence[i] = p;
                    predicted[i] = c;
                }
            }
            lossSum += -(logits[i][data.label(i)] - max - Math.log(sum));
        }
        List<Integer> mistakes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (predicted[i] != data.label(i)) {
                mistakes.add(i);
            }
        }
        mistakes.sort(Comparator.comparingDouble((Integer i) -> confidence[i]).reversed());
        List<Misclassified> worst = new ArrayList<>();
        for (int i : mistakes.subList(0, Math.min(WORST, mistakes.size()))) {
            worst.add(new Misclassified(data.image(i), data.label(i), predicted[i], confidence[i]));
        }
        return new Expected(logits, predicted, lossSum / count, worst);
    }

    private static void assertMatches(String what, Expected expected, ImageDataset data, EvaluationResult result,
                                      float[] logits, double tolerance) {
        int count = data.count();
        long correct = 0;
        int[][] counts = new int[10][10];
        for (int i = 0; i < count; i++) {
            counts[data.label(i)][expected.predicted()[i]]++;
            correct += expected.predicted()[i] == data.label(i) ? 1 : 0;
        }
        assertArrayEquals(counts, result.confusion().toArray(), what + ": confusion counts");
        assertEquals(correct, result.confusion().correct(), what + ": correct");
        assertEquals(expected.meanLoss(), result.meanLoss(), tolerance * Math.max(1, expected.meanLoss()),
                what + ": mean loss");
        assertEquals(expected.worst().size(), result.worst().size(), what + ": mistakes listed");
        for (int k = 0; k < expected.worst().size(); k++) {
            Misclassified e = expected.worst().get(k);
            Misclassified a = result.worst().get(k);
            String at = what + ": mistake " + k;
            assertEquals(e.trueLabel(), a.trueLabel(), at + " true label");
            assertEquals(e.predicted(), a.predicted(), at + " predicted");
            assertEquals(e.confidence(), a.confidence(), tolerance, at + " confidence");
            assertArrayEquals(e.pixels(), a.pixels(), at + " image");
        }
        for (int i = 0; i < count; i++) {
            for (int c = 0; c < 10; c++) {
                double v = expected.logits()[i][c];
                assertEquals(v, logits[i * 10 + c], tolerance * Math.max(1, Math.abs(v)),
                        what + ": logit " + c + " of image " + i);
            }
        }
    }

    @Test
    void reportsWhatOneForwardPassOverTheWholeDatasetGives() {
        // 230 images: a batch of 200, then a partial one of 30.
        ImageDataset data = dataset(230, 1);
        try (Sequential model = Architectures.DEFAULT.build(CPU, ConvAlgorithm.IM2COL_GEMM, 5)) {
            Expected expected = expected(model, data, Normalization.MNIST);
            float[] logits = new float[230 * 10];
            EvaluationResult result = Evaluator.evaluate(model, data, Normalization.MNIST, WORST, logits);
            assertTrue(result.accuracy() < 0.5, "an untrained model: mistakes to rank");
            assertMatches("cpu", expected, data, result, logits, 1e-5);
            EvaluationResult noWorst = Evaluator.evaluate(model, data, Normalization.MNIST, 0);
            assertEquals(0, noWorst.worst().size(), "no mistakes asked for");
            assertArrayEquals(result.confusion().toArray(), noWorst.confusion().toArray(), "without logits or mistakes");
        }
    }

    @Test
    void refusesALogitsArrayOfTheWrongSize() {
        ImageDataset data = dataset(20, 2);
        try (Sequential model = Architectures.REFERENCE.build(CPU, ConvAlgorithm.IM2COL_GEMM, 5)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Evaluator.evaluate(model, data, Normalization.MNIST, 0, new float[199]));
            assertEquals("logits array of 199 floats cannot hold 20 x 10 logits of random", e.getMessage());
        }
    }

    @Test
    void onCudaTheSameNumbersWithNoWaitBetweenBatches() {
        Backend backend = CudaOrSkip.backend("evaluator CUDA test");
        ImageDataset two = dataset(230, 3);
        ImageDataset six = dataset(1030, 4);
        try (Sequential onCpu = Architectures.DEFAULT.build(CPU, ConvAlgorithm.IM2COL_GEMM, 9);
             Sequential onCuda = Architectures.DEFAULT.build(backend, ConvAlgorithm.IM2COL_GEMM, 9)) {
            for (int p = 0; p < onCpu.parameters().size(); p++) {
                assertArrayEquals(onCpu.parameters().get(p).value().toFloatArray(),
                        onCuda.parameters().get(p).value().toFloatArray(), "same seed, same weights");
            }
            // Once first: the model's buffers and the libraries' first calls.
            Evaluator.evaluate(onCuda, two, Normalization.MNIST, WORST);
            long[] waits = new long[2];
            ImageDataset[] sets = {two, six};
            for (int s = 0; s < 2; s++) {
                ImageDataset data = sets[s];
                float[] logits = new float[data.count() * 10];
                long before = backend.hostWaits();
                EvaluationResult result = Evaluator.evaluate(onCuda, data, Normalization.MNIST, WORST, logits);
                waits[s] = backend.hostWaits() - before;
                assertMatches("cuda, " + data.count() + " images", expected(onCpu, data, Normalization.MNIST), data,
                        result, logits, 1e-4);
            }
            assertEquals(waits[0], waits[1], "host waits for 2 batches (230 images) and for 6 (1,030 images):"
                    + " a wait between batches would add to the second");
        }
    }
}
