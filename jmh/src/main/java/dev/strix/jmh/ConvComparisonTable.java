package dev.strix.jmh;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The GPU convolution benchmark as one Markdown table: a row per (layer, batch, pass, maths), a
 * column of microseconds per algorithm, and each algorithm's time divided by cuDNN's from the same
 * run (above 1: slower than cuDNN). IM2COL_BATCH_MATRIX is im2col's one-GEMM-over-the-batch form
 * (channel-major Z). CUDNN is the Conv2D layer's cuDNN path (NCHW); CUDNN_NHWC and
 * CUDNN_NCHW are {@link CudnnLayoutBenchmark}'s direct cuDNN calls on NHWC and NCHW operands, so
 * {@code CUDNN_NHWC / CUDNN} below 1 says NHWC is the faster layout. A column nothing was measured
 * for is left out.
 */
final class ConvComparisonTable {
    /** The algorithms, in column order. */
    static final List<String> ALGORITHMS = List.of("STRIDED_VIEW", "IM2COL_GEMM", "IM2COL_BATCH_MATRIX", "CUDNN", "CUDNN_NCHW", "CUDNN_NHWC");
    /** The reference of the ratios. */
    private static final String REFERENCE = "CUDNN";

    /** One measurement: microseconds per pass and its 99.9% error. */
    record Measurement(String layer, int batch, String pass, boolean tf32, String algorithm, double micros,
                       double error) {
    }

    private ConvComparisonTable() {
    }

    static String markdown(List<Measurement> measurements, String heading) {
        Map<String, Map<String, Measurement>> rows = new LinkedHashMap<>();
        Set<String> measured = new HashSet<>();
        for (Measurement m : measurements) {
            String key = m.layer() + " | " + m.batch() + " | " + m.pass() + " | " + (m.tf32() ? "TF32" : "FP32");
            rows.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(m.algorithm(), m);
            measured.add(m.algorithm());
        }
        List<String> columns = ALGORITHMS.stream().filter(measured::contains).toList();
        List<String> lines = new ArrayList<>();
        lines.add(heading);
        lines.add("");
        StringBuilder header = new StringBuilder("| layer | batch | pass | maths |");
        StringBuilder rule = new StringBuilder("| --- | ---: | --- | --- |");
        for (String a : columns) {
            header.append(' ').append(a).append(" (µs) |");
            rule.append(" ---: |");
        }
        for (String a : columns) {
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
            for (String a : columns) {
                Measurement m = byAlgorithm.get(a);
                line.append(' ').append(m == null ? "-" : micros(m)).append(" |");
            }
            Measurement reference = byAlgorithm.get(REFERENCE);
            for (String a : columns) {
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
