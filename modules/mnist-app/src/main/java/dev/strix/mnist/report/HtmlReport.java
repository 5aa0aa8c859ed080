package dev.strix.mnist.report;

import dev.strix.mnist.image.PngWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A self-contained training report: one HTML file with the loss and accuracy curves as inline SVG,
 * the per-epoch table, the confusion matrix shaded by row fraction, and a gallery of the worst
 * mistakes as inline PNG data URIs. Nothing is fetched from anywhere. The markup is well-formed
 * XML as well as HTML, so tools (and tests) can parse it.
 */
public final class HtmlReport {
    private static final String TRAIN_COLOR = "#1f77b4";
    private static final String VALIDATION_COLOR = "#ff7f0e";
    private static final String STYLE = """
            body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1040px;
                   color: #222; padding: 0 1em; }
            h1 { font-size: 1.6em; margin-bottom: 0.2em; }
            h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
            table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
            td, th { padding: 0.25em 0.6em; text-align: right; }
            .facts td, .facts th { text-align: left; }
            .facts th { color: #666; font-weight: normal; }
            .epochs tr:nth-child(even) { background: #f6f6f6; }
            .epochs th { border-bottom: 1px solid #ccc; }
            .charts { display: flex; flex-wrap: wrap; gap: 1em; }
            .chart { border: 1px solid #e4e4e4; background: #fff; }
            .chart .grid { stroke: #eee; }
            .chart .axis { stroke: #444; }
            .chart .tick { font-size: 11px; fill: #444; }
            .chart .axis-label { font-size: 12px; fill: #222; }
            .chart .chart-title { font-size: 14px; font-weight: 600; fill: #222; }
            .chart .legend-label { font-size: 12px; fill: #222; }
            .confusion td, .confusion th { width: 3.2em; border: 1px solid #ddd; }
            .confusion th { background: #f3f3f3; }
            .confusion td.strong { color: #fff; }
            .confusion .corner { font-size: 0.8em; color: #666; }
            .gallery { display: flex; flex-wrap: wrap; gap: 0.8em; }
            .gallery figure { margin: 0; text-align: center; font-size: 0.85em; }
            .gallery img { width: 84px; height: 84px; image-rendering: pixelated; border: 1px solid #ccc; background: #000; }
            .muted { color: #777; }
            """;

    private HtmlReport() {
    }

