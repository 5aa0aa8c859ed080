package dev.strix.tensor;

import java.util.Arrays;

/** {@link Backend#timeline()}'s default: each mark waits for the backend, then reads the host clock. */
final class HostClockTimeline implements Timeline {
    private final Backend backend;
    private long[] nanos = new long[64];
    private int marks;

    HostClockTimeline(Backend backend) {
        this.backend = backend;
    }

    @Override
    public void mark() {
        backend.synchronize();
        if (marks == nanos.length) {
            nanos = Arrays.copyOf(nanos, 2 * marks);
        }
        nanos[marks++] = System.nanoTime();
    }

    @Override
    public double[] intervals() {
        double[] ms = new double[Math.max(0, marks - 1)];
        for (int i = 0; i < ms.length; i++) {
            ms[i] = (nanos[i + 1] - nanos[i]) / 1e6;
        }
        return ms;
    }

    @Override
    public void reset() {
        marks = 0;
    }

    @Override
    public void close() {
        // Nothing held.
    }
}
