package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Shape;

/** Batch normalisation of convolution outputs {@code [N, C, H, W]}, per channel (PyTorch's {@code BatchNorm2d}). */
public final class BatchNorm2D extends BatchNorm {
    public BatchNorm2D(Backend backend, int channels) {
        this(backend, channels, DEFAULT_MOMENTUM, DEFAULT_EPSILON);
    }

    public BatchNorm2D(Backend backend, int channels, float momentum, float epsilon) {
        super(backend, channels, momentum, epsilon);
    }

    @Override
    void checkInput(Shape in) {
        if (in.rank() != 4 || in.dim(1) != channels()) {
            throw ShapeCheck.mismatch(this, "[N, " + channels() + ", H, W]", in);
        }
    }
}
