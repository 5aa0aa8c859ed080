package dev.strix.mnist.train;

import dev.strix.data.BatchLoader;
import dev.strix.data.BatchOptions;
import dev.strix.data.ImageDataset;
import dev.strix.data.Normalization;
import dev.strix.layers.Mode;
import dev.strix.layers.Sequential;
import dev.strix.layers.loss.SoftmaxCrossEntropy;
import dev.strix.mnist.report.ConfusionMatrix;
import dev.strix.mnist.report.Misclassified;
import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.ReduceOp;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Runs a model in evaluation mode over a whole dataset, in order, every image once.
 *
 * <p>Each batch's results (predicted class, the probability of that class, mean loss, and the
 * logits when asked for) are written on the backend into arrays for the whole dataset, which come
 * back to the host once, at the end: on a GPU the host never waits for the device between batches,
 * so one batch's launches overlap the previous batch's work.
 */
public final class Evaluator {
    /** Divides 10,000 (the test set) and the usual validation sizes, so no batch is partial. */
    public static final int BATCH = 200;

    private Evaluator() {
    }

    /** Accuracy, confusion matrix, mean loss and the {@code worstCount} most confident mistakes. */
    public static EvaluationResult evaluate(Sequential model, ImageDataset data, Normalization normalization,
                                            int worstCount) {
        return evaluate(model, data, normalization, worstCount, null);
    }

    /**
     * {@link #evaluate(Sequential, ImageDataset, Normalization, int)} that also copies every image's
     * logits, row-major {@code [count, classes]}, into {@code logits} when it is not null (it must
     * hold {@code count * classes} floats).
     */
    public static EvaluationResult evaluate(Sequential model, ImageDataset data, Normalization normalization,
                                            int worstCount, float[] logits) {
        if (logits != null && logits.length != (long) data.count() * data.classes()) {
            throw new IllegalArgumentException("logits array of " + logits.length + " floats cannot hold "
                    + data.count() + " x " + data.classes() + " logits of " + data.name());
        }
        Backend backend = model.backend();
        int count = data.count();
        int classes = data.classes();
        BatchOptions options = BatchOptions.evaluation(Math.min(BATCH, count)).withNormalization(normalization);
        int[] predicted = new int[count];
        float[] confidence = worstCount > 0 ? new float[count] : null;
        float[] batchLosses;
        int[] batchSizes;
        try (BatchLoader loader = new BatchLoader(data, backend, options);
             SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(backend);
             Tensor predictedAll = backend.allocate(DType.I32, Shape.of(count));
             Tensor confidenceAll = confidence == null ? null : backend.allocate(DType.F32, Shape.of(count));
             Tensor lossAll = backend.allocate(DType.F32, Shape.of(loader.batchCount()));
             Tensor logitsAll = logits == null ? null : backend.allocate(DType.F32, Shape.of(count, classes))) {
            batchLosses = new float[loader.batchCount()];
            batchSizes = new int[loader.batchCount()];
            int seen = 0;
            for (int b = 0; b < loader.batchCount(); b++) {
                var batch = loader.batch(b);
                int end = seen + batch.size();
                Tensor out = model.forward(batch.images(), Mode.EVALUATION);
                Tensor l = loss.forward(out, batch.labels());
                backend.copy(l.reshape(1), lossAll.slice(0, b, b + 1));
                backend.reductions().argmax(loss.probabilities(), 1, predictedAll.slice(0, seen, end));
                if (confidenceAll != null) {
                    backend.reductions().reduce(ReduceOp.MAX, loss.probabilities(), new int[] {1},
                            confidenceAll.slice(0, seen, end));
                }
                if (logitsAll != null) {
                    backend.copy(out, logitsAll.slice(0, seen, end));
                }
                batchSizes[b] = batch.size();
                seen = end;
            }
            backend.copyToHost(predictedAll, MemorySegment.ofArray(predicted));
            backend.copyToHost(lossAll, MemorySegment.ofArray(batchLosses));
            if (confidenceAll != null) {
                backend.copyToHost(confidenceAll, MemorySegment.ofArray(confidence));
            }
            if (logitsAll != null) {
                backend.copyToHost(logitsAll, MemorySegment.ofArray(logits));
            }
        }
        double lossSum = 0;
        for (int b = 0; b < batchLosses.length; b++) {
            lossSum += batchLosses[b] * batchSizes[b];
        }
        ConfusionMatrix confusion = new ConfusionMatrix(classes);
        PriorityQueue<Misclassified> worst = new PriorityQueue<>(Comparator.comparingDouble(Misclassified::confidence));
        for (int i = 0; i < count; i++) {
            int truth = data.label(i);
            confusion.add(truth, predicted[i]);
            if (predicted[i] != truth && confidence != null
                    && (worst.size() < worstCount || confidence[i] > worst.peek().confidence())) {
                worst.add(new Misclassified(data.image(i), truth, predicted[i], confidence[i]));
                if (worst.size() > worstCount) {
                    worst.poll();
                }
            }
        }
        List<Misclassified> sorted = new ArrayList<>(worst);
        sorted.sort(Comparator.comparingDouble(Misclassified::confidence).reversed());
        return new EvaluationResult(confusion, lossSum / Math.max(1, count), sorted);
    }
}
