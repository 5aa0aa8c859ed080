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
}
