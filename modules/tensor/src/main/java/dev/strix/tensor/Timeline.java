package dev.strix.tensor;

/**
 * Points marked in a backend's order of work, and the time the backend spent between consecutive
 * ones: what a step profile is made of. A backend that queues its ops on a device records a device
 * event at each mark (CUDA: {@code cuEventRecord}), so marking costs no wait and the intervals are
 * device time; {@link Backend#timeline()}'s default waits for the backend at each mark and reads the
 * host clock, which on the CPU (whose ops are done when they return) is the same thing.
 *
 * <p>Marks are not allowed while a graph is being recorded ({@link GraphCapture}).
 */
public interface Timeline extends AutoCloseable {
    /** Marks the point after every op issued so far. */
    void mark();

    /**
     * Milliseconds between consecutive marks since the last {@link #reset()}: one value fewer than
     * there were marks (none for fewer than two). Waits for the backend to pass the last mark.
     */
    double[] intervals();

    /** Forgets the marks, to start another round. */
    void reset();

    @Override
    void close();
}
