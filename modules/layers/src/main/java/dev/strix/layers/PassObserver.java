package dev.strix.layers;

/**
 * Told by a {@link Sequential} after it has issued each pass of its forward and backward: a single
 * layer, or a run of layers that goes as one fused pass. What a step profile attributes time to
 * (strix-mnist bench --profile marks a {@link dev.strix.tensor.Timeline} here).
 */
@FunctionalInterface
public interface PassObserver {
    /**
     * The pass over layers {@code first .. last} has been issued.
     *
     * @param label    what the pass is, e.g. {@code "layers 0-2: conv, then bias + ReLU + 2x2 max pool in one
     *                 pass"} or {@code "layer 6: Flatten"}; the same for its forward and its backward
     * @param backward whether this is the backward pass
     */
    void passEnded(int first, int last, String label, boolean backward);
}
