package dev.strix.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Max pooling over 2x2 windows with stride 2 (every pooling layer of the MNIST models), a vector
 * of outputs at a time. Two input rows give one output row: each row's values are split into
 * even and odd columns with two-vector lane selects, so the four candidates of L windows sit in
 * four vectors, and three compare-and-blend steps find the maxima and their positions without a
 * branch. (Scalar code here branches on every comparison, and on random data half of those
 * branches are mispredicted.)
 *
 * <p>Same rules as the generic loop: the first of equal maxima in row-major window order wins,
 * and a NaN wins (the first NaN): a vector holding a NaN is redone by the scalar loop.
 */
final class MaxPool2x2 {
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final int L = FLOATS.length();
    /** Lane indices picking the even / odd elements of two concatenated vectors. */
    private static final FloatVector EVEN = pick(0);
    private static final FloatVector ODD = pick(1);
    /** 0, 2, 4, ...: the first input column of each output lane. */
    private static final IntVector DOUBLED = IntVector.zero(INTS).addIndex(2);

    /** Floats of padding the plane arrays need past their end, so every vector load stays inside them. */
    static final int PADDING = 2 * L;

    private MaxPool2x2() {
    }

    private static FloatVector pick(int parity) {
        float[] index = new float[L];
        for (int i = 0; i < L; i++) {
            index[i] = 2 * i + parity;
        }
        return FloatVector.fromArray(FLOATS, index, 0);
    }

    /**
     * Pools one plane of width {@code w} ({@code in} padded by {@link #PADDING}) into
     * {@code oh x ow} maxima and their indices in the plane.
     */
    static void plane(float[] in, int w, int oh, int ow, float[] best, int[] where) {
        for (int y = 0; y < oh; y++) {
            int top = 2 * y * w;
            int out = y * ow;
            for (int col = 0; col < ow; col += L) {
                int count = Math.min(L, ow - col);
                int first = top + 2 * col;
                FloatVector a0 = FloatVector.fromArray(FLOATS, in, first);
                FloatVector a1 = FloatVector.fromArray(FLOATS, in, first + L);
                FloatVector c0 = FloatVector.fromArray(FLOATS, in, first + w);
                FloatVector c1 = FloatVector.fromArray(FLOATS, in, first + w + L);
                FloatVector a = EVEN.selectFrom(a0, a1);
                FloatVector b = ODD.selectFrom(a0, a1);
                FloatVector c = EVEN.selectFrom(c0, c1);
                FloatVector d = ODD.selectFrom(c0, c1);
                VectorMask<Float> valid = FLOATS.indexInRange(0, count);
                // x != x only for NaN. (test(IS_NAN) is not intrinsified on JDK 25 and took a fifth
                // of the pooling time through its Java fallback.)
                VectorMask<Float> nan = a.compare(VectorOperators.NE, a).or(b.compare(VectorOperators.NE, b))
                        .or(c.compare(VectorOperators.NE, c)).or(d.compare(VectorOperators.NE, d)).and(valid);
                if (nan.anyTrue()) {
                    scalar(in, w, ow, y, col, count, best, where);
                    continue;
                }
                IntVector offset = IntVector.zero(INTS);
                FloatVector max = a;
                VectorMask<Float> better = b.compare(VectorOperators.GT, max);
                max = max.blend(b, better);
                offset = offset.blend(1, better.cast(INTS));
                better = c.compare(VectorOperators.GT, max);
                max = max.blend(c, better);
                offset = offset.blend(w, better.cast(INTS));
                better = d.compare(VectorOperators.GT, max);
                max = max.blend(d, better);
                offset = offset.blend(w + 1, better.cast(INTS));
                max.intoArray(best, out + col, valid);
                DOUBLED.add(first).add(offset).intoArray(where, out + col, valid.cast(INTS));
            }
        }
    }

    /** Outputs {@code [col, col + count)} of output row {@code y}, one window at a time. */
    private static void scalar(float[] in, int w, int ow, int y, int col, int count, float[] best, int[] where) {
        for (int x = col; x < col + count; x++) {
            int k = 2 * y * w + 2 * x;
            int at = k;
            for (int i = 1; i < 4 && in[at] == in[at]; i++) {
                int candidate = k + (i >> 1) * w + (i & 1);
                if (in[candidate] > in[at] || in[candidate] != in[candidate]) {
                    at = candidate;
                }
            }
            best[y * ow + x] = in[at];
            where[y * ow + x] = at;
        }
    }
}
