package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.BiasReluEpilogue;
import dev.strix.tensor.Tensor;

/**
 * The {@link BiasReluEpilogue} takes its operands in one layout at a time (all contiguous or all
 * channels-last), while a fused pass may meet a neighbour in the other one (the gradient that
 * {@link Flatten} hands back is NCHW, whatever {@link ActivationLayout} the pass uses).
 */
final class EpilogueLayout {
    private EpilogueLayout() {
    }

    /** {@code t}, or a copy of it in {@code scratch}, whose layout is {@code like}'s, when the two layouts differ. */
    static Tensor like(Backend backend, Tensor t, Tensor like, ReusableTensor scratch) {
        boolean same = t.isContiguous() && like.isContiguous()
                || BiasReluEpilogue.isChannelsLast(t) && BiasReluEpilogue.isChannelsLast(like);
        if (same) {
            return t;
        }
        Tensor copy = scratch.get(t.shape());
        backend.copy(t, copy);
        return copy;
    }
}
