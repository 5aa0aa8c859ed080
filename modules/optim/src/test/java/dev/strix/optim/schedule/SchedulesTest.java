package dev.strix.optim.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Schedules at the steps where their value is known in closed form. */
class SchedulesTest {
    private static final double EXACT = 1e-12;

    @Test
    void constant() {
        Constant c = new Constant(0.05);
        assertEquals(0.05, c.learningRate(0), 0);
        assertEquals(0.05, c.learningRate(1_000_000), 0);
        assertThrows(IllegalArgumentException.class, () -> new Constant(-1));
    }

    @Test
    void stepDecay() {
        StepDecay s = new StepDecay(0.1, 30, 0.1);
        assertEquals(0.1, s.learningRate(0), EXACT);
        assertEquals(0.1, s.learningRate(29), EXACT);
        assertEquals(0.01, s.learningRate(30), EXACT);
        assertEquals(0.01, s.learningRate(59), EXACT);
        assertEquals(0.001, s.learningRate(60), EXACT);
        assertThrows(IllegalArgumentException.class, () -> new StepDecay(0.1, 0, 0.1));
    }

    @Test
    void cosineStartsAtMaxPassesTheMidpointAndEndsAtMin() {
        CosineAnnealing c = new CosineAnnealing(0.1, 0.001, 100);
        assertEquals(0.1, c.learningRate(0), EXACT);
        // Half way: cos(pi/2) = 0, so (max + min) / 2 = 0.0505.
        assertEquals(0.0505, c.learningRate(50), EXACT);
        // A quarter: min + (max - min) (1 + cos(pi/4)) / 2 = 0.001 + 0.099 * 0.85355339059327373.
        assertEquals(0.001 + 0.099 * 0.85355339059327373, c.learningRate(25), EXACT);
        assertEquals(0.001, c.learningRate(100), EXACT);
        assertEquals(0.001, c.learningRate(150), EXACT, "stays at min past the end");
    }

    @Test
    void cosineWarmsUpLinearlyThenAnneals() {
        CosineAnnealing c = new CosineAnnealing(0.1, 0, 110, 10);
        assertEquals(0.01, c.learningRate(0), EXACT);
        assertEquals(0.05, c.learningRate(4), EXACT);
        assertEquals(0.1, c.learningRate(9), EXACT);
        assertEquals(0.1, c.learningRate(10), EXACT);
        assertEquals(0.05, c.learningRate(60), EXACT);
        assertEquals(0.0, c.learningRate(110), EXACT);
        assertThrows(IllegalArgumentException.class, () -> new CosineAnnealing(0.1, 0, 10, 10));
    }

    @Test
    void oneCycleRisesToMaxAtPctStartAndFallsToMaxOverDivTimesFinalDiv() {
        OneCycle o = new OneCycle(0.1, 1000);
        // Starts at max / div_factor = 0.1 / 25 = 0.004.
        assertEquals(0.004, o.learningRate(0), EXACT);
        // Peak at step pct_start * total - 1 = 0.3 * 1000 - 1 = 299.
        assertEquals(0.1, o.learningRate(299), EXACT);
        assertTrue(o.learningRate(298) < 0.1 && o.learningRate(300) < 0.1, "299 is the peak");
        // Half way up (step 149.5 of 299 is not a step; use the phase fraction 149 / 299):
        // 0.1 + (0.004 - 0.1) (1 + cos(pi * 149/299)) / 2.
        assertEquals(0.1 + (0.004 - 0.1) * (1 + Math.cos(Math.PI * 149 / 299.0)) / 2, o.learningRate(149), EXACT);
        // Last step 999: max / (div_factor * final_div_factor) = 0.1 / (25 * 1e4) = 4e-7.
        assertEquals(4e-7, o.learningRate(999), 1e-18);
        // Half way down, fraction (649 - 299) / (999 - 299) = 0.5: (max + min) / 2.
        assertEquals((0.1 + 4e-7) / 2, o.learningRate(649), EXACT);
        assertThrows(IllegalArgumentException.class, () -> o.learningRate(1000), "past the schedule");
    }

    @Test
    void oneCycleWithOwnFactors() {
        OneCycle o = new OneCycle(1.0, 100, 0.25, 10, 100);
        assertEquals(0.1, o.learningRate(0), EXACT);
        assertEquals(1.0, o.learningRate(24), EXACT);
        assertEquals(1e-3, o.learningRate(99), EXACT);
        assertThrows(IllegalArgumentException.class, () -> new OneCycle(1.0, 3, 0.3, 25, 1e4), "too short a run");
    }
}
