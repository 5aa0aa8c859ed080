package dev.strix.optim.schedule;

/** The same learning rate for every step. */
public record Constant(double rate) implements LearningRateSchedule {
    public Constant {
        ScheduleChecks.requireRate(rate, "constant learning rate");
    }

    @Override
    public double learningRate(long step) {
        ScheduleChecks.requireStep(step);
        return rate;
    }
}
