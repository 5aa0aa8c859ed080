package dev.strix.optim.schedule;

/**
 * The learning rate as a function of the optimizer step: {@code learningRate(k)} is the rate the
 * {@code k}-th update uses, counting from 0. Schedules that shape a whole run (cosine, one-cycle)
 * are told its total number of steps when they are made. A schedule is a pure function, so a
 * restored optimizer resumes the schedule exactly from its restored step count.
 */
@FunctionalInterface
public interface LearningRateSchedule {
    /** The learning rate for update number {@code step} (0-based). */
    double learningRate(long step);

    /** Fails unless {@code value} is finite and not negative; for schedule constructors. */
    static double requireRate(double value, String what) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(what + " must be a finite learning rate >= 0, got " + value);
        }
        return value;
    }

    /** Fails when {@code step} is negative; for schedules. */
    static void requireStep(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("learning-rate schedule asked for negative step " + step);
        }
    }
}
