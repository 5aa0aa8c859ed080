package dev.strix.tensor;

/** Backend ops recorded once by {@link GraphCapture#capture} and replayed as a whole. */
public interface CapturedGraph extends AutoCloseable {
    /**
     * Queues one replay of every recorded op, in order with the backend's other ops; returns before
     * the device has finished, like any op.
     */
    void launch();

    /** Releases the graph; it must not be launched afterwards. */
    @Override
    void close();
}
