package dev.strix.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batch-norm arithmetic over one contiguous run of a channel's values (one sample's plane), a
 * vector at a time and in double precision like the scalar loops it replaces: each float vector
 * is widened to doubles (a single instruction), and results are narrowed back to float.
 */
final class ChannelRows {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Doubles of the widest vector, and floats of the same lane count. */
    private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> FLOATS =
            DOUBLES.length() >= 8 ? FloatVector.SPECIES_256 : FloatVector.SPECIES_128;
    private static final int STEP = FLOATS.length();

    private ChannelRows() {
    }

    private static DoubleVector load(MemorySegment seg, long at) {
        return (DoubleVector) FloatVector.fromMemorySegment(FLOATS, seg, at * Float.BYTES, NATIVE)
                .convertShape(VectorOperators.F2D, DOUBLES, 0);
    }

    private static void store(DoubleVector v, MemorySegment seg, long at) {
        ((FloatVector) v.convertShape(VectorOperators.D2F, FLOATS, 0)).intoMemorySegment(seg, at * Float.BYTES, NATIVE);
    }

    /** {@code sum of x[at .. at + len)}. */
    static double sum(MemorySegment x, long at, int len) {
        DoubleVector acc = DoubleVector.zero(DOUBLES);
        int i = 0;
        for (; i <= len - STEP; i += STEP) {
            acc = acc.add(load(x, at + i));
        }
        double total = acc.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            total += x.getAtIndex(FLOAT, at + i);
        }
        return total;
    }

    /** {@code sum of (x - mean)^2} over the run. */
    static double squaredDeviations(MemorySegment x, long at, int len, double mean) {
        DoubleVector acc = DoubleVector.zero(DOUBLES);
        DoubleVector means = DoubleVector.broadcast(DOUBLES, mean);
        int i = 0;
        for (; i <= len - STEP; i += STEP) {
            DoubleVector d = load(x, at + i).sub(means);
            acc = d.fma(d, acc);
        }
        double total = acc.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            double d = x.getAtIndex(FLOAT, at + i) - mean;
            total += d * d;
        }
        return total;
    }

    /** {@code y = x * scale + shift} over the run, then {@code y = max(0, y)} when {@code relu}. */
    static void scaleShift(MemorySegment x, long xAt, MemorySegment y, long yAt, int len, double scale, double shift,
                           boolean relu) {
        DoubleVector scales = DoubleVector.broadcast(DOUBLES, scale);
        DoubleVector shifts = DoubleVector.broadcast(DOUBLES, shift);
        int i = 0;
        for (; i <= len - STEP; i += STEP) {
            DoubleVector v = load(x, xAt + i).fma(scales, shifts);
            // As the scalar ReLU: NaN gives 0 (max would propagate it).
            store(relu ? DoubleVector.zero(DOUBLES).blend(v, v.compare(VectorOperators.GT, 0)) : v, y, yAt + i);
        }
        for (; i < len; i++) {
            float v = (float) (x.getAtIndex(FLOAT, xAt + i) * scale + shift);
            y.setAtIndex(FLOAT, yAt + i, relu ? (v > 0f ? v : 0f) : v);
        }
    }

    /**
     * The gradient at {@code dy[at .. at + STEP)}, widened; where a ReLU followed (its output
     * {@code out} not null), zero wherever {@code out} is not positive.
     */
    private static DoubleVector gradient(MemorySegment dy, long at, MemorySegment out, long outAt) {
        FloatVector g = FloatVector.fromMemorySegment(FLOATS, dy, at * Float.BYTES, NATIVE);
        if (out != null) {
            FloatVector y = FloatVector.fromMemorySegment(FLOATS, out, outAt * Float.BYTES, NATIVE);
            g = FloatVector.zero(FLOATS).blend(g, y.compare(VectorOperators.GT, 0f));
        }
        return (DoubleVector) g.convertShape(VectorOperators.F2D, DOUBLES, 0);
    }

    /** The scalar {@link #gradient(MemorySegment, long, MemorySegment, long)}. */
    static double gradientAt(MemorySegment dy, long at, MemorySegment out, long outAt) {
        return out == null || out.getAtIndex(FLOAT, outAt) > 0f ? dy.getAtIndex(FLOAT, at) : 0.0;
    }

    /**
     * {@code [sum of dy, sum of dy * (x - mean)]} over the run, added into {@code sums}; dy masked by
     * a following ReLU's output {@code out} unless that is null.
     */
    static void gradientSums(MemorySegment x, long xAt, MemorySegment dy, long dyAt, MemorySegment out, long outAt,
                             int len, double mean, double[] sums) {
        DoubleVector sumDy = DoubleVector.zero(DOUBLES);
        DoubleVector sumDyX = DoubleVector.zero(DOUBLES);
        DoubleVector means = DoubleVector.broadcast(DOUBLES, mean);
        int i = 0;
        for (; i <= len - STEP; i += STEP) {
            DoubleVector g = gradient(dy, dyAt + i, out, outAt + i);
            sumDy = sumDy.add(g);
            sumDyX = g.fma(load(x, xAt + i).sub(means), sumDyX);
        }
        double a = sumDy.reduceLanes(VectorOperators.ADD);
        double b = sumDyX.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            double g = gradientAt(dy, dyAt + i, out, outAt + i);
            a += g;
            b += g * (x.getAtIndex(FLOAT, xAt + i) - mean);
        }
        sums[0] += a;
        sums[1] += b;
    }

    /**
     * {@code dx = k * (m * dy - sumDy - xhat * sumDyXhat)} with {@code xhat = (x - mean) * invStd},
     * over the run; dy masked as in {@link #gradientSums}.
     */
    static void inputGradient(MemorySegment x, long xAt, MemorySegment dy, long dyAt, MemorySegment out, long outAt,
                              MemorySegment dx, long dxAt, int len, double mean, double invStd, double k, double m,
                              double sumDy, double sumDyXhat) {
        DoubleVector means = DoubleVector.broadcast(DOUBLES, mean);
        DoubleVector invStds = DoubleVector.broadcast(DOUBLES, invStd);
        DoubleVector ks = DoubleVector.broadcast(DOUBLES, k);
        DoubleVector ms = DoubleVector.broadcast(DOUBLES, m);
        DoubleVector sumDys = DoubleVector.broadcast(DOUBLES, sumDy);
        DoubleVector sumDyXhats = DoubleVector.broadcast(DOUBLES, sumDyXhat);
        int i = 0;
        for (; i <= len - STEP; i += STEP) {
            DoubleVector xhat = load(x, xAt + i).sub(means).mul(invStds);
            DoubleVector g = gradient(dy, dyAt + i, out, outAt + i);
            store(g.mul(ms).sub(sumDys).sub(xhat.mul(sumDyXhats)).mul(ks), dx, dxAt + i);
        }
        for (; i < len; i++) {
            double xhat = (x.getAtIndex(FLOAT, xAt + i) - mean) * invStd;
            double g = gradientAt(dy, dyAt + i, out, outAt + i);
            dx.setAtIndex(FLOAT, dxAt + i, (float) (k * (m * g - sumDy - xhat * sumDyXhat)));
        }
    }
}
