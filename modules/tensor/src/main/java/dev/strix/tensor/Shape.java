package dev.strix.tensor;

import java.util.Arrays;

/** An immutable list of dimension sizes, outermost first (NCHW for images). */
public final class Shape {
    private final int[] dims;

    private Shape(int[] dims) {
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(dims));
            }
        }
        this.dims = dims;
    }

    public static Shape of(int... dims) {
        return new Shape(dims.clone());
    }

    public int rank() {
        return dims.length;
    }

    /** Size of {@code axis}; negative axes count from the end. */
    public int dim(int axis) {
        return dims[normalizeAxis(axis)];
    }

    public int[] dims() {
        return dims.clone();
    }

    /** Number of elements (1 for a scalar of rank 0). */
    public long size() {
        long n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    /** Row-major strides in elements: the last axis varies fastest. */
    public long[] contiguousStrides() {
        long[] strides = new long[dims.length];
        long s = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= dims[i];
        }
        return strides;
    }

    /** This shape with {@code axis} set to {@code size}. */
    public Shape with(int axis, int size) {
        int[] d = dims.clone();
        d[normalizeAxis(axis)] = size;
        return new Shape(d);
    }

    /** Turns a possibly negative axis into an index in {@code [0, rank)}, or fails naming the shape. */
    public int normalizeAxis(int axis) {
        int a = axis < 0 ? axis + dims.length : axis;
        if (a < 0 || a >= dims.length) {
            throw new IllegalArgumentException("axis " + axis + " out of range for shape " + this);
        }
        return a;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
