package dev.strix.layers;

import dev.strix.tensor.Shape;

/** The shape errors every layer reports the same way: the layer, what it expects, what it got. */
final class ShapeCheck {
    private ShapeCheck() {
    }

    static IllegalArgumentException mismatch(Layer layer, String expected, Shape actual) {
        return new IllegalArgumentException(layer.description() + ": expected input shape " + expected + ", got "
                + actual);
    }

    /** Fails unless {@code shape} has {@code rank} axes. */
    static void rank(Layer layer, Shape shape, int rank, String expected) {
        if (shape.rank() != rank) {
            throw mismatch(layer, expected, shape);
        }
    }

    /** Fails unless the layer was given its last forward input before backward. */
    static void forwardDone(Layer layer, Object kept) {
        if (kept == null) {
            throw new IllegalStateException(layer.description() + ": backward called before forward");
        }
    }

    /** Fails unless dL/dOutput has the shape of the last output. */
    static void gradient(Layer layer, Shape output, Shape gradient) {
        if (!output.equals(gradient)) {
            throw new IllegalArgumentException(layer.description() + ": output gradient shape " + gradient
                    + " does not match the last output shape " + output);
        }
    }
}
