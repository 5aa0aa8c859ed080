package dev.strix.optim;

import dev.strix.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an optimizer carries between steps, for checkpoints: the number of updates taken so far
 * and its per-parameter state tensors, named {@code "<parameter>.<slot>"} with PyTorch's slot
 * names ({@code "0.weight.momentum_buffer"}, {@code "0.weight.exp_avg"},
 * {@code "0.weight.exp_avg_sq"}). PyTorch keeps Adam's step per parameter; every parameter here
 * steps together, so one count serves them all.
 *
 * <p>From {@link Optimizer#state()} the tensors are the optimizer's own (live, not copies): read
 * or save them, don't close them. {@link Optimizer#loadState} copies values out of the given ones.
 */
public record OptimizerState(long step, Map<String, Tensor> tensors) {
    public OptimizerState {
        if (step < 0) {
            throw new IllegalArgumentException("optimizer step count must be >= 0, got " + step);
        }
        // Kept in the given order (parameters, then slots) so checkpoints are written deterministically.
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }
}
