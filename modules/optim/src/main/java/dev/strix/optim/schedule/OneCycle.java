package dev.strix.optim.schedule;

/**
 * The one-cycle policy of Smith and Topin, exactly as PyTorch's {@code OneCycleLR} with its
 * defaults ({@code anneal_strategy='cos'}, {@code three_phase=False}): a cosine rise from
 * {@code initial = max / divFactor} to {@code max}, then a cosine fall to
 * {@code min = initial / finalDivFactor}.
 *
 * <pre>
 * peak = pctStart * totalSteps - 1          (the step at which the rate is max)
 * last = totalSteps - 1                     (the step at which the rate is min)
 * cos(a, b, t) = b + (a - b) * (1 + cos(pi * t)) / 2
 * k &lt;= peak:  lr(k) = cos(initial, max, k / peak)
 * otherwise:  lr(k) = cos(max, min, (k - peak) / (last - peak))
 * </pre>
 *
 * The schedule covers steps {@code 0 .. totalSteps - 1}; asking for a later step is an error, as
 * it is in PyTorch, because the run is longer than the schedule was made for.
 */
public record OneCycle(double max, long totalSteps, double pctStart, double divFactor, double finalDivFactor)
        implements LearningRateSchedule {
    public OneCycle {
        ScheduleChecks.requireRate(max, "one-cycle max rate");
        if (!(pctStart > 0 && pctStart < 1)) {
            throw new IllegalArgumentException("one-cycle pctStart must lie in (0, 1), got " + pctStart);
        }
        if (!(divFactor > 0) || !(finalDivFactor > 0)) {
            throw new IllegalArgumentException("one-cycle div factors must be > 0, got divFactor " + divFactor
                    + " and finalDivFactor " + finalDivFactor);
        }
        double peak = pctStart * totalSteps - 1;
        if (!(peak > 0) || !(totalSteps - 1 > peak)) {
            throw new IllegalArgumentException("one-cycle with " + totalSteps + " total steps and pctStart " + pctStart
                    + " leaves no room for both phases (peak at step " + peak + ")");
        }
    }

    /** PyTorch's defaults: {@code pct_start = 0.3}, {@code div_factor = 25}, {@code final_div_factor = 1e4}. */
    public OneCycle(double max, long totalSteps) {
        this(max, totalSteps, 0.3, 25, 1e4);
    }

    /** The rate at step 0. */
    public double initial() {
        return max / divFactor;
    }

    /** The rate at the last step. */
    public double min() {
        return initial() / finalDivFactor;
    }

    @Override
    public double learningRate(long step) {
        ScheduleChecks.requireStep(step);
        if (step >= totalSteps) {
            throw new IllegalArgumentException("one-cycle schedule of " + totalSteps
                    + " steps asked for step " + step + "; make it with the run's true number of steps");
        }
        double peak = pctStart * totalSteps - 1;
        if (step <= peak) {
            return anneal(initial(), max, step / peak);
        }
        return anneal(max, min(), (step - peak) / (totalSteps - 1 - peak));
    }

    private static double anneal(double from, double to, double t) {
        return to + (from - to) * (1 + Math.cos(Math.PI * t)) / 2;
    }
}
