package dev.strix.mnist.progress;

import dev.strix.mnist.report.EpochMetrics;
import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Shows training progress. On a terminal: one bar redrawn in place (at most every
 * {@link #REDRAW_NANOS}) with images/s and the time left in the epoch. Elsewhere (a log file, CI):
 * a plain line each time the epoch passes another tenth, or {@link #QUIET_NANOS} after the last
 * line, whichever comes first. Either way each epoch ends with one {@link #summary} line.
 *
 * <p>The clock is injected so tests can drive it; rates are measured from the epoch's start.
 */
public final class ProgressReporter {
    /** Shortest interval between two redraws of the terminal bar. */
    public static final long REDRAW_NANOS = 100_000_000L;
    /** Longest silence in plain mode. */
    public static final long QUIET_NANOS = 30_000_000_000L;
    static final int BAR_WIDTH = 30;

    private final PrintStream out;
    private final boolean terminal;
    private final LongSupplier nanoTime;

    private int epoch;
    private int epochs;
    private long total;
    private long startNanos;
    private long lastPrintNanos;
    private int lastTenth;
    private boolean barShown;

    public ProgressReporter(PrintStream out, boolean terminal, LongSupplier nanoTime) {
        this.out = out;
        this.terminal = terminal;
        this.nanoTime = nanoTime;
    }

    /** A reporter on {@code out} with the real clock, in bar mode when the JVM's console is a terminal. */
    public static ProgressReporter forConsole(PrintStream out) {
        Console console = System.console();
        return new ProgressReporter(out, console != null && console.isTerminal(), System::nanoTime);
    }

    public boolean isTerminal() {
        return terminal;
    }

    /** Starts epoch {@code epoch} (1-based) of {@code epochs}, which will process {@code images} images. */
    public void startEpoch(int epoch, int epochs, long images) {
        this.epoch = epoch;
        this.epochs = epochs;
        this.total = images;
        this.startNanos = nanoTime.getAsLong();
        this.lastPrintNanos = startNanos;
        this.lastTenth = 0;
        this.barShown = false;
    }

    /** Reports that {@code done} images of the epoch are processed, with the epoch's running mean loss. */
    public void update(long done, double meanLoss) {
        long now = nanoTime.getAsLong();
        if (terminal) {
            boolean finished = done >= total;
            if (barShown && !finished && now - lastPrintNanos < REDRAW_NANOS) {
                return;
            }
            out.print("\r" + bar(done, meanLoss, now) + "\u001b[K");
            out.flush();
            barShown = true;
            lastPrintNanos = now;
            return;
        }
        int tenth = total == 0 ? 10 : (int) Math.min(10, done * 10 / total);
        boolean newTenth = tenth > lastTenth && tenth < 10;
        if (newTenth || now - lastPrintNanos >= QUIET_NANOS && done < total) {
            out.println(plainLine(done, meanLoss, now));
            lastTenth = tenth;
            lastPrintNanos = now;
        }
    }

    /** Ends the epoch: clears the bar on a terminal, then prints the summary line. */
    public void finishEpoch(EpochMetrics metrics) {
        if (terminal && barShown) {
            out.print("\r\u001b[K");
        }
        out.println(summary(metrics, epochs));
        out.flush();
        barShown = false;
    }

    String bar(long done, double meanLoss, long now) {
        int filled = total == 0 ? BAR_WIDTH : (int) (BAR_WIDTH * Math.min(done, total) / total);
        return epochLabel() + " [" + "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled) + "] "
                + String.format(Locale.ROOT, "%3d%%", percent(done)) + " " + done + "/" + total + "  " + rateAndEta(done, now)
                + "  loss " + String.format(Locale.ROOT, "%.4f", meanLoss);
    }

    String plainLine(long done, double meanLoss, long now) {
        return epochLabel() + "  " + done + "/" + total + " images (" + percent(done) + "%)  " + rateAndEta(done, now)
                + "  loss " + String.format(Locale.ROOT, "%.4f", meanLoss);
    }

    private int percent(long done) {
        return total == 0 ? 100 : (int) (100 * Math.min(done, total) / total);
    }

    private String epochLabel() {
        String width = String.valueOf(String.valueOf(epochs).length());
        return String.format(Locale.ROOT, "epoch %" + width + "d/%d", epoch, epochs);
    }

    private String rateAndEta(long done, long now) {
        double seconds = (now - startNanos) / 1e9;
        if (seconds <= 0 || done <= 0) {
            return "- img/s  ETA -";
        }
        double rate = done / seconds;
        return String.format(Locale.ROOT, "%.0f img/s  ETA %s", rate, clock(Math.max(0, total - done) / rate));
    }

    /** {@code m:ss}, or {@code h:mm:ss} from an hour up. */
    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /**
     * The epoch's one-line summary, e.g.
     * {@code epoch  2/10  train loss 0.1234  train acc 96.52%  val acc 97.81%  12.3 s  4878 img/s}.
     * A metric that was not measured shows as "-".
     */
    public static String summary(EpochMetrics m, int epochs) {
        String width = String.valueOf(String.valueOf(epochs).length());
        return String.format(Locale.ROOT, "epoch %" + width + "d/%d  train loss %s  train acc %s  val acc %s  %.1f s  %.0f img/s",
                m.epoch(), epochs, Double.isNaN(m.trainLoss()) ? "-" : String.format(Locale.ROOT, "%.4f", m.trainLoss()),
                percentOrDash(m.trainAccuracy()), percentOrDash(m.validationAccuracy()), m.seconds(), m.imagesPerSecond());
    }

    private static String percentOrDash(double fraction) {
        return Double.isNaN(fraction) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }
}