    /** Writes the report to {@code file} atomically (temporary file in the same directory, then rename). */
    public static void write(Path file, ReportData data) throws IOException {
        Path target = file.toAbsolutePath();
        // Not Files.createTempFile: that makes an owner-only file, and a report is meant to be shared.
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + "."
                + Long.toUnsignedString(System.nanoTime(), 36) + ".tmp");
        Files.createFile(tmp);
        try {
            Files.writeString(tmp, render(data), StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The whole document. */
    public static String render(ReportData data) {
        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
                .append("<title>").append(Markup.escape(data.title())).append("</title>\n<style>\n").append(STYLE)
                .append("</style>\n</head>\n<body>\n");
        html.append("<h1>").append(Markup.escape(data.title())).append("</h1>\n");
        facts(html, data.facts());
        html.append("<h2>Training curves</h2>\n<div class=\"charts\">\n");
        charts(html, data.epochs());
        html.append("</div>\n<h2>Per-epoch metrics</h2>\n");
        epochTable(html, data.epochs());
        html.append("<h2>Confusion matrix</h2>\n");
        confusion(html, data.confusion());
        html.append("<h2>Worst mistakes</h2>\n");
        gallery(html, data.worst());
        return html.append("</body>\n</html>\n").toString();
    }

    private static void facts(StringBuilder html, Map<String, String> facts) {
        if (facts.isEmpty()) {
            return;
        }
        html.append("<table class=\"facts\">\n");
        for (Map.Entry<String, String> f : facts.entrySet()) {
            html.append("<tr><th>").append(Markup.escape(f.getKey())).append("</th><td>").append(Markup.escape(f.getValue()))
                    .append("</td></tr>\n");
        }
        html.append("</table>\n");
    }

    private static void charts(StringBuilder html, List<EpochMetrics> epochs) {
        int n = epochs.size();
        int[] x = new int[n];
        double[] trainLoss = new double[n];
        double[] validationLoss = new double[n];
        double[] trainAccuracy = new double[n];
        double[] validationAccuracy = new double[n];
        for (int i = 0; i < n; i++) {
            EpochMetrics m = epochs.get(i);
            x[i] = m.epoch();
            trainLoss[i] = m.trainLoss();
            validationLoss[i] = m.validationLoss();
            trainAccuracy[i] = m.trainAccuracy();
            validationAccuracy[i] = m.validationAccuracy();
        }
        html.append(SvgLineChart.render("Loss", "cross-entropy loss", x, List.of(
                new SvgLineChart.Series("train", TRAIN_COLOR, trainLoss),
                new SvgLineChart.Series("validation", VALIDATION_COLOR, validationLoss)), false));
        html.append(SvgLineChart.render("Accuracy", "accuracy", x, List.of(
                new SvgLineChart.Series("train", TRAIN_COLOR, trainAccuracy),
                new SvgLineChart.Series("validation", VALIDATION_COLOR, validationAccuracy)), true));
    }

    private static void epochTable(StringBuilder html, List<EpochMetrics> epochs) {
        html.append("<table class=\"epochs\">\n<tr><th>epoch</th><th>train loss</th><th>train accuracy</th>")
                .append("<th>validation loss</th><th>validation accuracy</th><th>learning rate</th><th>seconds</th>")
                .append("<th>images/s</th></tr>\n");
        for (EpochMetrics m : epochs) {
            html.append("<tr><td>").append(m.epoch()).append("</td><td>").append(Markup.fixed(m.trainLoss(), 4))
                    .append("</td><td>").append(ConfusionMatrix.percent(m.trainAccuracy())).append("</td><td>")
                    .append(Markup.fixed(m.validationLoss(), 4)).append("</td><td>")
                    .append(ConfusionMatrix.percent(m.validationAccuracy())).append("</td><td>")
                    .append(Double.isNaN(m.learningRate()) ? "-" : String.format(Locale.ROOT, "%.3g", m.learningRate()))
                    .append("</td><td>").append(Markup.fixed(m.seconds(), 1)).append("</td><td>")
                    .append(Markup.fixed(m.imagesPerSecond(), 0)).append("</td></tr>\n");
        }
        html.append("</table>\n");
    }

    private static void confusion(StringBuilder html, ConfusionMatrix m) {
        int k = m.classes();
        html.append("<p>Rows: true class; columns: predicted class. Shading: share of the row. Overall accuracy <b>")
                .append(ConfusionMatrix.percent(m.accuracy())).append("</b> (").append(m.correct()).append(" of ")
                .append(m.total()).append(").</p>\n<table class=\"confusion\">\n<tr><th class=\"corner\">true \\ pred</th>");
        for (int p = 0; p < k; p++) {
            html.append("<th>").append(p).append("</th>");
        }
        html.append("<th>accuracy</th></tr>\n");
        for (int t = 0; t < k; t++) {
            html.append("<tr><th>").append(t).append("</th>");
            long row = m.rowTotal(t);
            for (int p = 0; p < k; p++) {
                long c = m.count(t, p);
                double share = row == 0 ? 0 : (double) c / row;
                // Mistakes are rare, so their shade grows with the square root to keep a few visible.
                double alpha = t == p ? share : Math.sqrt(share);
                String rgb = t == p ? "46,160,67" : "218,54,51";
                html.append("<td").append(alpha > 0.6 ? " class=\"strong\"" : "").append(" style=\"background: rgba(")
                        .append(rgb).append(',').append(String.format(Locale.ROOT, "%.3f", alpha)).append(")\" title=\"true ")
                        .append(t).append(", predicted ").append(p).append(": ").append(c).append(" (")
                        .append(ConfusionMatrix.percent(share)).append(" of the row)\">").append(c).append("</td>");
            }
            html.append("<td>").append(ConfusionMatrix.percent(m.classAccuracy(t))).append("</td></tr>\n");
        }
        html.append("</table>\n");
    }

    private static void gallery(StringBuilder html, List<Misclassified> worst) {
        if (worst.isEmpty()) {
            html.append("<p class=\"muted\">No misclassified digits.</p>\n");
            return;
        }
        html.append("<p>The test digits the model was most confidently wrong about.</p>\n<div class=\"gallery\">\n");
        for (Misclassified m : worst) {
            String png = Base64.getEncoder().encodeToString(
                    PngWriter.gray8(Misclassified.SIDE, Misclassified.SIDE, m.pixels()));
            String caption = "true " + m.trueLabel() + ", predicted " + m.predicted();
            html.append("<figure><img src=\"data:image/png;base64,").append(png).append("\" alt=\"").append(caption)
                    .append("\"/><figcaption>").append(m.trueLabel()).append(" &#8594; <b>").append(m.predicted())
                    .append("</b> ").append(Markup.fixed(100 * m.confidence(), 1)).append("%")
                    .append("</figcaption></figure>\n");
        }
        html.append("</div>\n");
    }
}
