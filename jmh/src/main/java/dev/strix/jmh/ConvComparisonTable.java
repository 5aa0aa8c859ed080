package dev.strix.jmh;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The GPU convolution benchmark as one Markdown table: a row per (layer, batch, pass, maths), a
 * column of microseconds per algorithm, and each algorithm's time divided by cuDNN's from the same
 * run (above 1: slower than cuDNN).
 */
final class ConvComparisonTable {
    /** The algorithms, in column order; the last is the reference of the ratios. */
    static final List<String> ALGORITHMS = List.of("STRIDED_VIEW", "IM2COL_GEMM", "CUDNN");
    private static final String REFERENCE = "CUDNN";

    /** One measurement: microseconds per pass and its 99.9% error. */
    record Measurement(String layer, int batch, String pass, boolean tf32, String algorithm, double micros,
                       double error) {
    }

    private ConvComparisonTable() {
    }

    static String markdown(List<Measurement> measurements, String heading) {
        Map<String, Map<String, Measurement>> rows = new LinkedHashMap<>();
        for (Measurement m : measurements) {
            String key = m.layer() + " | " + m.batch() + " | " + m.pass() + " | " + (m.tf32() ? "TF32" : "FP32");
            rows.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(m.algorithm(), m);
        }
        List<String> lines = new ArrayList<>();
        lines.add(heading);
        lines.add("");
        StringBuilder header = new StringBuilder("| layer | batch | pass | maths |");
        StringBuilder rule = new StringBuilder("| --- | ---: | --- | --- |");
        for (String a : ALGORITHMS) {
            header.append(' ').append(a).append(" (µs) |");
            rule.append(" ---: |");
        }
        for (String a : ALGORITHMS) {
            if (!a.equals(REFERENCE)) {
                header.append(' ').append(a).append(" / ").append(REFERENCE).append(" |");
                rule.append(" ---: |");
            }
        }
        lines.add(header.toString());
        lines.add(rule.toString());
        for (Map.Entry<String, Map<String, Measurement>> row : rows.entrySet()) {
            StringBuilder line = new StringBuilder("| ").append(row.getKey()).append(" |");
            Map<String, Measurement> byAlgorithm = row.getValue();
            for (String a : ALGORITHMS) {
                Measurement m = byAlgorithm.get(a);
                line.append(' ').append(m == null ? "-" : micros(m)).append(" |");
            }
            Measurement reference = byAlgorithm.get(REFERENCE);
            for (String a : ALGORITHMS) {
                if (a.equals(REFERENCE)) {
                    continue;
                }
                Measurement m = byAlgorithm.get(a);
                boolean comparable = m != null && reference != null && reference.micros() > 0;
                line.append(' ').append(comparable
                        ? String.format(Locale.ROOT, "%.2f", m.micros() / reference.micros()) : "-").append(" |");
            }
            lines.add(line.toString());
        }
        return String.join("\n", lines) + "\n";
    }

    /** "1234.5 ± 6.7", or the value alone when JMH gave no error (a single iteration). */
    private static String micros(Measurement m) {
        String value = String.format(Locale.ROOT, m.micros() >= 100 ? "%.1f" : "%.2f", m.micros());
        if (Double.isNaN(m.error())) {
            return value;
        }
        return value + String.format(Locale.ROOT, m.error() >= 100 ? " ± %.1f" : " ± %.2f", m.error());
    }
}
