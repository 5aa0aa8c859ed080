package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static dev.strix.tensor.conformance.RandomViews.asFloats;
import static dev.strix.tensor.conformance.RandomViews.assertView;
import static dev.strix.tensor.conformance.RandomViews.unravel;

import dev.strix.tensor.BinaryOp;
import dev.strix.tensor.DType;
import dev.strix.tensor.ReduceOp;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.UnaryOp;
import dev.strix.tensor.conformance.RandomViews.Layout;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The generic strided walks of copy, fill, the element-wise ops, reductions and argmax, over seeded
 * random views: rank 0 to 8, axes permuted in memory, steps of 2, padding between rows, negative
 * strides, offsets, broadcast operands. Every output is a view into a buffer filled with a sentinel,
 * and the elements outside the view must keep it. Expectations come from index loops here.
 */
public abstract class StridedWalkConformance extends BackendConformance {
    private static final int CASES = 100;
    private static final float SENTINEL = -7777f;
    /** Most elements of one view: small, so a hundred cases of eight-axis walks stay quick on the emulator. */
    private static final int MOST_ELEMENTS = 600;

    private final RandomViews views = new RandomViews(random);

    /** Random dims of rank {@code minRank} to 8. */
    private int[] randomDims(int minRank) {
        return views.dims(minRank, 8, MOST_ELEMENTS);
    }

    private Layout randomLayout(int[] dims) {
        return views.layout(dims);
    }

    private static Tensor view(Tensor buffer, Layout l) {
        return l.of(buffer);
    }

    private Tensor buffer(Layout l, float[] values) {
        return tensor(values, l.bufferSize());
    }

    private Tensor sentinelBuffer(Layout l, DType dtype) {
        return RandomViews.filledBuffer(backend(), l, dtype, dtype == DType.F32 ? SENTINEL : 77);
    }

    private static float[] read(float[] buffer, Layout l) {
        return l.read(buffer);
    }

    @Test
    void copyAndFillWalkAnyViews() {
        for (int c = 0; c < CASES; c++) {
            int[] dims = randomDims(0);
            Layout src = randomLayout(dims);
            Layout dst = randomLayout(dims);
            float[] values = randomFloats(src.bufferSize());
            String what = "case " + c + ", copy from " + src;
            try (Tensor in = buffer(src, values); Tensor out = sentinelBuffer(dst, DType.F32)) {
                backend().copy(view(in, src), view(out, dst));
                assertView(out.toFloatArray(), dst, toDouble(read(values, src)), 0, SENTINEL, what);
                view(out, dst).fill(2.5f);
                double[] filled = new double[dst.size()];
                Arrays.fill(filled, 2.5);
                assertView(out.toFloatArray(), dst, filled, 0, SENTINEL, "case " + c + ", fill");
            }
        }
    }

    @Test
    void convertingCopiesWalkAnyViews() {
        for (int c = 0; c < CASES; c++) {
            int[] dims = randomDims(1);
            Layout src = randomLayout(dims);
            Layout dst = randomLayout(dims);
            float[] values = randomFloats(src.bufferSize());
            for (int i = 0; i < values.length; i++) {
                values[i] *= 400;
            }
            float[] picked = read(values, src);
            DType target = c % 2 == 0 ? DType.I32 : DType.U8;
            double[] expected = new double[picked.length];
            for (int i = 0; i < picked.length; i++) {
                // Toward zero; uint8 also clamps to [0, 255].
                double t = (int) picked[i];
                expected[i] = target == DType.U8 ? Math.max(0, Math.min(255, t)) : t;
            }
            try (Tensor in = buffer(src, values); Tensor out = sentinelBuffer(dst, target)) {
                backend().copy(view(in, src), view(out, dst));
                assertView(asFloats(out.toIntArray()), dst, expected, 0, 77,
                        "case " + c + ", copy to " + target + " from " + src);
            }
        }
    }

    @Test
    void unaryOpsWalkAnyViews() {
        UnaryOp[] ops = UnaryOp.values();
        for (int c = 0; c < CASES; c++) {
            UnaryOp op = ops[c % ops.length];
            int[] dims = randomDims(0);
            Layout src = randomLayout(dims);
            Layout dst = randomLayout(dims);
            float[] values = randomFloats(src.bufferSize());
            for (int i = 0; i < values.length; i++) {
                values[i] = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RECIPROCAL
                        ? Math.abs(values[i]) + 0.1f : values[i];
            }
            float[] picked = read(values, src);
            double[] expected = new double[picked.length];
            for (int i = 0; i < picked.length; i++) {
                expected[i] = op.apply(picked[i]);
            }
            try (Tensor in = buffer(src, values); Tensor out = sentinelBuffer(dst, DType.F32)) {
                backend().elementwise().unary(op, view(in, src), view(out, dst));
                assertView(out.toFloatArray(), dst, expected, 4 * FLOAT_TOLERANCE, SENTINEL,
                        "case " + c + ", " + op + " of " + src);
            }
        }
    }

