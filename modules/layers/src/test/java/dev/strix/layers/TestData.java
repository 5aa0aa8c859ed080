package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;

/** Seeded inputs for layer tests. */
final class TestData {
    private TestData() {
    }

    /** Uniform in [-1, 1). */
    static float[] uniform(SplittableRandom random, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return a;
    }

    /** A float32 tensor of uniform values in [-1, 1). */
    static Tensor uniform(Backend backend, SplittableRandom random, int... dims) {
        int size = 1;
        for (int d : dims) {
            size *= d;
        }
        return Tensor.of(backend, uniform(random, size), dims);
    }

    /**
     * Distinct values at least {@code 2 * gap} apart and at least {@code gap} from zero, in random
     * order, so a perturbation below {@code gap} can neither change which element of a pooling
     * window is largest nor flip the sign a ReLU looks at.
     */
    static Tensor separated(Backend backend, SplittableRandom random, double gap, int... dims) {
        int size = 1;
        for (int d : dims) {
            size *= d;
        }
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) ((i - size / 2 + 0.5) * 2 * gap);
        }
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            float t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return Tensor.of(backend, a, dims);
    }
}
