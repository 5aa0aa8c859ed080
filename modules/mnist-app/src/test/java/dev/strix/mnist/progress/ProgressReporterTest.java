package dev.strix.mnist.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.strix.mnist.report.EpochMetrics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressReporterTest {
    private static final long T0 = 5_000_000_000L;
    private static final String NL = System.lineSeparator();

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private long now = T0;

    private String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private void at(double seconds) {
        now = T0 + Math.round(seconds * 1e9);
    }

    private static final EpochMetrics EPOCH_2 = new EpochMetrics(2, 0.123456, 0.96523, 0.1, 0.97812, 0.01, 12.345, 4878.4);

    @Test
    void terminalModeRedrawsOneThrottledBarThenPrintsTheSummary() {
        ProgressReporter p = new ProgressReporter(out, true, () -> now);
        p.startEpoch(2, 10, 60_000);
        p.update(0, 2.3026);
        at(0.05);
        p.update(6_000, 1.5); // within 100 ms of the last draw: skipped
        at(3);
        p.update(15_000, 0.9);
        at(3.05);
        p.update(60_000, 0.5); // the end is always drawn
        p.finishEpoch(EPOCH_2);

        String expected = "\repoch  2/10 [..............................]   0% 0/60000  - img/s  ETA -  loss 2.3026\u001b[K"
                + "\repoch  2/10 [#######.......................]  25% 15000/60000  5000 img/s  ETA 0:09  loss 0.9000\u001b[K"
                + "\repoch  2/10 [##############################] 100% 60000/60000  19672 img/s  ETA 0:00  loss 0.5000\u001b[K"
                + "\r\u001b[K"
                + "epoch  2/10  train loss 0.1235  train acc 96.52%  val acc 97.81%  12.3 s  4878 img/s" + NL;
        assertEquals(expected, output());
    }

    @Test
    void plainModePrintsALinePerTenthAndAfterLongSilence() {
        ProgressReporter p = new ProgressReporter(out, false, () -> now);
        p.startEpoch(1, 3, 1000);
        at(1);
        p.update(50, 0.8); // below 10%: nothing
        at(2);
        p.update(100, 0.7); // 10%
        at(3);
        p.update(150, 0.65); // still in the same tenth: nothing
        at(5);
        p.update(350, 0.6); // jumps to 30%: one line
        at(40);
        p.update(360, 0.59); // same tenth, but 35 s of silence
        at(41);
        p.update(1000, 0.5); // done: the summary says it
        p.finishEpoch(new EpochMetrics(1, 0.5, 0.9, Double.NaN, Double.NaN, 0.01, 41, 24.39));

        String expected = "epoch 1/3  100/1000 images (10%)  50 img/s  ETA 0:18  loss 0.7000" + NL
                + "epoch 1/3  350/1000 images (35%)  70 img/s  ETA 0:09  loss 0.6000" + NL
                + "epoch 1/3  360/1000 images (36%)  9 img/s  ETA 1:11  loss 0.5900" + NL
                + "epoch 1/3  train loss 0.5000  train acc 90.00%  val acc -  41.0 s  24 img/s" + NL;
        assertEquals(expected, output());
    }

    @Test
    void eachEpochStartsAfresh() {
        ProgressReporter p = new ProgressReporter(out, false, () -> now);
        p.startEpoch(1, 2, 10);
        at(1);
        p.update(5, 1);
        p.finishEpoch(new EpochMetrics(1, 1, 0.5, Double.NaN, 0.5, 0.1, 1, 10));
        at(11);
        p.startEpoch(2, 2, 10);
        at(12);
        p.update(5, 0.5);
        assertEquals("epoch 1/2  5/10 images (50%)  5 img/s  ETA 0:01  loss 1.0000" + NL
                + "epoch 1/2  train loss 1.0000  train acc 50.00%  val acc 50.00%  1.0 s  10 img/s" + NL
                + "epoch 2/2  5/10 images (50%)  5 img/s  ETA 0:01  loss 0.5000" + NL, output());
    }

    @Test
    void summaryFormatsEveryField() {
        assertEquals("epoch  2/10  train loss 0.1235  train acc 96.52%  val acc 97.81%  12.3 s  4878 img/s",
                ProgressReporter.summary(EPOCH_2, 10));
        assertEquals("epoch 2/2  train loss -  train acc -  val acc 97.81%  12.3 s  4878 img/s",
                ProgressReporter.summary(new EpochMetrics(2, Double.NaN, Double.NaN, 0, 0.97812, 0, 12.345, 4878), 2));
    }

    @Test
    void clockShowsMinutesOrHours() {
        assertEquals("0:00", ProgressReporter.clock(0.4));
        assertEquals("1:11", ProgressReporter.clock(71.1));
        assertEquals("59:59", ProgressReporter.clock(3599));
        assertEquals("1:02:05", ProgressReporter.clock(3725));
    }
}
