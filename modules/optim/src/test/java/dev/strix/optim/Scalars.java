package dev.strix.optim;

import dev.strix.layers.Parameter;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Tensor;

/** One-element parameters, so update rules can be followed by hand. */
final class Scalars {
    private Scalars() {
    }

    static Parameter parameter(String name, float value) {
        return new Parameter(name, Tensor.of(Backends.cpu(), new float[] {value}, 1));
    }

    static void setGradient(Parameter p, float g) {
        p.gradient().copyFrom(new float[] {g});
    }

    static double value(Parameter p) {
        return p.value().toFloatArray()[0];
    }
}