    /** {@code dims} as an operand broadcast to them: some axes 1, some leading axes dropped. */
    private int[] broadcastOperand(int[] dims) {
        int dropped = dims.length == 0 ? 0 : random.nextInt(Math.min(3, dims.length + 1));
        int[] operand = Arrays.copyOfRange(dims, dropped, dims.length);
        for (int i = 0; i < operand.length; i++) {
            if (random.nextInt(3) == 0) {
                operand[i] = 1;
            }
        }
        return operand;
    }

    /** The element of an operand of {@code operand} dims that output {@code index} reads (numpy broadcasting). */
    private static int[] broadcastIndex(int[] index, int[] operand) {
        int[] at = new int[operand.length];
        int lead = index.length - operand.length;
        for (int i = 0; i < operand.length; i++) {
            at[i] = operand[i] == 1 ? 0 : index[lead + i];
        }
        return at;
    }

    @Test
    void binaryOpsBroadcastAndWalkAnyViews() {
        BinaryOp[] ops = BinaryOp.values();
        for (int c = 0; c < CASES; c++) {
            BinaryOp op = ops[c % ops.length];
            int[] dims = randomDims(0);
            Layout la = randomLayout(broadcastOperand(dims));
            Layout lb = randomLayout(broadcastOperand(dims));
            Layout lo = randomLayout(dims);
            float[] a = randomFloats(la.bufferSize());
            float[] b = randomFloats(lb.bufferSize());
            for (int i = 0; i < b.length; i++) {
                b[i] = op == BinaryOp.DIVIDE ? Math.abs(b[i]) + 0.5f : b[i];
            }
            double[] expected = new double[lo.size()];
            for (int e = 0; e < expected.length; e++) {
                int[] index = unravel(e, dims);
                expected[e] = op.apply(a[Math.toIntExact(la.at(broadcastIndex(index, la.dims())))],
                        b[Math.toIntExact(lb.at(broadcastIndex(index, lb.dims())))]);
            }
            try (Tensor ta = buffer(la, a); Tensor tb = buffer(lb, b); Tensor out = sentinelBuffer(lo, DType.F32)) {
                backend().elementwise().binary(op, view(ta, la), view(tb, lb), view(out, lo));
                assertView(out.toFloatArray(), lo, expected, 2 * FLOAT_TOLERANCE, SENTINEL,
                        "case " + c + ", " + op + " of " + la + " and " + lb);
            }
        }
    }

    @Test
    void scalarOpsAndAxpbyWalkAnyViews() {
        for (int c = 0; c < CASES; c++) {
            int[] dims = randomDims(0);
            Layout lx = randomLayout(dims);
            Layout ly = randomLayout(dims);
            float[] x = randomFloats(lx.bufferSize());
            float[] pickedX = read(x, lx);
            double[] scaled = new double[pickedX.length];
            for (int i = 0; i < scaled.length; i++) {
                scaled[i] = pickedX[i] * -0.75f;
            }
            float[] y = randomFloats(ly.bufferSize());
            float[] pickedY = read(y, ly);
            double[] updated = new double[pickedY.length];
            for (int i = 0; i < updated.length; i++) {
                updated[i] = 0.5 * pickedX[i] + 1.25 * pickedY[i];
            }
            try (Tensor tx = buffer(lx, x); Tensor out = sentinelBuffer(ly, DType.F32); Tensor ty = buffer(ly, y)) {
                backend().elementwise().scalar(BinaryOp.MULTIPLY, view(tx, lx), -0.75f, view(out, ly));
                assertView(out.toFloatArray(), ly, scaled, 0, SENTINEL, "case " + c + ", scalar of " + lx);
                backend().elementwise().axpby(0.5f, view(tx, lx), 1.25f, view(ty, ly));
                float[] after = ty.toFloatArray();
                // Outside the view y keeps its own values: check those through a copy of them.
                float[] outside = y.clone();
                for (int e = 0; e < updated.length; e++) {
                    int at = Math.toIntExact(ly.at(unravel(e, dims)));
                    outside[at] = after[at];
                }
                assertEquals(Arrays.toString(outside), Arrays.toString(after),
                        "case " + c + ", axpby outside the view");
                assertClose(updated, read(after, ly), 2 * FLOAT_TOLERANCE, "case " + c + ", axpby into " + ly);
            }
        }
    }

