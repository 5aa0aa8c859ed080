package dev.strix.optim.schedule;

/**
 * Cosine annealing from {@code max} down to {@code min} over a run of {@code totalSteps}, after an
 * optional linear warm-up. With no warm-up it is PyTorch's {@code CosineAnnealingLR} with
 * {@code T_max = totalSteps}:
 *
 * <pre>
 * k &lt; warmup:  lr(k) = max * (k + 1) / warmup
 * otherwise:   t = min(1, (k - warmup) / (totalSteps - warmup))
 *              lr(k) = min + (max - min) * (1 + cos(pi * t)) / 2
 * </pre>
 *
 * The warm-up starts at {@code max / warmup} rather than 0 (a step at rate 0 would be wasted) and
 * reaches {@code max} on its last step; past {@code totalSteps} the rate stays at {@code min}.
 */
public record CosineAnnealing(double max, double min, long totalSteps, long warmupSteps)
        implements LearningRateSchedule {
    public CosineAnnealing {
        ScheduleChecks.requireRate(max, "cosine annealing max rate");
        ScheduleChecks.requireRate(min, "cosine annealing min rate");
        if (warmupSteps < 0 || totalSteps <= warmupSteps) {
            throw new IllegalArgumentException("cosine annealing needs 0 <= warmup steps < total steps, got warmup "
                    + warmupSteps + " and total " + totalSteps);
        }
    }

    /** No warm-up. */
    public CosineAnnealing(double max, double min, long totalSteps) {
        this(max, min, totalSteps, 0);
    }

    @Override
    public double learningRate(long step) {
        ScheduleChecks.requireStep(step);
        if (step < warmupSteps) {
            return max * (step + 1) / warmupSteps;
        }
        double t = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
        return min + (max - min) * (1 + Math.cos(Math.PI * t)) / 2;
    }
}
