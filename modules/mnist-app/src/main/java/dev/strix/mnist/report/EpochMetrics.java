package dev.strix.mnist.report;

/**
 * What one training epoch achieved. Accuracies are fractions in [0, 1]; a value that was not
 * measured (no validation set, say) is {@link Double#NaN}.
 */
public record EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double validationLoss,
        double validationAccuracy, double learningRate, double seconds, double imagesPerSecond) {
}
