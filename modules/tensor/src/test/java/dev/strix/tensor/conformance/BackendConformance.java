package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;

/**
 * Base of the conformance suite: one abstract class per op group, each run by every backend
 * (the CPU here; the CUDA module runs the same classes on the GPU). Expectations come from naive
 * loops in double precision in the test, never from the code under test.
 */
public abstract class BackendConformance {
    /** The backend under test. */
    protected abstract Backend backend();

    /** Seeded, so every failure reproduces. */
    protected final SplittableRandom random = new SplittableRandom(20261130);

    protected float[] randomFloats(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return a;
    }

    /** For sweeps of row ops: 1 to 700 rows (beyond one block's threads) and 1 to 70 classes (across a warp's width). */
    protected int[] randomRowsAndClasses() {
        int rows = random.nextInt(4) == 0 ? 1 + random.nextInt(700) : 1 + random.nextInt(40);
        int classes = random.nextInt(3) == 0 ? 1 + random.nextInt(70) : 1 + random.nextInt(12);
        return new int[] {rows, classes};
    }

    /** Logits of [n, k] scaled up, one of them 300: exp() overflows unless the row maximum is shifted out. */
    protected float[] largeLogits(int n, int k) {
        float[] x = randomFloats(n * k);
        for (int i = 0; i < x.length; i++) {
            x[i] *= 8;
        }
        x[random.nextInt(x.length)] = 300f;
        return x;
    }

    protected Tensor tensor(float[] data, int... dims) {
        return Tensor.of(backend(), data, dims);
    }

    /** Element index of {@code index} for row-major {@code dims}. */
    protected static int flat(int[] dims, int... index) {
        int f = 0;
        for (int i = 0; i < dims.length; i++) {
            f = f * dims[i] + index[i];
        }
        return f;
    }

    /**
     * Asserts {@code |actual - expected| <= tolerance * scale} element by element, where
     * {@code scale} is the magnitude the result was computed from (for a sum, the sum of absolute
     * terms), so the tolerance stays meaningful for large and small values alike.
     */
    protected static void assertClose(double[] expected, double[] scale, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": element count");
        for (int i = 0; i < expected.length; i++) {
            double allowed = tolerance * Math.max(1e-30, scale[i]);
            if (!(Math.abs(actual[i] - expected[i]) <= allowed)) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]
                        + " (allowed error " + allowed + ")");
            }
        }
    }

    /** {@link #assertClose(double[], double[], float[], double, String)} with scale max(1, |expected|). */
    protected static void assertClose(double[] expected, float[] actual, double tolerance, String what) {
        double[] scale = new double[expected.length];
        for (int i = 0; i < expected.length; i++) {
            scale[i] = Math.max(1, Math.abs(expected[i]));
        }
        assertClose(expected, scale, actual, tolerance, what);
    }

    /** Float32 results of single operations on float32 inputs must be exact to a few ulps. */
    protected static final double FLOAT_TOLERANCE = 1e-6;
}
