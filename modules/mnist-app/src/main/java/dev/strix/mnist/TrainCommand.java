package dev.strix.mnist;

import dev.strix.data.mnist.MnistData;
import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.PoolingAlgorithm;
import dev.strix.mnist.progress.ProgressReporter;
import dev.strix.mnist.report.EpochMetrics;
import dev.strix.mnist.report.HtmlReport;
import dev.strix.mnist.report.ReportData;
import dev.strix.mnist.train.Architectures;
import dev.strix.mnist.train.EvaluationResult;
import dev.strix.mnist.train.Evaluator;
import dev.strix.mnist.train.Trainer;
import dev.strix.mnist.train.TrainingOptions;
import dev.strix.tensor.Backend;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code train}: trains a model, then reports its test-set accuracy. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a CNN on MNIST (or Fashion-MNIST) and report its test accuracy.",
            "Defaults reach 99.6%% MNIST test accuracy: the default model, Adam with cosine warm restarts,",
            "augmentation on, 15 epochs."})
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    DataOptions data;

    @Mixin
    DeviceOption device;

    private static final TrainingOptions D = TrainingOptions.defaults();

    @Option(names = "--model", paramLabel = "default|reference", defaultValue = "default",
            description = "architecture (default: ${DEFAULT-VALUE}); see README")
    String model;

    @Option(names = "--epochs", defaultValue = "15", description = "passes over the training set (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "128", description = "images per step (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--optimizer", paramLabel = "adam|adamw|sgd", defaultValue = "adam",
            description = "optimizer (default: ${DEFAULT-VALUE}; sgd uses Nesterov momentum 0.9)")
    String optimizer;

    @Option(names = "--lr", defaultValue = "3e-3", description = "peak learning rate (default: ${DEFAULT-VALUE})")
    double learningRate;

    @Option(names = "--schedule", paramLabel = "restarts|onecycle|cosine|step|constant", defaultValue = "restarts",
            description = "learning-rate schedule: restarts = cosine with warm restarts over cycles of 1, 2, 4, 8"
                    + " epochs (default: ${DEFAULT-VALUE})")
    String schedule;

    @Option(names = "--weight-decay", defaultValue = "0", description = "weight decay (default: ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--augment", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "random rotation (10 deg), shift (2 px) and zoom (0.9-1.1) of training images (default: on)")
    boolean augment;

    @Option(names = "--conv-algo", paramLabel = "IM2COL_GEMM|STRIDED_VIEW|CUDNN", defaultValue = "IM2COL_GEMM",
            description = "convolution algorithm (default: ${DEFAULT-VALUE})")
    ConvAlgorithm convAlgorithm;

    @Option(names = "--pool-algo", paramLabel = "ARGMAX|CUDNN", defaultValue = "ARGMAX",
            description = {"max pooling: ARGMAX keeps each window's argmax for the backward pass (and lets a",
                "preceding conv + ReLU fuse with it); CUDNN is cuDNN's pooling, which finds the maxima again",
                "(on the CPU: the reference loops) (default: ${DEFAULT-VALUE})"})
    PoolingAlgorithm poolingAlgorithm;

    @Option(names = "--seed", defaultValue = "1", description = "seed for weights, shuffling and augmentation (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--validation", defaultValue = "0",
            description = "fraction of the training set held out for validation (default: ${DEFAULT-VALUE})")
    double validation;

    @Option(names = "--limit", defaultValue = "0", description = "at most this many batches per epoch, for smoke runs (0: all)")
    int limit;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR", defaultValue = "checkpoints",
            description = "model.safetensors and optimizer.safetensors are written here after every epoch (default: ${DEFAULT-VALUE})")
    Path checkpointDir;

    @Option(names = "--resume", description = "continue from the checkpoint in --checkpoint-dir")
    boolean resume;

    @Option(names = "--stop-after-epoch", paramLabel = "N", defaultValue = "0",
            description = "stop after epoch N of the --epochs schedule (train in sessions: continue later with --resume)")
    int stopAfterEpoch;

    @Option(names = "--report", paramLabel = "DIR", description = "write metrics.csv and report.html here")
    Path reportDir;

    @Option(names = "--test-each-epoch", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "print the test accuracy after every epoch, not only at the end (default: on)")
    boolean testEachEpoch;

    @Option(names = "--target-accuracy", paramLabel = "FRACTION", defaultValue = "0",
            description = {"stop after the first epoch whose test accuracy reaches this fraction (e.g. 0.99) and print",
                "the training time: wall clock from the first step, per-epoch test evaluations included, JVM start",
                "and data loading excluded; exit status 1 when it is not reached (default: 0, off)"})
    double targetAccuracy;

    @Option(names = "--tf32", description = {"let the GPU round float32 inputs of GEMMs and convolutions to TF32 on",
        "tensor cores (faster, about 3 significant digits per input); default: strict float32"})
    boolean tf32;

    @Option(names = "--cuda-graph", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = {"on CUDA, capture the training step as a CUDA graph and replay it (default: on;",
                "--no-cuda-graph runs every op as it is issued)"})
    boolean cudaGraph;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        TrainingOptions options = new TrainingOptions(Architectures.byId(model), epochs, batchSize, optimizer,
                learningRate, schedule, weightDecay, augment, convAlgorithm, poolingAlgorithm, seed, validation, limit, checkpointDir,
                resume, reportDir, targetAccuracy, stopAfterEpoch, tf32, cudaGraph);
        // Found out now, not after the first epoch's training.
        requireWritableDirectory("--checkpoint-dir", checkpointDir);
        if (reportDir != null) {
            requireWritableDirectory("--report", reportDir);
        }
        Backend backend = device.resolve(out);
        MnistData mnist = data.load(out);
        // The progress bar writes to the process's standard output, where a terminal can show it.
        out.flush();
        PrintStream console = System.out;
        ProgressReporter progress = ProgressReporter.forConsole(console);
        long start = System.nanoTime();
        try (Trainer trainer = new Trainer(backend, options, data.normalization(), out, progress)) {
            out.println(trainer.model().summary());
            out.println(trainer.model().fusion());
            out.flush();
            Trainer.Result result = trainer.train(mnist.training(),
                    testEachEpoch || targetAccuracy > 0 ? mnist.test() : null);
            double trainSeconds = (System.nanoTime() - start) / 1e9;
            EvaluationResult test = Evaluator.evaluate(trainer.model(), mnist.test(), data.normalization(), 24);
            out.printf(Locale.ROOT, "test accuracy %.2f%% (%d/%d), test loss %.4f; trained in %.1f s%n",
                    100 * test.accuracy(), test.confusion().correct(), test.confusion().total(), test.meanLoss(),
                    trainSeconds);
            out.println("checkpoint: " + checkpointDir.resolve(dev.strix.mnist.train.ModelCheckpoint.MODEL_FILE));
            if (reportDir != null) {
                Map<String, String> facts = new LinkedHashMap<>();
                facts.put("dataset", data.source().name());
                facts.put("model", options.architecture().id() + " (" + trainer.model().trainableCount() + " parameters)");
                facts.put("backend", backend.name());
                facts.put("optimizer", optimizer + ", lr " + learningRate + ", " + schedule);
                facts.put("epochs", epochs + " x batch " + batchSize + (augment ? ", augmented" : ""));
                facts.put("test accuracy", String.format(Locale.ROOT, "%.2f%%", 100 * test.accuracy()));
                facts.put("training time", String.format(Locale.ROOT, "%.1f s", trainSeconds));
                java.util.List<EpochMetrics> epochsRun = result.epochs();
                HtmlReport.write(reportDir.resolve("report.html"), new ReportData("strix-mnist training report", facts,
                        epochsRun, test.confusion(), test.worst()));
                out.println("report: " + reportDir.resolve("report.html"));
            }
            if (targetAccuracy > 0) {
                if (result.targetEpoch() > 0) {
                    out.printf(Locale.ROOT, "target accuracy %.2f%% reached after epoch %d: %.2f s of training"
                            + " (wall clock from the first step, per-epoch evaluations included; JVM start, data"
                            + " loading and model set-up excluded; of it the first two steps %.3f s, evaluations %.3f s)%n",
                            100 * targetAccuracy, result.targetEpoch(), result.trainingSeconds(),
                            result.firstStepsSeconds(), result.evaluationSeconds());
                } else {
                    out.printf(Locale.ROOT, "target accuracy %.2f%% not reached in %d epochs (last test accuracy"
                            + " %.2f%%, %.2f s of training)%n", 100 * targetAccuracy, result.epochs().size(),
                            100 * result.lastTestAccuracy(), result.trainingSeconds());
                }
            }
            out.flush();
            if (targetAccuracy > 0 && result.targetEpoch() == 0) {
                return 1;
            }
        }
        return 0;
    }

    /**
     * Proves that a file can be made in {@code dir} by making one, creating the directory for the
     * test and removing what it created, so that a run refused later (say, for missing data) leaves
     * no empty directories behind; training creates them again when it first writes.
     */
    static void requireWritableDirectory(String option, Path dir) throws IOException {
        Path target = dir.toAbsolutePath();
        Path existing = target;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        try {
            Files.createDirectories(target);
            Files.delete(Files.createTempFile(target, ".strix-write-check", ".tmp"));
        } catch (IOException e) {
            throw new IOException(option + " " + dir + ": cannot write there (" + ErrorMessages.describe(e) + ")", e);
        } finally {
            for (Path p = target; p != null && !p.equals(existing); p = p.getParent()) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException notEmptyOrGone) {
                    break;
                }
            }
        }
    }
}
