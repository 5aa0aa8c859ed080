package dev.strix.optim.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CosineRestartsTest {
    @Test
    void fifteenEpochsAreCyclesOfOneTwoFourAndEight() {
        assertArrayEquals(new long[] {100, 200, 400, 800},
                CosineRestarts.doublingEpochs(1e-3, 0, 15, 100, 10).cycleSteps());
        assertArrayEquals(new long[] {100, 200, 700}, CosineRestarts.doublingEpochs(1e-3, 0, 10, 100, 0).cycleSteps());
        assertArrayEquals(new long[] {200}, CosineRestarts.doublingEpochs(1e-3, 0, 2, 100, 0).cycleSteps());
        assertArrayEquals(new long[] {100}, CosineRestarts.doublingEpochs(1e-3, 0, 1, 100, 0).cycleSteps());
    }

    @Test
    void everyCycleStartsAtMaxAndEndsAtMin() {
        // Cycles of 5 and 9 steps, no warm-up: steps 0..4 then 5..13.
        CosineRestarts s = new CosineRestarts(1.0, 0.1, new long[] {5, 9}, 0);
        assertEquals(1.0, s.learningRate(0), 1e-15);
        // Middle of the first cycle: t = 2/4, cos(pi/2) = 0, so min + (max - min) / 2 = 0.55.
        assertEquals(0.55, s.learningRate(2), 1e-15);
        assertEquals(0.1, s.learningRate(4), 1e-15);
        assertEquals(1.0, s.learningRate(5), 1e-15);
        // t = 2/8 in the second cycle: 0.1 + 0.9 * (1 + cos(pi/4)) / 2.
        assertEquals(0.1 + 0.9 * (1 + Math.sqrt(0.5)) / 2, s.learningRate(7), 1e-15);
        assertEquals(0.1, s.learningRate(13), 1e-15);
        assertEquals(0.1, s.learningRate(20), 1e-15, "past the run it stays at min");
    }

    @Test
    void warmUpRisesLinearlyToMax() {
        CosineRestarts s = new CosineRestarts(2.0, 0, new long[] {10}, 4);
        assertEquals(0.5, s.learningRate(0), 1e-15);
        assertEquals(2.0, s.learningRate(3), 1e-15);
        // After the warm-up the cycle continues where step 4 falls: t = 4/9.
        assertEquals((1 + Math.cos(Math.PI * 4 / 9)), s.learningRate(4), 1e-15);
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new CosineRestarts(1, 0, new long[0], 0));
        assertThrows(IllegalArgumentException.class, () -> new CosineRestarts(1, 0, new long[] {1}, 0));
        assertThrows(IllegalArgumentException.class, () -> new CosineRestarts(1, 0, new long[] {5}, 5));
    }
}
