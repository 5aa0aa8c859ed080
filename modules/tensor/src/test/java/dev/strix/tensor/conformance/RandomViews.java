package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.fail;

import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Seeded random views for the conformance sweeps: axes in a random memory order, steps of 1 or 2,
 * padding between rows, some axes walked backwards (negative strides), an offset; never two
 * elements on one place. Outputs written through such a view into a sentinel-filled buffer are
 * checked both inside the view and outside it.
 */
final class RandomViews {
    /** A view over a flat buffer of {@code bufferSize} elements. */
    record Layout(int[] dims, long[] strides, long offset, int bufferSize) {
        long at(int[] index) {
            long at = offset;
            for (int i = 0; i < dims.length; i++) {
                at += index[i] * strides[i];
            }
            return at;
        }

        int size() {
            return Arrays.stream(dims).reduce(1, Math::multiplyExact);
        }

        /** This layout's view of {@code buffer}, a flat tensor of {@link #bufferSize} elements. */
        Tensor of(Tensor buffer) {
            return buffer.asStrided(Shape.of(dims), strides, offset);
        }

        /** The view's elements of {@code buffer}, row-major. */
        float[] read(float[] buffer) {
            float[] values = new float[size()];
            for (int e = 0; e < values.length; e++) {
                values[e] = buffer[Math.toIntExact(at(unravel(e, dims)))];
            }
            return values;
        }

        @Override
        public String toString() {
            return "dims " + Arrays.toString(dims) + " strides " + Arrays.toString(strides) + " offset " + offset
                    + " in " + bufferSize;
        }
    }

    private final SplittableRandom random;

    RandomViews(SplittableRandom random) {
        this.random = random;
    }

    /** Random dims of rank {@code minRank} to {@code maxRank}, each 1 to 4, at most {@code mostElements} in all. */
    int[] dims(int minRank, int maxRank, int mostElements) {
        int[] dims = new int[minRank + random.nextInt(maxRank - minRank + 1)];
        int size = 1;
        for (int i = 0; i < dims.length; i++) {
            dims[i] = 1 + random.nextInt(Math.max(1, Math.min(4, mostElements / size)));
            size *= dims[i];
        }
        return dims;
    }

    /** A random layout of {@code dims}. */
    Layout layout(int... dims) {
        int rank = dims.length;
        int[] order = new int[rank];
        for (int i = 0; i < rank; i++) {
            int j = random.nextInt(i + 1);
            order[i] = order[j];
            order[j] = i;
        }
        long[] strides = new long[rank];
        long stride = 1 + random.nextInt(2);
        for (int k = 0; k < rank; k++) {
            strides[order[k]] = stride;
            stride = stride * dims[order[k]] + random.nextInt(3);
        }
        long offset = random.nextInt(4);
        long reach = 0;
        for (int i = 0; i < rank; i++) {
            if (dims[i] > 1 && random.nextInt(4) == 0) {
                offset += (dims[i] - 1) * strides[i];
                strides[i] = -strides[i];
            } else {
                reach += (dims[i] - 1) * strides[i];
            }
        }
        return new Layout(dims.clone(), strides, offset, Math.toIntExact(offset + reach + 1 + random.nextInt(3)));
    }

    /** A flat buffer for layout {@code l} on {@code backend}, every element {@code value} (the sentinel). */
    static Tensor filledBuffer(Backend backend, Layout l, DType dtype, float value) {
        Tensor t = backend.allocate(dtype, Shape.of(l.bufferSize()));
        t.fill(value);
        return t;
    }

    /** Int results as floats, for {@link #assertView}. */
    static float[] asFloats(int[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            f[i] = values[i];
        }
        return f;
    }

    /** Row-major index of element {@code linear} of {@code dims}. */
    static int[] unravel(int linear, int[] dims) {
        int[] index = new int[dims.length];
        for (int i = dims.length - 1; i >= 0; i--) {
            index[i] = linear % dims[i];
            linear /= dims[i];
        }
        return index;
    }

    /**
     * Checks the view's elements against {@code expected} (row-major, within {@code tolerance} of
     * max(1, |expected|)) and that every other element of {@code buffer} still holds {@code untouched}.
     */
    static void assertView(float[] buffer, Layout l, double[] expected, double tolerance, float untouched,
                           String what) {
        double[] allowed = new double[expected.length];
        for (int e = 0; e < expected.length; e++) {
            allowed[e] = tolerance * Math.max(1, Math.abs(expected[e]));
        }
        assertView(buffer, l, expected, allowed, untouched, what);
    }

    /** {@link #assertView(float[], Layout, double[], double, float, String)} with an allowed error per element. */
    static void assertView(float[] buffer, Layout l, double[] expected, double[] allowed, float untouched,
                           String what) {
        boolean[] inView = new boolean[buffer.length];
        for (int e = 0; e < expected.length; e++) {
            int at = Math.toIntExact(l.at(unravel(e, l.dims())));
            inView[at] = true;
            if (!(Math.abs(buffer[at] - expected[e]) <= allowed[e])) {
                fail(what + ": element " + Arrays.toString(unravel(e, l.dims())) + " is " + buffer[at] + ", expected "
                        + expected[e] + " (output " + l + ")");
            }
        }
        for (int i = 0; i < buffer.length; i++) {
            if (!inView[i] && buffer[i] != untouched) {
                fail(what + ": element " + i + " of the output buffer lies outside the view but was changed to "
                        + buffer[i] + " (output " + l + ")");
            }
        }
    }
}
