package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Shape;

/**
 * Batch normalisation of dense outputs {@code [N, F]} per feature (or of sequences {@code [N, C, L]}
 * per channel), PyTorch's {@code BatchNorm1d}.
 */
public final class BatchNorm1D extends BatchNorm {
    public BatchNorm1D(Backend backend, int features) {
        this(backend, features, DEFAULT_MOMENTUM, DEFAULT_EPSILON);
    }

    public BatchNorm1D(Backend backend, int features, float momentum, float epsilon) {
        super(backend, features, momentum, epsilon);
    }

    @Override
    void checkInput(Shape in) {
        if ((in.rank() != 2 && in.rank() != 3) || in.dim(1) != channels()) {
            throw ShapeCheck.mismatch(this, "[N, " + channels() + "] or [N, " + channels() + ", L]", in);
        }
    }
}
