package dev.strix.jmh;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;

/** Benchmark inputs: uniform values in [-1, 1), from a fixed seed. */
final class Random {
    private Random() {
    }

    static Tensor tensor(Backend backend, SplittableRandom random, int... dims) {
        long size = 1;
        for (int d : dims) {
            size *= d;
        }
        float[] data = new float[Math.toIntExact(size)];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return Tensor.of(backend, data, dims);
    }

    static Tensor labels(Backend backend, SplittableRandom random, int n, int classes) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = random.nextInt(classes);
        }
        return Tensor.ofInts(backend, y, n);
    }
}