    @Test
    void reductionsAndArgmaxWalkAnyViews() {
        ReduceOp[] ops = ReduceOp.values();
        for (int c = 0; c < CASES; c++) {
            ReduceOp op = ops[c % ops.length];
            int[] dims = randomDims(1);
            Layout lx = randomLayout(dims);
            float[] x = randomFloats(lx.bufferSize());
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.round(x[i] * 4) / 4f;   // few distinct values: ties for argmax's "first" rule
            }
            boolean[] reduced = new boolean[dims.length];
            int count = 0;
            for (int i = 0; i < dims.length; i++) {
                reduced[i] = random.nextInt(2) == 0;
                count += reduced[i] ? 1 : 0;
            }
            if (count == 0) {
                reduced[random.nextInt(dims.length)] = true;
            }
            boolean keep = random.nextInt(2) == 0;
            int[] axes = IntStream.range(0, dims.length).filter(i -> reduced[i]).toArray();
            int[] outDims = IntStream.range(0, dims.length).filter(i -> keep || !reduced[i])
                    .map(i -> reduced[i] ? 1 : dims[i]).toArray();
            Layout lo = randomLayout(outDims);
            double[] expected = new double[lo.size()];
            double[] magnitude = new double[lo.size()];
            Arrays.fill(expected, op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY
                    : op == ReduceOp.MIN ? Double.POSITIVE_INFINITY : 0);
            int[] kept = IntStream.range(0, dims.length).filter(i -> !reduced[i]).map(i -> dims[i])
                    .toArray();
            int perOutput = lx.size() / Math.max(1, Arrays.stream(kept).reduce(1, Math::multiplyExact));
            for (int e = 0; e < lx.size(); e++) {
                int[] index = unravel(e, dims);
                int o = 0;
                for (int i = 0; i < dims.length; i++) {
                    o = reduced[i] ? o : o * dims[i] + index[i];
                }
                double v = x[Math.toIntExact(lx.at(index))];
                expected[o] = switch (op) {
                    case SUM, MEAN -> expected[o] + v;
                    case MAX -> Math.max(expected[o], v);
                    case MIN -> Math.min(expected[o], v);
                };
                magnitude[o] += Math.abs(v);
            }
            for (int o = 0; o < expected.length && op == ReduceOp.MEAN; o++) {
                expected[o] /= perOutput;
                magnitude[o] /= perOutput;
            }
            try (Tensor tx = buffer(lx, x); Tensor out = sentinelBuffer(lo, DType.F32)) {
                backend().reductions().reduce(op, view(tx, lx), axes, view(out, lo));
                // Sums: accumulated in double, so off by little more than the final rounding; MAX, MIN: exact.
                double[] allowed = new double[magnitude.length];
                for (int o = 0; o < allowed.length && (op == ReduceOp.SUM || op == ReduceOp.MEAN); o++) {
                    allowed[o] = FLOAT_TOLERANCE * magnitude[o];
                }
                assertView(out.toFloatArray(), lo, expected, allowed, SENTINEL,
                        "case " + c + ", " + op + " over " + Arrays.toString(axes) + " of " + lx);
            }
            int axis = random.nextInt(dims.length);
            int[] argDims = IntStream.range(0, dims.length).filter(i -> keep || i != axis)
                    .map(i -> i == axis ? 1 : dims[i]).toArray();
            Layout la = randomLayout(argDims);
            double[] best = new double[la.size()];
            for (int o = 0; o < best.length; o++) {
                int[] outIndex = unravel(o, argDims);
                int[] index = new int[dims.length];
                for (int i = 0, k = 0; i < dims.length; i++) {
                    index[i] = i == axis ? 0 : outIndex[keep ? i : k];
                    k += i == axis ? 0 : 1;
                }
                float top = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < dims[axis]; j++) {
                    index[axis] = j;
                    float v = x[Math.toIntExact(lx.at(index))];
                    if (j == 0 || v > top) {
                        top = v;
                        best[o] = j;
                    }
                }
            }
            try (Tensor tx = buffer(lx, x); Tensor out = sentinelBuffer(la, DType.I32)) {
                backend().reductions().argmax(view(tx, lx), axis, view(out, la));
                assertView(asFloats(out.toIntArray()), la, best, 0, 77,
                        "case " + c + ", argmax along " + axis + " of " + lx);
            }
        }
    }

    private static double[] toDouble(float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            d[i] = values[i];
        }
        return d;
    }
}
