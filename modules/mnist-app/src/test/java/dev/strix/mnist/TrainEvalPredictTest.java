package dev.strix.mnist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strix.data.mnist.DatasetSource;
import dev.strix.data.mnist.MnistData;
import dev.strix.data.mnist.MnistLoader;
import dev.strix.layers.checkpoint.SafeTensorsReader;
import dev.strix.mnist.image.PngWriter;
import dev.strix.mnist.train.ModelCheckpoint;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The app end to end on real MNIST (the shared copy beside the repository): a short seeded
 * training run writes a checkpoint; {@code eval} of that checkpoint reproduces the reported test
 * accuracy; {@code predict} reads test images written out as PNG, and a digit drawn black on white.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrainEvalPredictTest {
    @TempDir
    static Path dir;

    private Path data;
    private Path checkpoints;
    private String trainOutput;

    static Path sharedMnist() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared/data/mnist");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    @BeforeAll
    void trainOnce() {
        data = sharedMnist();
        assumeTrue(data != null, "shared/data/mnist is not present next to the repository");
        checkpoints = dir.resolve("ck");
        // 120 batches of 100: about 12,000 images of one epoch of the reference network, no augmentation.
        CliRun r = CliRun.of("train", "--data-dir", data.toString(), "--device", "cpu", "--model", "reference",
                "--epochs", "1", "--batch-size", "100", "--limit", "120", "--no-augment", "--lr", "2e-3", "--seed", "3",
                "--checkpoint-dir", checkpoints.toString(), "--report", dir.resolve("report").toString());
        assertEquals(0, r.status(), r.out() + r.err());
        trainOutput = r.out();
    }

    private static double accuracy(String output) {
        Matcher m = Pattern.compile("test accuracy (\\d+\\.\\d+)% \\((\\d+)/10000\\)").matcher(output);
        assertTrue(m.find(), output);
        return Integer.parseInt(m.group(2)) / 100.0;
    }

    @Test
    void trainingWritesCheckpointAndReport() throws Exception {
        assertTrue(Files.size(checkpoints.resolve("model.safetensors")) > 4 * 200_000, "weights saved");
        assertTrue(Files.exists(checkpoints.resolve("optimizer.safetensors")));
        assertTrue(Files.readString(dir.resolve("report/metrics.csv")).lines().count() == 2, "header and one epoch");
        String html = Files.readString(dir.resolve("report/report.html"));
        assertTrue(html.contains("<svg") && html.contains("data:image/png;base64,"), "curves and gallery");
        assertTrue(accuracy(trainOutput) > 95, trainOutput);
    }

    @Test
    void evalReproducesTheReportedTestAccuracy() {
        CliRun r = CliRun.of("eval", "--data-dir", data.toString(), "--device", "cpu", "--checkpoint",
                checkpoints.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        assertEquals(accuracy(trainOutput), accuracy(r.out()), r.out());
        assertTrue(r.out().contains("model 'reference' after epoch 1"), r.out());
    }

    @Test
    void predictReadsTestImagesWrittenAsPng() throws Exception {
        MnistData mnist = new MnistLoader(DatasetSource.MNIST).loadFrom(data);
        List<String> args = new ArrayList<>(List.of("predict", "--device", "cpu", "--checkpoint", checkpoints.toString()));
        int count = 20;
        for (int i = 0; i < count; i++) {
            byte[] pixels = mnist.test().image(i);
            float[] gray = new float[pixels.length];
            for (int p = 0; p < pixels.length; p++) {
                gray[p] = (pixels[p] & 0xFF) / 255f;
            }
            Path png = dir.resolve("test-" + i + "-label-" + mnist.test().label(i) + ".png");
            Files.write(png, PngWriter.gray8(28, 28, gray));
            args.add(png.toString());
        }
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, r.status(), r.out() + r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(count, lines.size(), r.out());
        for (int i = 0; i < count; i++) {
            // "<file>: 7 (99.12%), 1 (0.50%), 9 (0.20%)": the top class comes first.
            String line = lines.get(i);
            int label = mnist.test().label(i);
            assertTrue(line.contains("-label-" + label + ".png: " + label + " ("), "image " + i + ": " + line);
        }
    }

    @Test
    void predictReadsADigitDrawnBlackOnWhite() throws Exception {
        // Three digits drawn with a thick pen, black on white, 200x200: a "1", a "7" and a "0".
        Path one = drawn("one.png", g -> g.drawLine(100, 30, 100, 170));
        Path seven = drawn("seven.png", g -> {
            g.drawLine(45, 35, 155, 35);
            g.drawLine(155, 35, 85, 170);
        });
        Path zero = drawn("zero.png", g -> g.drawOval(55, 30, 90, 140));

        BufferedImage blank = new BufferedImage(200, 200, BufferedImage.TYPE_INT_RGB);
        Graphics2D b = blank.createGraphics();
        b.setColor(Color.WHITE);
        b.fillRect(0, 0, 200, 200);
        b.dispose();
        Path empty = dir.resolve("blank.png");
        ImageIO.write(blank, "png", empty.toFile());

        CliRun r = CliRun.of("predict", "--device", "cpu", "--checkpoint", checkpoints.toString(), one.toString(),
                seven.toString(), zero.toString(), empty.toString());
        assertEquals(1, r.status(), "a blank image makes the exit status 1");
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith(one + ": 1 ("), r.out());
        assertTrue(lines.get(1).startsWith(seven + ": 7 ("), r.out());
        assertTrue(lines.get(2).startsWith(zero + ": 0 ("), r.out());
        assertTrue(lines.get(3).startsWith(empty + ": blank image"), r.out());
    }

    private static Path drawn(String name, java.util.function.Consumer<Graphics2D> pen) throws Exception {
        BufferedImage img = new BufferedImage(200, 200, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 200, 200);
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(18, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        pen.accept(g);
        g.dispose();
        Path file = dir.resolve(name);
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    @Test
    void evalExportsTheLogitsItJudgedBy() throws Exception {
        Path file = dir.resolve("logits.safetensors");
        CliRun r = CliRun.of("eval", "--data-dir", data.toString(), "--device", "cpu", "--checkpoint",
                checkpoints.toString(), "--export-logits", file.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        MnistData mnist = new MnistLoader(DatasetSource.MNIST).loadFrom(data);
        Map<String, Tensor> tensors = SafeTensorsReader.read(file, Backends.cpu());
        try (Tensor logits = tensors.get("logits"); Tensor labels = tensors.get("labels")) {
            assertEquals(Shape.of(10_000, 10), logits.shape());
            int[] y = labels.toIntArray();
            float[] z = logits.toFloatArray();
            int correct = 0;
            for (int i = 0; i < y.length; i++) {
                assertEquals(mnist.test().label(i), y[i], "label " + i);
                int best = 0;
                for (int c = 1; c < 10; c++) {
                    if (z[i * 10 + c] > z[i * 10 + best]) {
                        best = c;
                    }
                }
                correct += best == y[i] ? 1 : 0;
            }
            assertEquals(accuracy(r.out()), correct / 100.0, "argmax of the exported logits gives eval's accuracy");
        }
    }

    @Test
    void trainingStopsAtTheTargetAccuracyAndSaysWhen() throws Exception {
        CliRun r = CliRun.of("train", "--data-dir", data.toString(), "--device", "cpu", "--model", "reference",
                "--epochs", "3", "--batch-size", "100", "--limit", "30", "--no-augment", "--lr", "2e-3", "--seed", "3",
                "--target-accuracy", "0.5", "--no-test-each-epoch", "--checkpoint-dir", dir.resolve("target").toString());
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("target accuracy 50.00% reached after epoch 1: "), r.out());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("reached after epoch 1: ([0-9.]+) s of training \\(.*"
                + "; of it the first two steps ([0-9.]+) s, evaluations ([0-9.]+) s\\)").matcher(r.out());
        assertTrue(m.find(), r.out());
        double total = Double.parseDouble(m.group(1));
        double firstSteps = Double.parseDouble(m.group(2));
        double evaluations = Double.parseDouble(m.group(3));
        assertTrue(firstSteps > 0 && evaluations > 0 && firstSteps + evaluations <= total + 0.01, r.out());
        assertEquals(1, ModelCheckpoint.info(dir.resolve("target")).epoch(), "no epoch after the one that reached it");
    }

    @Test
    void aTargetAccuracyOutOfRangeIsRefused() {
        CliRun r = CliRun.of("train", "--data-dir", data.toString(), "--device", "cpu", "--target-accuracy", "99");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("--target-accuracy must be a fraction in [0, 1]"), r.err());
    }

    @Test
    void resumeContinuesExactly() throws Exception {
        String[] common = {"--data-dir", data.toString(), "--device", "cpu", "--model", "reference", "--batch-size", "50",
            "--limit", "8", "--seed", "9", "--no-test-each-epoch"};
        Path straight = dir.resolve("straight");
        Path resumed = dir.resolve("resumed");
        assertEquals(0, CliRun.of(concat(common, "train", "--epochs", "2", "--checkpoint-dir",
                straight.toString())).status());
        // The same run cut after epoch 1 (a separate process would do the same: nothing is shared but the files).
        Path firstHalf = dir.resolve("first-half");
        assertEquals(0, CliRun.of(concat(common, "train", "--epochs", "2", "--stop-after-epoch", "1",
                "--checkpoint-dir", firstHalf.toString())).status());
        Files.createDirectories(resumed);
        Files.copy(firstHalf.resolve("model.safetensors"), resumed.resolve("model.safetensors"));
        Files.copy(firstHalf.resolve("optimizer.safetensors"), resumed.resolve("optimizer.safetensors"));
        CliRun r = CliRun.of(concat(common, "train", "--epochs", "2", "--resume", "--checkpoint-dir",
                resumed.toString()));
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("resumed from"), r.out());
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(straight.resolve("model.safetensors")),
                Files.readAllBytes(resumed.resolve("model.safetensors"))), "resumed weights differ from the straight run");
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(straight.resolve("optimizer.safetensors")),
                Files.readAllBytes(resumed.resolve("optimizer.safetensors"))), "resumed optimizer state differs");
    }

    private static String[] concat(String[] common, String... first) {
        String[] all = new String[first.length + common.length];
        System.arraycopy(first, 0, all, 0, 1);
        System.arraycopy(common, 0, all, 1, common.length);
        System.arraycopy(first, 1, all, 1 + common.length, first.length - 1);
        return all;
    }

    @Test
    void evalRefusesAFileThatIsNotACheckpoint() throws Exception {
        Path bogus = dir.resolve("bogus.safetensors");
        Files.writeString(bogus, "definitely not safetensors");
        CliRun r = CliRun.of("eval", "--data-dir", data.toString(), "--device", "cpu", "--checkpoint",
                bogus.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().startsWith("strix-mnist: error: " + bogus), r.err());
    }
}
