package dev.strix.mnist.report;

import java.util.Locale;

/**
 * Counts of (true class, predicted class) pairs. Row {@code t} column {@code p} counts the images
 * of class {@code t} predicted as {@code p}; the diagonal holds the correct predictions, and the
 * accuracy of class {@code c} is its diagonal count over its row total (its recall).
 */
public final class ConfusionMatrix {
    private final long[][] counts;

    public ConfusionMatrix(int classes) {
        if (classes <= 0) {
            throw new IllegalArgumentException("a confusion matrix needs at least one class, got " + classes);
        }
        counts = new long[classes][classes];
    }

    /** A matrix holding a copy of {@code counts} (square, non-negative). */
    public static ConfusionMatrix of(int[][] counts) {
        ConfusionMatrix m = new ConfusionMatrix(counts.length);
        for (int t = 0; t < counts.length; t++) {
            if (counts[t].length != counts.length) {
                throw new IllegalArgumentException("row " + t + " has " + counts[t].length + " entries, expected " + counts.length);
            }
            for (int p = 0; p < counts.length; p++) {
                if (counts[t][p] < 0) {
                    throw new IllegalArgumentException("negative count " + counts[t][p] + " at (" + t + ", " + p + ")");
                }
                m.counts[t][p] = counts[t][p];
            }
        }
        return m;
    }

    public int classes() {
        return counts.length;
    }

    /** Counts one image of class {@code trueClass} predicted as {@code predicted}. */
    public void add(int trueClass, int predicted) {
        check(trueClass, "true class");
        check(predicted, "predicted class");
        counts[trueClass][predicted]++;
    }

    /** Counts a batch: {@code trueClasses[i]} predicted as {@code predicted[i]}. */
    public void addAll(int[] trueClasses, int[] predicted) {
        if (trueClasses.length != predicted.length) {
            throw new IllegalArgumentException(trueClasses.length + " true classes but " + predicted.length + " predictions");
        }
        for (int i = 0; i < predicted.length; i++) {
            add(trueClasses[i], predicted[i]);
        }
    }

    private void check(int c, String what) {
        if (c < 0 || c >= counts.length) {
            throw new IllegalArgumentException(what + " " + c + " outside 0.." + (counts.length - 1));
        }
    }

    public long count(int trueClass, int predicted) {
        return counts[trueClass][predicted];
    }

    /** Images of class {@code trueClass}. */
    public long rowTotal(int trueClass) {
        long n = 0;
        for (long c : counts[trueClass]) {
            n += c;
        }
        return n;
    }

    public long total() {
        long n = 0;
        for (int t = 0; t < counts.length; t++) {
            n += rowTotal(t);
        }
        return n;
    }

    public long correct() {
        long n = 0;
        for (int c = 0; c < counts.length; c++) {
            n += counts[c][c];
        }
        return n;
    }

    /** Correct over total; NaN when empty. */
    public double accuracy() {
        long total = total();
        return total == 0 ? Double.NaN : (double) correct() / total;
    }

    /** Accuracy on the images of class {@code c} (recall); NaN when there were none. */
    public double classAccuracy(int c) {
        long n = rowTotal(c);
        return n == 0 ? Double.NaN : (double) counts[c][c] / n;
    }

    public int[][] toArray() {
        int[][] out = new int[counts.length][counts.length];
        for (int t = 0; t < counts.length; t++) {
            for (int p = 0; p < counts.length; p++) {
                out[t][p] = Math.toIntExact(counts[t][p]);
            }
        }
        return out;
    }

    public void clear() {
        for (long[] row : counts) {
            java.util.Arrays.fill(row, 0);
        }
    }

    /** The table with a per-class accuracy column and an overall line, each line ending in '\n'. */
    public String format() {
        int width = Math.max(5, String.valueOf(maxCount()).length() + 1);
        StringBuilder sb = new StringBuilder();
        sb.append("true\\pred");
        for (int p = 0; p < counts.length; p++) {
            sb.append(pad(String.valueOf(p), width));
        }
        sb.append("  accuracy\n");
        for (int t = 0; t < counts.length; t++) {
            sb.append(pad(String.valueOf(t), 9));
            for (int p = 0; p < counts.length; p++) {
                sb.append(pad(String.valueOf(counts[t][p]), width));
            }
            sb.append(pad(percent(classAccuracy(t)), 10)).append('\n');
        }
        sb.append("overall accuracy ").append(percent(accuracy())).append(" (").append(correct()).append('/')
                .append(total()).append(")\n");
        return sb.toString();
    }

    private long maxCount() {
        long max = 0;
        for (long[] row : counts) {
            for (long c : row) {
                max = Math.max(max, c);
            }
        }
        return max;
    }

    static String percent(double fraction) {
        return Double.isNaN(fraction) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }

    private static String pad(String s, int width) {
        return " ".repeat(Math.max(0, width - s.length())) + s;
    }

    @Override
    public String toString() {
        return format();
    }
}
