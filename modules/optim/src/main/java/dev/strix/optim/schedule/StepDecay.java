package dev.strix.optim.schedule;

/**
 * Multiplies the rate by {@code gamma} every {@code stepSize} steps, as PyTorch's {@code StepLR}
 * counted in optimizer steps: {@code lr(k) = initial * gamma^floor(k / stepSize)}.
 */
public record StepDecay(double initial, long stepSize, double gamma) implements LearningRateSchedule {
    public StepDecay {
        ScheduleChecks.requireRate(initial, "step decay initial rate");
        if (stepSize < 1) {
            throw new IllegalArgumentException("step decay step size must be >= 1, got " + stepSize);
        }
        if (!(gamma > 0) || Double.isInfinite(gamma)) {
            throw new IllegalArgumentException("step decay gamma must be finite and > 0, got " + gamma);
        }
    }

    @Override
    public double learningRate(long step) {
        ScheduleChecks.requireStep(step);
        return initial * Math.pow(gamma, step / stepSize);
    }
}
