package dev.strix.mnist.train;

import dev.strix.layers.Mode;
import dev.strix.layers.Sequential;
import dev.strix.layers.loss.SoftmaxCrossEntropy;
import dev.strix.optim.Optimizer;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.Timeline;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a training step's time goes: the step run op by op with a {@link Timeline} marked after
 * every pass of the model ({@link Sequential#observePasses}), after the loss's forward and backward
 * and after the optimizer step; each span's median over the profiled steps, forward and backward
 * beside each other. On a GPU the spans are device time between events, launch gaps included (a
 * step replayed as a CUDA graph runs the same ops without them); on the CPU, wall-clock time.
 * No profiler is needed on the GPU machine, where Nsight's counters may be out of reach.
 */
public final class StepProfile {
    /** One line of the table: a pass (or the loss, or the optimizer), its median milliseconds each way. */
    public record Row(String what, double forwardMs, double backwardMs) {
        double totalMs() {
            return orZero(forwardMs) + orZero(backwardMs);
        }
    }

    private static final String LOSS = "loss: softmax cross-entropy";

    private final List<Row> rows;
    private final int steps;

    StepProfile(List<Row> rows, int steps) {
        this.rows = List.copyOf(rows);
        this.steps = steps;
    }

    public List<Row> rows() {
        return rows;
    }

    /**
     * Profiles {@code steps} training steps of {@code net} on {@code images} and {@code labels}
     * (after the caller's warm-up: buffers sized, JIT compiled, cuDNN's algorithms chosen).
     */
    public static StepProfile measure(Backend backend, Sequential net, SoftmaxCrossEntropy loss, Optimizer optimizer,
                                      Tensor images, Tensor labels, int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("profile steps must be at least 1, got " + steps);
        }
        // Per span of the step, in the order they ran: its name, whether backward, and one time per step.
        List<String> names = new ArrayList<>();
        List<Boolean> backward = new ArrayList<>();
        List<double[]> times = new ArrayList<>();
        try (Timeline timeline = backend.timeline()) {
            net.observePasses((first, last, label, isBackward) -> {
                timeline.mark();
                names.add(label);
                backward.add(isBackward);
            });
            try {
                for (int step = 0; step < steps; step++) {
                    names.clear();
                    backward.clear();
                    optimizer.prepareStep();
                    timeline.reset();
                    timeline.mark();
                    Tensor logits = net.forward(images, Mode.TRAINING);
                    loss.forward(logits, labels);
                    timeline.mark();
                    names.add(LOSS);
                    backward.add(false);
                    Tensor dLogits = loss.backward();
                    timeline.mark();
                    names.add(LOSS);
                    backward.add(true);
                    net.backwardParameters(dLogits);
                    optimizer.applyStep();
                    timeline.mark();
                    names.add("optimizer step: " + optimizer.getClass().getSimpleName());
                    backward.add(true);
                    double[] ms = timeline.intervals();
                    if (times.isEmpty()) {
                        for (int i = 0; i < ms.length; i++) {
                            times.add(new double[steps]);
                        }
                    }
                    for (int i = 0; i < ms.length; i++) {
                        times.get(i)[step] = ms[i];
                    }
                }
            } finally {
                net.observePasses(null);
            }
        }
        Map<String, double[]> byName = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            double[] pair = byName.computeIfAbsent(names.get(i), k -> new double[] {Double.NaN, Double.NaN});
            pair[backward.get(i) ? 1 : 0] = median(times.get(i));
        }
        List<Row> rows = new ArrayList<>();
        byName.forEach((name, pair) -> rows.add(new Row(name, pair[0], pair[1])));
        return new StepProfile(rows, steps);
    }

    /** A direction a row does not have (NaN) counts as no time. */
    private static double orZero(double ms) {
        return Double.isNaN(ms) ? 0 : ms;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * The table: a header line, one line per row (milliseconds with 3 decimals, "-" for a direction
     * a row does not have, its share of the step), then the step's totals.
     */
    public String table() {
        int width = "step (sum of the medians)".length();
        for (Row r : rows) {
            width = Math.max(width, r.what().length());
        }
        double forward = 0;
        double backward = 0;
        for (Row r : rows) {
            forward += orZero(r.forwardMs());
            backward += orZero(r.backwardMs());
        }
        double total = forward + backward;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "profile: median of %d step%s run op by op (on a GPU: device time between"
                + " events, launch gaps included)%n", steps, steps == 1 ? "" : "s"));
        String format = "  %-" + width + "s  %10s  %11s  %6s%n";
        s.append(String.format(Locale.ROOT, format, "pass", "forward ms", "backward ms", "share"));
        for (Row r : rows) {
            s.append(String.format(Locale.ROOT, format, r.what(), milliseconds(r.forwardMs()),
                    milliseconds(r.backwardMs()), share(r.totalMs(), total)));
        }
        s.append(String.format(Locale.ROOT, format, "step (sum of the medians)", milliseconds(forward),
                milliseconds(backward), share(total, total)));
        return s.toString();
    }

    private static String milliseconds(double ms) {
        return Double.isNaN(ms) ? "-" : String.format(Locale.ROOT, "%.3f", ms);
    }

    private static String share(double part, double total) {
        return total > 0 ? String.format(Locale.ROOT, "%.1f%%", 100 * part / total) : "-";
    }
}
