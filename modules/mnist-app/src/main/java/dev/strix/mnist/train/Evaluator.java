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
import dev.strix.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/** Runs a model in evaluation mode over a whole dataset, in order, every image once. */
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
        int classes = data.classes();
        ConfusionMatrix confusion = new ConfusionMatrix(classes);
        PriorityQueue<Misclassified> worst = new PriorityQueue<>(Comparator.comparingDouble(Misclassified::confidence));
        BatchOptions options = BatchOptions.evaluation(Math.min(BATCH, data.count())).withNormalization(normalization);
        double lossSum = 0;
        try (BatchLoader loader = new BatchLoader(data, backend, options);
             SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(backend);
             Arena arena = Arena.ofConfined()) {
            MemorySegment probabilities = arena.allocate((long) options.batchSize() * classes * Float.BYTES, 64);
            MemorySegment lossValue = arena.allocate(Float.BYTES, 64);
            int seen = 0;
            for (int b = 0; b < loader.batchCount(); b++) {
                var batch = loader.batch(b);
                Tensor out = model.forward(batch.images(), Mode.EVALUATION);
                Tensor l = loss.forward(out, batch.labels());
                if (logits != null) {
                    try (Tensor c = out.contiguous()) {
                        backend.copyToHost(c, MemorySegment.ofArray(logits)
                                .asSlice((long) seen * classes * Float.BYTES, (long) batch.size() * classes * Float.BYTES));
                    }
                }
                backend.copyToHost(l, lossValue);
                try (Tensor p = loss.probabilities().contiguous()) {
                    backend.copyToHost(p, probabilities);
                }
                lossSum += lossValue.get(ValueLayout.JAVA_FLOAT, 0) * batch.size();
                for (int i = 0; i < batch.size(); i++) {
                    int index = seen + i;
                    int truth = data.label(index);
                    int predicted = 0;
                    float best = -1;
                    for (int c = 0; c < classes; c++) {
                        float v = probabilities.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * classes + c);
                        if (v > best) {
                            best = v;
                            predicted = c;
                        }
                    }
                    confusion.add(truth, predicted);
                    if (predicted != truth && worstCount > 0) {
                        if (worst.size() < worstCount || best > worst.peek().confidence()) {
                            worst.add(new Misclassified(data.image(index), truth, predicted, best));
                            if (worst.size() > worstCount) {
                                worst.poll();
                            }
                        }
                    }
                }
                seen += batch.size();
            }
        }
        List<Misclassified> sorted = new ArrayList<>(worst);
        sorted.sort(Comparator.comparingDouble(Misclassified::confidence).reversed());
        return new EvaluationResult(confusion, lossSum / Math.max(1, data.count()), sorted);
    }
}
