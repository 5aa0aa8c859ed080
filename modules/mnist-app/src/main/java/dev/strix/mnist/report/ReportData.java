package dev.strix.mnist.report;

import java.util.List;
import java.util.Map;

/**
 * Everything {@link HtmlReport} shows: a title, facts about the run (model, backend, ...) in
 * display order, the per-epoch metrics, the test-set confusion matrix and the worst mistakes.
 */
public record ReportData(String title, Map<String, String> facts, List<EpochMetrics> epochs, ConfusionMatrix confusion,
        List<Misclassified> worst) {
}
