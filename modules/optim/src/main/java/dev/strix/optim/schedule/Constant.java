package dev.strix.optim.schedule;

/** The same learning rate for every step. */
public record Constant(double rate) implements LearningRateSchedule {
    public Constant {
        LearningRateSchedule.requireRate(rate, "constant learning rate");
    }

    @Override
    public double learningRate(long step) {
        LearningRateSchedule.requireStep(step);
        return rate;
    }
}
