package dev.strix.optim.schedule;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cosine annealing with warm restarts (SGDR, Loshchilov and Hutter 2017): the run is cut into
 * cycles; each starts again at {@code max} and anneals down to {@code min} by its last step, so the
 * model is at a low rate, and at its best, at the end of every cycle. A linear warm-up of
 * {@code warmupSteps} opens the first cycle.
 *
 * <pre>
 * k &lt; warmup:       lr(k) = max * (k + 1) / warmup
 * otherwise, with k in cycle c starting at s_c of length L_c:
 *                    t = (k - s_c) / (L_c - 1)
 *                    lr(k) = min + (max - min) * (1 + cos(pi * t)) / 2
 * </pre>
 *
 * Unlike PyTorch's {@code CosineAnnealingWarmRestarts} each cycle reaches {@code min} exactly on its
 * last step (t = 1), so a checkpoint or an evaluation at the end of a cycle sees the annealed model.
 * {@link #doublingEpochs} makes cycles of 1, 2, 4, ... epochs, the last one stretched to end the run.
 */
public record CosineRestarts(double max, double min, long[] cycleSteps, long warmupSteps)
        implements LearningRateSchedule {
    public CosineRestarts {
        ScheduleChecks.requireRate(max, "cosine restarts max rate");
        ScheduleChecks.requireRate(min, "cosine restarts min rate");
        if (cycleSteps.length == 0) {
            throw new IllegalArgumentException("cosine restarts need at least one cycle");
        }
        for (long c : cycleSteps) {
            if (c < 2) {
                throw new IllegalArgumentException("cosine restart cycles need at least 2 steps each, got "
                        + Arrays.toString(cycleSteps));
            }
        }
        if (warmupSteps < 0 || warmupSteps >= cycleSteps[0]) {
            throw new IllegalArgumentException("cosine restarts need 0 <= warm-up < first cycle (" + cycleSteps[0]
                    + " steps), got " + warmupSteps);
        }
        cycleSteps = cycleSteps.clone();
    }

    /**
     * Cycles of 1, 2, 4, ... epochs of {@code stepsPerEpoch}; once the next doubled cycle would not
     * fit in what is left, the current cycle takes all the rest. 15 epochs give 1 + 2 + 4 + 8.
     */
    public static CosineRestarts doublingEpochs(double max, double min, int epochs, long stepsPerEpoch,
                                                long warmupSteps) {
        if (epochs < 1 || stepsPerEpoch < 1) {
            throw new IllegalArgumentException("cosine restarts need epochs >= 1 and steps per epoch >= 1, got "
                    + epochs + " and " + stepsPerEpoch);
        }
        List<Long> cycles = new ArrayList<>();
        int remaining = epochs;
        int length = 1;
        while (remaining > 0) {
            int take = remaining - length < 2 * length ? remaining : length;
            cycles.add(take * stepsPerEpoch);
            remaining -= take;
            length *= 2;
        }
        if (cycles.get(0) < 2) {
            // One step per epoch: a single cycle over the whole run is the only sensible shape.
            return new CosineRestarts(max, min, new long[] {Math.max(2, epochs * stepsPerEpoch)}, 0);
        }
        return new CosineRestarts(max, min, cycles.stream().mapToLong(Long::longValue).toArray(),
                Math.min(warmupSteps, cycles.get(0) - 1));
    }

    /** Cycle lengths in steps. */
    @Override
    public long[] cycleSteps() {
        return cycleSteps.clone();
    }

    @Override
    public double learningRate(long step) {
        ScheduleChecks.requireStep(step);
        if (step < warmupSteps) {
            return max * (step + 1) / warmupSteps;
        }
        long start = 0;
        for (long length : cycleSteps) {
            if (step < start + length) {
                double t = (double) (step - start) / (length - 1);
                return min + (max - min) * (1 + Math.cos(Math.PI * t)) / 2;
            }
            start += length;
        }
        return min;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CosineRestarts r && r.max == max && r.min == min && r.warmupSteps == warmupSteps
                && Arrays.equals(r.cycleSteps, cycleSteps);
    }

    @Override
    public int hashCode() {
        return Double.hashCode(max) * 31 + Arrays.hashCode(cycleSteps);
    }

    @Override
    public String toString() {
        return "CosineRestarts[max=" + max + ", min=" + min + ", cycles=" + Arrays.toString(cycleSteps) + ", warmup="
                + warmupSteps + "]";
    }
}
