package dev.strix.optim.schedule;

/** Argument checks the schedules share. */
final class ScheduleChecks {
    private ScheduleChecks() {
    }

    /** Fails unless {@code value} is finite and not negative. */
    static double requireRate(double value, String what) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(what + " must be a finite learning rate >= 0, got " + value);
        }
        return value;
    }

    /** Fails when {@code step} is negative. */
    static void requireStep(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("learning-rate schedule asked for negative step " + step);
        }
    }
}
