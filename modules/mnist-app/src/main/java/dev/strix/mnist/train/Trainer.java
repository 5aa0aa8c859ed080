package dev.strix.mnist.train;

import dev.strix.data.Batch;
import dev.strix.data.BatchLoader;
import dev.strix.data.BatchOptions;
import dev.strix.data.DatasetSplit;
import dev.strix.data.ImageDataset;
import dev.strix.data.Normalization;
import dev.strix.data.augment.Augmentation;
import dev.strix.layers.Mode;
import dev.strix.layers.Sequential;
import dev.strix.layers.loss.SoftmaxCrossEntropy;
import dev.strix.mnist.progress.ProgressReporter;
import dev.strix.mnist.report.EpochMetrics;
import dev.strix.mnist.report.MetricsCsv;
import dev.strix.optim.Adam;
import dev.strix.optim.Optimizer;
import dev.strix.optim.SGD;
import dev.strix.optim.schedule.Constant;
import dev.strix.optim.schedule.CosineAnnealing;
import dev.strix.optim.schedule.CosineRestarts;
import dev.strix.optim.schedule.LearningRateSchedule;
import dev.strix.optim.schedule.OneCycle;
import dev.strix.optim.schedule.StepDecay;
import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training loop: for each batch, forward, softmax-cross-entropy, backward, optimizer step;
 * after each epoch, validation, a checkpoint and a metrics row. Data order and augmentation depend
 * only on (seed, epoch, batch), so a run resumed from a checkpoint continues exactly.
 *
 * <p>Every step's loss op adds its batch to a running tally on the backend (the sum of the rows'
 * losses and the number of correct rows), so the epoch's training loss and accuracy count every
 * batch; the tally is read back every {@code readEvery} steps for the progress line (every step on
 * the CPU, where reading costs nothing; sparsely on a GPU, where it would stall the stream) and at
 * the epoch's end.
 *
 * <p>A step is a host part (stage the batch's indices, write the optimizer's step scalars) and a
 * device part (gather, forward, loss, backward, update) that reads everything that changes from
 * device memory, so that on CUDA it is captured once per epoch as a CUDA graph and replayed
 * ({@link StepGraphs}; {@link TrainingOptions#cudaGraph()}).
 */
public final class Trainer implements AutoCloseable {
    private final Backend backend;
    private final TrainingOptions options;
    private final Normalization normalization;
    private final PrintWriter out;
    private final ProgressReporter progress;
    private final Sequential model;
    private final SoftmaxCrossEntropy loss;
    private final Arena arena = Arena.ofConfined();
    private Optimizer optimizer;
    /** The batch being trained on. */
    private Batch current;
    /** The epoch's running (loss sum, correct rows) on the backend, added to by every step's loss op. */
    private Tensor tally;

    public Trainer(Backend backend, TrainingOptions options, Normalization normalization, PrintWriter out,
                   ProgressReporter progress) {
        this.backend = backend;
        this.options = options;
        this.normalization = normalization;
        this.out = out;
        this.progress = progress;
        TensorFloat32Option.apply(backend, options.tf32(), out);
        this.model = options.architecture().build(backend, options.convAlgorithm(), options.poolingAlgorithm(), options.seed());
        this.loss = new SoftmaxCrossEntropy(backend);
    }

    public Sequential model() {
        return model;
    }

    /**
     * What a finished run produced.
     *
     * @param trainingSeconds wall-clock seconds from the first step of the first epoch run to the end of
     *                        the last one, the per-epoch validation and test evaluations included (JVM
     *                        start, data loading and model construction are not)
     * @param targetEpoch     the epoch whose test accuracy reached {@link TrainingOptions#targetAccuracy},
     *                        0 when there was no target or it was not reached
     * @param lastTestAccuracy test accuracy after the last epoch run, NaN without a test set
     * @param firstStepsSeconds of trainingSeconds, the first two steps: their one-off work (on CUDA the
     *                        libraries' first calls, then the graph capture; on the CPU JIT compilation)
     * @param evaluationSeconds of trainingSeconds, the per-epoch validation and test evaluations
     */
    public record Result(List<EpochMetrics> epochs, DatasetSplit split, double trainingSeconds, int targetEpoch,
                         double lastTestAccuracy, double firstStepsSeconds, double evaluationSeconds) {
    }

    /** Trains on {@code training}; holds out the configured validation share first. */
    public Result train(ImageDataset training) throws IOException {
        return train(training, null);
    }

    /**
     * Trains on {@code training} and, when {@code test} is given, prints its accuracy after every
     * epoch (a line of its own below the epoch summary), so a run shows how fast it gets there.
     */
    public Result train(ImageDataset training, ImageDataset test) throws IOException {
        double target = options.targetAccuracy();
        if (target > 0 && test == null) {
            throw new IllegalArgumentException("--target-accuracy needs the test set evaluated after each epoch");
        }
        int targetEpoch = 0;
        double lastTestAccuracy = Double.NaN;
        double trainingSeconds = 0;
        long firstStepsNanos = -1;
        long evaluationNanos = 0;
        DatasetSplit split = options.validationFraction() > 0
                ? training.splitValidation((int) Math.round(training.count() * options.validationFraction()), options.seed())
                : new DatasetSplit(training, null);
        BatchOptions batchOptions = BatchOptions.training(options.batchSize()).withSeed(options.seed())
                .withNormalization(normalization).withDropLast(true)
                .withAugmentation(options.augment() ? Augmentation.digits() : Augmentation.NONE);
        List<EpochMetrics> history = new ArrayList<>();
        try (BatchLoader loader = new BatchLoader(split.training(), backend, batchOptions)) {
            int batches = options.limitBatches() > 0 ? Math.min(options.limitBatches(), loader.batchCount())
                    : loader.batchCount();
            if (batches == 0) {
                throw new IllegalArgumentException("training set of " + split.training().count()
                        + " images holds no full batch of " + options.batchSize());
            }
            optimizer = createOptimizer(batches);
            int firstEpoch = 1;
            if (options.resume()) {
                firstEpoch = resume(history) + 1;
            }
            boolean cpu = backend.name().equals("cpu");
            int readEvery = cpu ? 1 : 50;
            MemorySegment tallyHost = arena.allocate(2L * Float.BYTES, 64);
            try (Tensor epochTally = backend.allocate(DType.F32, Shape.of(2));
                 StepGraphs graphs = new StepGraphs(backend.graphCapture(), options.cudaGraph(),
                         () -> deviceStep(loader), out)) {
                tally = epochTally;
                long runStart = System.nanoTime();
                int lastEpoch = options.stopAfterEpoch() > 0 ? options.stopAfterEpoch() : options.epochs();
                for (int epoch = firstEpoch; epoch <= lastEpoch && targetEpoch == 0; epoch++) {
                    long start = System.nanoTime();
                    long waitsBefore = backend.hostWaits();
                    long replaysBefore = graphs.replays();
                    int reads = 0;
                    progress.startEpoch(epoch, options.epochs(), (long) batches * options.batchSize());
                    loader.startEpoch(epoch);
                    epochTally.fill(0f);
                    double lossSum = 0;
                    double correct = 0;
                    double lastRate = optimizer.learningRate();
                    for (int b = 0; b < batches; b++) {
                        Batch batch = loader.stage(b);
                        current = batch;
                        lastRate = optimizer.learningRate();
                        optimizer.prepareStep();
                        graphs.run(batch.size());
                        if (b % readEvery == 0 || b == batches - 1) {
                            backend.copyToHost(epochTally, tallyHost);
                            lossSum = tallyHost.getAtIndex(ValueLayout.JAVA_FLOAT, 0);
                            correct = tallyHost.getAtIndex(ValueLayout.JAVA_FLOAT, 1);
                            progress.update((long) (b + 1) * options.batchSize(),
                                    lossSum / ((long) (b + 1) * options.batchSize()));
                            reads++;
                        }
                        if (firstStepsNanos < 0 && (b == 1 || b == batches - 1)) {
                            // The eager step, then the one recorded as a graph (its replay queued).
                            firstStepsNanos = System.nanoTime() - runStart;
                        }
                    }
                    backend.synchronize();
                    // The evaluations below may reallocate the model's buffers (another batch size).
                    graphs.invalidate();
                    if (!cpu) {
                        // Each read of loss and accuracy waits once (copyToHost), the epoch's end once,
                        // uploading the epoch order a few times, and a graph capture once: anything beyond is
                        // a step that stalls the GPU.
                        out.printf(Locale.ROOT, "epoch %d: %d host waits in %d steps (%d loss reads, %d steps as"
                                + " CUDA graph launches)%n", epoch, backend.hostWaits() - waitsBefore, batches, reads,
                                graphs.replays() - replaysBefore);
                        out.flush();
                    }
                    double trainSeconds = (System.nanoTime() - start) / 1e9;
                    double validationLoss = Double.NaN;
                    double validationAccuracy = Double.NaN;
                    long evaluationStart = System.nanoTime();
                    if (split.validation() != null) {
                        EvaluationResult v = Evaluator.evaluate(model, split.validation(), normalization, 0);
                        validationLoss = v.meanLoss();
                        validationAccuracy = v.accuracy();
                    }
                    evaluationNanos += System.nanoTime() - evaluationStart;
                    double seconds = (System.nanoTime() - start) / 1e9;
                    long seen = (long) batches * options.batchSize();
                    EpochMetrics metrics = new EpochMetrics(epoch, lossSum / seen, correct / seen,
                            validationLoss, validationAccuracy, lastRate, seconds, seen / trainSeconds);
                    history.add(metrics);
                    progress.finishEpoch(metrics);
                    if (test != null) {
                        long testStart = System.nanoTime();
                        EvaluationResult t = Evaluator.evaluate(model, test, normalization, 0);
                        evaluationNanos += System.nanoTime() - testStart;
                        out.printf(Locale.ROOT, "epoch %d: test accuracy %.2f%% (%d/%d)%n", epoch, 100 * t.accuracy(),
                                t.confusion().correct(), t.confusion().total());
                        out.flush();
                        lastTestAccuracy = t.accuracy();
                        if (target > 0 && t.accuracy() >= target) {
                            targetEpoch = epoch;
                        }
                    }
                    trainingSeconds = (System.nanoTime() - runStart) / 1e9;
                    if (options.checkpointDir() != null) {
                        ModelCheckpoint.save(options.checkpointDir(), model, options.architecture(), normalization, epoch,
                                optimizer, Map.of("seed", Long.toString(options.seed())));
                    }
                    if (options.reportDir() != null) {
                        Files.createDirectories(options.reportDir());
                        MetricsCsv.append(options.reportDir().resolve("metrics.csv"), metrics);
                    }
                }
            }
        }
        return new Result(history, split, trainingSeconds, targetEpoch, lastTestAccuracy,
                Math.max(0, firstStepsNanos) / 1e9, evaluationNanos / 1e9);
    }

    /**
     * The device part of a step on the staged batch: only backend ops, the same ones every step of a
     * batch size, so that {@link StepGraphs} can record it. The input image needs no gradient: the
     * first layer stores its parameter gradients only.
     */
    private void deviceStep(BatchLoader loader) {
        loader.assembleStaged();
        Tensor logits = model.forward(current.images(), Mode.TRAINING);
        loss.forward(logits, current.labels(), tally);
        model.backwardParameters(loss.backward());
        optimizer.applyStep();
    }

    /** Loads the checkpoint's model and optimizer state; returns the epoch it finished. */
    private int resume(List<EpochMetrics> history) throws IOException {
        Path dir = options.checkpointDir();
        if (!Files.exists(dir.resolve(ModelCheckpoint.MODEL_FILE))) {
            out.println("no checkpoint in " + dir + " yet: starting from epoch 1");
            out.flush();
            return 0;
        }
        ModelCheckpoint.Info info = ModelCheckpoint.info(dir);
        if (info.architecture() != options.architecture()) {
            throw new IOException(info.file() + ": checkpoint holds model '" + info.architecture().id()
                    + "', this run trains '" + options.architecture().id() + "'");
        }
        ModelCheckpoint.loadInto(dir, model);
        ModelCheckpoint.loadOptimizer(dir, optimizer, backend);
        if (options.reportDir() != null && Files.exists(options.reportDir().resolve("metrics.csv"))) {
            for (EpochMetrics m : MetricsCsv.read(options.reportDir().resolve("metrics.csv"))) {
                if (m.epoch() <= info.epoch()) {
                    history.add(m);
                }
            }
        }
        out.printf(Locale.ROOT, "resumed from %s: epoch %d done, optimizer at step %d%n", info.file(), info.epoch(),
                optimizer.stepCount());
        out.flush();
        return info.epoch();
    }

    private Optimizer createOptimizer(int stepsPerEpoch) {
        double lr = options.learningRate();
        long totalSteps = (long) stepsPerEpoch * options.epochs();
        LearningRateSchedule schedule = switch (options.schedule().toLowerCase(Locale.ROOT)) {
            // Warm restarts over cycles of 1, 2, 4, 8 epochs: every cycle ends annealed, the first one
            // after a single epoch, so the model is good early and keeps improving to the end.
            case "restarts" -> CosineRestarts.doublingEpochs(lr, lr / 1000, options.epochs(), stepsPerEpoch,
                    Math.min(100, stepsPerEpoch / 4));
            // A short warm-up (10% of the run, from lr/10): the first epoch already learns fast.
            // (Very short smoke runs stretch it so that both phases keep at least two steps.)
            case "onecycle", "one-cycle" -> new OneCycle(lr, totalSteps, Math.min(0.5, Math.max(0.1, 2.0 / totalSteps)),
                    10, 1e4);
            case "cosine" -> new CosineAnnealing(lr, lr / 100, totalSteps);
            case "step" -> new StepDecay(lr, Math.max(1, totalSteps / 3), 0.1);
            case "constant", "none" -> new Constant(lr);
            default -> throw new IllegalArgumentException("unknown --schedule '" + options.schedule()
                    + "'; known: restarts, onecycle, cosine, step, constant");
        };
        return switch (options.optimizer().toLowerCase(Locale.ROOT)) {
            case "adam" -> Adam.builder(model.parameters()).schedule(schedule).weightDecay(options.weightDecay()).build();
            case "adamw" -> Adam.adamW(model.parameters()).schedule(schedule).weightDecay(options.weightDecay()).build();
            case "sgd" -> SGD.builder(model.parameters()).schedule(schedule).momentum(0.9).nesterov(true)
                    .weightDecay(options.weightDecay()).build();
            default -> throw new IllegalArgumentException("unknown --optimizer '" + options.optimizer()
                    + "'; known: adam, adamw, sgd");
        };
    }

    @Override
    public void close() {
        if (optimizer != null) {
            optimizer.close();
        }
        loss.close();
        model.close();
        arena.close();
    }
}
