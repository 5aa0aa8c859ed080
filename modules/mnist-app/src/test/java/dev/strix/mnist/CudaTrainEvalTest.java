package dev.strix.mnist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strix.data.ImageDataset;
import dev.strix.data.mnist.DatasetSource;
import dev.strix.data.mnist.MnistData;
import dev.strix.data.mnist.MnistLoader;
import dev.strix.layers.ActivationLayout;
import dev.strix.layers.checkpoint.SafeTensorsReader;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.spi.BackendProvider;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The app end to end on CUDA: a short seeded {@code train --device cuda} writes a checkpoint, and
 * {@code eval} of it on the CPU and on CUDA reports the accuracy train reported (checkpoints do not
 * depend on the device that wrote them), and the same run on the CPU ends where CUDA's did;
 * {@code --device auto} picks CUDA; {@code bench} runs with and without CUDA graphs. The data are
 * the first 1,000 training and 400 test images of the shared MNIST copy, written as raw IDX files,
 * so that the class also runs on the CUDA emulator (host CPU) in seconds. Skipped, with the reason printed, where CUDA or the shared MNIST copy is unavailable.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaTrainEvalTest {
    private static final int TRAINING_IMAGES = 1_000;
    private static final int TEST_IMAGES = 400;
    private static final int BATCH = 50;
    private static final int STEPS = 12;

    /** "test accuracy 56.50% (226/400), test loss 1.6220": what train and eval print about the test set. */
    private static final Pattern TEST_LINE = Pattern.compile(
            "^test accuracy (\\d+\\.\\d\\d)% \\((\\d+)/" + TEST_IMAGES + "\\), test loss (\\d+\\.\\d{4})", Pattern.MULTILINE);

    @TempDir
    static Path dir;

    private Path data;
    private Path checkpoints;
    private String trainOutput;
    /** What the CLI prints first on CUDA: the backend and the device it runs on (a GPU, or the emulator). */
    private String usingCuda;

    private record TestLine(int correct, double loss) {
    }

    /** Why the tests cannot run here, or null: found once, before any training. */
    private String skipReason;

    @BeforeAll
    void trainOnCuda() throws IOException {
        BackendProvider cuda = Backends.providers().stream().filter(p -> p.name().equals("cuda")).findFirst()
                .orElse(null);
        Path shared = TrainEvalPredictTest.sharedMnist();
        if (cuda == null || !cuda.availability().available()) {
            skipReason = "CUDA backend unavailable: "
                    + (cuda == null ? "no cuda backend on the class path" : cuda.availability().reason());
        } else if (shared == null) {
            skipReason = "shared/data/mnist is not present next to the repository";
        }
        if (skipReason != null) {
            // Skipped per test (below), not here: an aborted @BeforeAll would hide the tests from the count.
            System.out.println("[strix] CUDA train/eval test skipped: " + skipReason);
            return;
        }
        System.out.println("[strix] CUDA train/eval test runs on " + Backends.named("cuda").describe());
        usingCuda = "device: using cuda, " + Backends.named("cuda").describe();
        data = firstImagesOf(shared, dir.resolve("mnist-small"));
        checkpoints = dir.resolve("ck");
        // Augmented, with the step as a CUDA graph (both defaults): the first step runs op by op, the rest replay it.
        CliRun r = train("cuda", checkpoints);
        assertEquals(0, r.status(), r.out() + r.err());
        trainOutput = r.out();
    }

    @BeforeEach
    void skipWithTheReason() {
        assumeTrue(skipReason == null, skipReason);
    }

    private CliRun train(String device, Path checkpointDir) {
        return CliRun.of("train", "--data-dir", data.toString(), "--device", device, "--model", "reference",
                "--epochs", "1",
                "--batch-size", Integer.toString(BATCH), "--limit", Integer.toString(STEPS), "--lr", "2e-3", "--seed", "3",
                "--checkpoint-dir", checkpointDir.toString(), "--report", report(checkpointDir).toString());
    }

    /** Where {@link #train} writes its report (metrics.csv: the epoch's training loss and accuracy). */
    private static Path report(Path checkpointDir) {
        return checkpointDir.resolveSibling(checkpointDir.getFileName() + "-report");
    }

    /** The first images of each MNIST set, as raw (uncompressed) IDX files with the official names. */
    private static Path firstImagesOf(Path shared, Path target) throws IOException {
        MnistData mnist = new MnistLoader(DatasetSource.MNIST).loadFrom(shared);
        Files.createDirectories(target);
        writeIdx(mnist.training(), TRAINING_IMAGES, target.resolve("train-images-idx3-ubyte"),
                target.resolve("train-labels-idx1-ubyte"));
        writeIdx(mnist.test(), TEST_IMAGES, target.resolve("t10k-images-idx3-ubyte"),
                target.resolve("t10k-labels-idx1-ubyte"));
        return target;
    }

    private static void writeIdx(ImageDataset set, int count, Path images, Path labels) throws IOException {
        // IDX: a magic number (0x08 = unsigned bytes, then the rank), the big-endian dimensions, the data.
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(images))) {
            out.writeInt(0x0803);
            out.writeInt(count);
            out.writeInt(set.rows());
            out.writeInt(set.cols());
            for (int i = 0; i < count; i++) {
                out.write(set.image(i));
            }
        }
        try (OutputStream file = Files.newOutputStream(labels); DataOutputStream out = new DataOutputStream(file)) {
            out.writeInt(0x0801);
            out.writeInt(count);
            for (int i = 0; i < count; i++) {
                out.writeByte(set.label(i));
            }
        }
    }

    private static TestLine testLine(String output) {
        Matcher m = TEST_LINE.matcher(output);
        assertTrue(m.find(), "no test accuracy line in:\n" + output);
        int correct = Integer.parseInt(m.group(2));
        assertEquals(String.format(java.util.Locale.ROOT, "%.2f", 100.0 * correct / TEST_IMAGES), m.group(1), output);
        return new TestLine(correct, Double.parseDouble(m.group(3)));
    }

    @Test
    void trainingRunsOnCudaWithTheStepAsAGraphAndReportsTheTestAccuracy() {
        List<String> lines = trainOutput.lines().toList();
        assertEquals(usingCuda, lines.get(0), trainOutput);
        assertTrue(lines.get(1).startsWith("data: MNIST, " + TRAINING_IMAGES + " training and " + TEST_IMAGES
                + " test images from " + data + " ("), trainOutput);
        assertTrue(lines.contains("cuda graph: the training step of batch " + BATCH + " is captured and replayed"),
                trainOutput);
        assertTrue(trainOutput.contains(" in " + STEPS + " steps (2 loss reads, " + (STEPS - 1)
                + " steps as CUDA graph launches)"), trainOutput);
        TestLine last = testLine(trainOutput);
        // The per-epoch evaluation and the final one judge the same weights on the same images.
        Matcher epoch = Pattern.compile("epoch 1: test accuracy \\d+\\.\\d\\d% \\((\\d+)/" + TEST_IMAGES + "\\)")
                .matcher(trainOutput);
        assertTrue(epoch.find(), trainOutput);
        assertEquals(last.correct(), Integer.parseInt(epoch.group(1)), trainOutput);
        // 600 augmented images are enough to be far above chance (10%).
        assertTrue(last.correct() > TEST_IMAGES / 2, trainOutput);
        assertTrue(lines.contains("checkpoint: " + checkpoints.resolve("model.safetensors")), trainOutput);
    }

    @Test
    void evalOfTheCheckpointOnCpuAndOnCudaReportsTheAccuracyTrainReported() {
        TestLine trained = testLine(trainOutput);
        for (String device : List.of("cpu", "cuda")) {
            CliRun r = CliRun.of("eval", "--data-dir", data.toString(), "--device", device, "--checkpoint",
                    checkpoints.toString());
            assertEquals(0, r.status(), r.out() + r.err());
            assertEquals(device.equals("cuda") ? usingCuda : "device: using cpu", r.lines().get(0), r.out());
            assertTrue(r.out().contains("checkpoint " + checkpoints.resolve("model.safetensors")
                    + ": model 'reference' after epoch 1"), r.out());
            TestLine evaluated = testLine(r.out());
            assertEquals(trained.correct(), evaluated.correct(), device + ":\n" + r.out());
            // Printed to 4 decimals: the last digit may round either way between devices.
            assertEquals(trained.loss(), evaluated.loss(), 1.5e-4, device + ":\n" + r.out());
        }
    }

    @Test
    void trainingOnTheCpuWithTheSameSeedEndsAtTheSameTestAccuracy() throws IOException {
        // The same initial weights, shuffle and augmentation draws on both devices; only the order of float32
        // additions differs, which Adam can amplify where a gradient is near zero. On the emulator both agree
        // to the printed digits; a GPU's own summation order is allowed an image or two.
        CliRun r = train("cpu", dir.resolve("ck-cpu"));
        assertEquals(0, r.status(), r.out() + r.err());
        assertEquals("device: using cpu", r.lines().get(0), r.out());
        TestLine onCpu = testLine(r.out());
        TestLine onCuda = testLine(trainOutput);
        assertEquals(onCpu.correct(), onCuda.correct(), 2, "cpu:\n" + r.out() + "\ncuda:\n" + trainOutput);
        assertEquals(onCpu.loss(), onCuda.loss(), 5e-3, "cpu:\n" + r.out() + "\ncuda:\n" + trainOutput);
        // The epoch's training loss and accuracy count every batch on both devices (a running tally on
        // the device, read twice on CUDA): the same figures, an image or two apart (1 of 600 is 0.0017).
        String[] cpuEpoch = metricsRow(dir.resolve("ck-cpu"));
        String[] cudaEpoch = metricsRow(checkpoints);
        String both = "cpu " + String.join(",", cpuEpoch) + ", cuda " + String.join(",", cudaEpoch);
        assertEquals(Double.parseDouble(cpuEpoch[1]), Double.parseDouble(cudaEpoch[1]), 5e-3, "train loss, " + both);
        assertEquals(Double.parseDouble(cpuEpoch[2]), Double.parseDouble(cudaEpoch[2]), 0.0034, "train accuracy, " + both);
    }

    /** Epoch 1's row of the report's metrics.csv (epoch, train_loss, train_accuracy, ...). */
    private static String[] metricsRow(Path checkpointDir) throws IOException {
        List<String> rows = Files.readAllLines(report(checkpointDir).resolve("metrics.csv"));
        assertEquals(2, rows.size(), String.join("\n", rows));
        return rows.get(1).split(",", -1);
    }

    @Test
    void cudnnTrainingWithChannelsLastActivationsEndsWhereNchwDoes() {
        // The same run with CUDNN convolutions in either layout (dev.strix.layers.ActivationLayout): cuDNN gets
        // NHWC tensors and filters, whose algorithms may add in another order on a GPU (an image or two).
        TestLine[] lines = new TestLine[2];
        String[] outputs = new String[2];
        String saved = System.getProperty(ActivationLayout.PROPERTY);
        try {
            for (int i = 0; i < 2; i++) {
                System.setProperty(ActivationLayout.PROPERTY, i == 0 ? "NCHW" : "NHWC");
                CliRun r = CliRun.of("train", "--data-dir", data.toString(), "--device", "cuda", "--model", "reference",
                        "--epochs", "1", "--batch-size", "20", "--limit", "3", "--lr", "2e-3",
                        "--seed", "3", "--conv-algo", "CUDNN", "--no-test-each-epoch", "--checkpoint-dir",
                        dir.resolve("ck-layout-" + i).toString());
                assertEquals(0, r.status(), r.out() + r.err());
                outputs[i] = r.out();
                lines[i] = testLine(r.out());
            }
        } finally {
            if (saved == null) {
                System.clearProperty(ActivationLayout.PROPERTY);
            } else {
                System.setProperty(ActivationLayout.PROPERTY, saved);
            }
        }
        for (String output : outputs) {
            assertTrue(output.contains("layers 3-5 conv, then bias + ReLU + 2x2 max pool in one pass"), output);
        }
        assertEquals(lines[0].correct(), lines[1].correct(), 2, "NCHW:\n" + outputs[0] + "\nNHWC:\n" + outputs[1]);
        assertEquals(lines[0].loss(), lines[1].loss(), 5e-3, "NCHW:\n" + outputs[0] + "\nNHWC:\n" + outputs[1]);
    }

    @Test
    void theLogitsOfCpuAndCudaAgree() throws IOException {
        Path onCpu = dir.resolve("logits-cpu.safetensors");
        Path onCuda = dir.resolve("logits-cuda.safetensors");
        for (Path file : List.of(onCpu, onCuda)) {
            String device = file == onCpu ? "cpu" : "cuda";
            CliRun r = CliRun.of("eval", "--data-dir", data.toString(), "--device", device, "--checkpoint",
                    checkpoints.toString(), "--export-logits", file.toString());
            assertEquals(0, r.status(), r.out() + r.err());
        }
        Map<String, Tensor> cpu = SafeTensorsReader.read(onCpu, Backends.cpu());
        Map<String, Tensor> cuda = SafeTensorsReader.read(onCuda, Backends.cpu());
        try (Tensor a = cpu.get("logits"); Tensor b = cuda.get("logits"); Tensor la = cpu.get("labels");
             Tensor lb = cuda.get("labels")) {
            assertEquals(Shape.of(TEST_IMAGES, 10), a.shape());
            assertEquals(Shape.of(TEST_IMAGES, 10), b.shape());
            assertTrue(java.util.Arrays.equals(la.toIntArray(), lb.toIntArray()), "labels");
            float[] x = a.toFloatArray();
            float[] y = b.toFloatArray();
            for (int i = 0; i < x.length; i++) {
                // Float32 sums over up to 1,600 terms, added in another order on each device.
                assertEquals(x[i], y[i], 1e-4 * Math.max(1, Math.abs(x[i])),
                        "logit " + i % 10 + " of test image " + i / 10);
            }
        }
    }

    @Test
    void autoPicksCuda() {
        CliRun r = CliRun.of("train", "--data-dir", data.toString(), "--device", "auto", "--model", "reference",
                "--epochs", "1",
                "--batch-size", "20", "--limit", "2", "--seed", "5", "--no-test-each-epoch", "--checkpoint-dir",
                dir.resolve("auto").toString());
        assertEquals(0, r.status(), r.out() + r.err());
        assertEquals(usingCuda, r.lines().get(0), r.out());
        assertTrue(r.lines().contains("cuda graph: the training step of batch 20 is captured and replayed"), r.out());
        testLine(r.out());
    }

    @Test
    void benchRunsAsCudaGraphsAndOpByOp() {
        for (boolean graph : new boolean[] {true, false}) {
            CliRun r = CliRun.of("bench", "--device", "cuda", graph ? "--cuda-graph" : "--no-cuda-graph",
                    "--batch-size", "4", "--steps", "2", "--warmup", "1", "--inference-batch-size", "4", "--profile");
            assertEquals(0, r.status(), r.out() + r.err());
            List<String> lines = r.lines();
            assertEquals(usingCuda, lines.get(0), r.out());
            assertEquals("bench: model 'reference', cuda, batch 4, conv IM2COL_GEMM, float32, "
                    + (graph ? "CUDA graph steps" : "eager steps"), lines.get(1), r.out());
            String training = line(lines, "training: ");
            assertTrue(training.contains(" images/s (2 steps of 4 in ") && training.endsWith(", " + (graph ? 2 : 0)
                    + " as CUDA graph launches)"), training);
            assertTrue(line(lines, "host waits: ").contains(" in 2 training steps ("), r.out());
            Matcher launches = Pattern.compile("launches: (\\d+) per training step run op by op \\((\\d+) device ops"
                    + " \\+ 1 step-scalar upload\\), (\\d+\\.\\d\\d) per measured step").matcher(line(lines, "launches: "));
            assertTrue(launches.matches(), r.out());
            int opByOp = Integer.parseInt(launches.group(1));
            assertEquals(opByOp, Integer.parseInt(launches.group(2)) + 1, r.out());
            assertTrue(opByOp > 10, "a training step of the reference model is more than 10 launches: " + r.out());
            // As a graph, a step is the step-scalar upload and one graph launch; op by op, every launch counted above.
            assertEquals(graph ? "2.00" : opByOp + ".00", launches.group(3), r.out());
            assertTrue(line(lines, "inference: ").contains(" images/s (3 batches of 4 in "), r.out());
            // The profile's spans come from device events; every row has its medians.
            int header = lines.indexOf(line(lines, "profile: median of 2 steps run op by op"));
            assertTrue(lines.get(header + 2).matches("  layers 0-2: .+ +\\d+\\.\\d{3} +\\d+\\.\\d{3} +\\d+\\.\\d%"), r.out());
            assertTrue(lines.get(header + 9).startsWith("  step (sum of the medians) "), r.out());
        }
    }

    private static String line(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no line starting '" + prefix + "' in " + lines));
    }
}
