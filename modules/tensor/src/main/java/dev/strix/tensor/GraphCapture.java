package dev.strix.tensor;

/**
 * Records the backend ops that a piece of code issues, once, as a graph that replays them all with
 * one launch (a CUDA graph on the GPU): the code's Java logic runs only while recording, and every
 * replay repeats the same ops with the same arguments on the same memory. What must differ between
 * replays has to be in device memory that ops outside the graph rewrite before each launch (the
 * optimizers' step scalars, the data loader's staged batch indices).
 *
 * <p>Offered by backends that queue ops on a device ({@link Backend#graphCapture()}); a backend that
 * runs ops as they are called has nothing to record.
 */
@FunctionalInterface
public interface GraphCapture {
    /**
     * Runs {@code ops} while recording, without executing, the backend ops it issues, and returns
     * them as a graph ready to launch. The code must issue only ops: no allocation, no copy from or
     * to the host and no wait for the device ({@link Backend#synchronize()}) may happen while
     * recording, so every buffer it uses must have been sized beforehand (run it once eagerly).
     *
     * @throws IllegalStateException when recording or building the graph fails, with the reason;
     *     nothing then ran and the backend is ready for eager ops again
     */
    CapturedGraph capture(Runnable ops);
}
