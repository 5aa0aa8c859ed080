package dev.strix.mnist.train;

import dev.strix.mnist.report.ConfusionMatrix;
import dev.strix.mnist.report.Misclassified;
import java.util.List;

/** A model's results on one dataset: the confusion matrix, mean loss, and the most confident mistakes. */
public record EvaluationResult(ConfusionMatrix confusion, double meanLoss, List<Misclassified> worst) {
    public double accuracy() {
        return confusion.accuracy();
    }
}
