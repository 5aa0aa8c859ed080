package dev.strix.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The default timeline (the CPU's): one interval between each two marks, in milliseconds of host time. */
class HostClockTimelineTest {
    @Test
    void intervalsLieBetweenConsecutiveMarks() throws InterruptedException {
        try (Timeline timeline = Backends.cpu().timeline()) {
            assertEquals(0, timeline.intervals().length);
            timeline.mark();
            assertEquals(0, timeline.intervals().length);
            Thread.sleep(30);
            timeline.mark();
            timeline.mark();
            double[] ms = timeline.intervals();
            assertEquals(2, ms.length);
            // A sleep lasts at least as long as asked; nothing ran between the last two marks.
            assertTrue(ms[0] >= 30 && ms[1] >= 0 && ms[1] < ms[0], java.util.Arrays.toString(ms));
        }
    }

    @Test
    void resetStartsAnotherRoundAndMarksGrowPastTheFirstBuffer() {
        try (Timeline timeline = Backends.cpu().timeline()) {
            for (int i = 0; i < 5; i++) {
                timeline.mark();
            }
            timeline.reset();
            for (int i = 0; i < 200; i++) {
                timeline.mark();
            }
            double[] ms = timeline.intervals();
            assertEquals(199, ms.length);
            for (double m : ms) {
                assertTrue(m >= 0, "interval " + m);
            }
        }
    }
}
