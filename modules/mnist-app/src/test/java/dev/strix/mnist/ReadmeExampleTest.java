package dev.strix.mnist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.data.Batch;
import dev.strix.data.BatchLoader;
import dev.strix.data.BatchOptions;
import dev.strix.data.ImageDataset;
import dev.strix.layers.Conv2D;
import dev.strix.layers.Dense;
import dev.strix.layers.Flatten;
import dev.strix.layers.MaxPool2D;
import dev.strix.layers.Mode;
import dev.strix.layers.ReLU;
import dev.strix.layers.Sequential;
import dev.strix.layers.loss.SoftmaxCrossEntropy;
import dev.strix.optim.Adam;
import dev.strix.optim.Optimizer;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * README's "Training in code" example is the block between the markers below, line for line, and it
 * learns: on images whose class is where a bright square sits, two epochs of 10 batches take it
 * from chance (10%) to at least 95% on images it has not seen.
 */
class ReadmeExampleTest {
    private static final int CLASSES = 10;

    @Test
    void theReadmeExampleIsThisCodeAndItLearns() {
        SplittableRandom random = new SplittableRandom(7);
        ImageDataset training = squares("training", 1280, random);
        ImageDataset test = squares("test", 500, random);
        try (BatchLoader loader = new BatchLoader(training, Backends.best(), BatchOptions.training(128).withSeed(3))) {
            // README begin
            Backend backend = Backends.best();
            Sequential model = new Sequential(Shape.of(1, 28, 28),
                    Conv2D.builder(1, 32).kernel(3, 3).build(backend, random), new ReLU(backend),
                    new MaxPool2D(backend, 2), new Flatten(backend), new Dense(backend, 32 * 13 * 13, 10, random));
            SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(backend);
            Optimizer adam = new Adam(model.parameters(), 1e-3);
            for (int epoch = 0; epoch < 2; epoch++) {
                for (Batch batch : loader.epoch(epoch)) {              // dev.strix.data.BatchLoader
                    Tensor logits = model.forward(batch.images(), Mode.TRAINING);
                    loss.forward(logits, batch.labels());
                    model.backward(loss.backward());                   // stores every parameter's gradient
                    adam.step();
                }
            }
            // README end
            double accuracy = accuracy(model, test);
            assertTrue(accuracy >= 0.95, "test accuracy after two epochs: " + accuracy);
            model.close();
            loss.close();
        }
    }

    @Test
    void theReadmeShowsTheBlockThisTestRuns() throws IOException {
        List<String> readme = readmeExample();
        List<String> here = markedBlock();
        assertEquals(here, readme, "README.md's 'Training in code' block and ReadmeExampleTest's marked block differ");
    }

    /** The fraction of {@code test} that the model classes right. */
    private static double accuracy(Sequential model, ImageDataset test) {
        Backend backend = Backends.best();
        int correct = 0;
        try (BatchLoader loader = new BatchLoader(test, backend, BatchOptions.evaluation(100))) {
            for (Batch batch : loader.epoch(0)) {
                float[] logits = model.forward(batch.images(), Mode.EVALUATION).toFloatArray();
                float[] labels = batch.labels().toFloatArray();
                for (int i = 0; i < batch.size(); i++) {
                    int best = 0;
                    for (int k = 1; k < CLASSES; k++) {
                        if (logits[i * CLASSES + k] > logits[i * CLASSES + best]) {
                            best = k;
                        }
                    }
                    correct += best == (int) labels[i] ? 1 : 0;
                }
            }
        }
        return correct / (double) test.count();
    }

    /**
     * {@code count} 28x28 images: a 6x6 square of bright pixels at one of ten places (the class),
     * moved by up to a pixel, over faint noise.
     */
    private static ImageDataset squares(String name, int count, SplittableRandom random) {
        byte[] pixels = new byte[count * 28 * 28];
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            int label = random.nextInt(CLASSES);
            labels[i] = (byte) label;
            int top = 3 + (label / 5) * 13 + random.nextInt(-1, 2);
            int left = 1 + (label % 5) * 5 + random.nextInt(0, 2);
            for (int p = 0; p < 28 * 28; p++) {
                int y = p / 28;
                int x = p % 28;
                boolean inside = y >= top && y < top + 6 && x >= left && x < left + 6;
                pixels[i * 28 * 28 + p] = (byte) (inside ? 200 + random.nextInt(56) : random.nextInt(40));
            }
        }
        return new ImageDataset(name, pixels, labels, 28, 28, CLASSES);
    }

    /** The lines of README.md's first java block after "## Training in code", stripped. */
    private static List<String> readmeExample() throws IOException {
        Path readme = null;
        for (Path p = Path.of("").toAbsolutePath(); p != null && readme == null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("modules/mnist-app"))) {
                readme = p.resolve("README.md");
            }
        }
        assertNotNull(readme, "README.md not found above " + Path.of("").toAbsolutePath());
        List<String> lines = Files.readAllLines(readme);
        int section = lines.indexOf("## Training in code");
        assertTrue(section >= 0, "README.md has no '## Training in code' section");
        int start = lines.subList(section, lines.size()).indexOf("```java") + section + 1;
        int end = lines.subList(start, lines.size()).indexOf("```") + start;
        return lines.subList(start, end).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    /** The lines of this file between "// README begin" and "// README end", stripped. */
    private static List<String> markedBlock() throws IOException {
        Path source = Path.of("src/test/java/dev/strix/mnist/ReadmeExampleTest.java");
        assertTrue(Files.isRegularFile(source), "run from the module directory: " + source.toAbsolutePath());
        List<String> lines = Files.readAllLines(source).stream().map(String::strip).toList();
        int start = lines.indexOf("// README begin") + 1;
        int end = lines.indexOf("// README end");
        return lines.subList(start, end).stream().filter(s -> !s.isEmpty()).toList();
    }
}
