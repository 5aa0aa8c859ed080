package dev.strix.tensor.cpu;

import dev.strix.tensor.DType;
import dev.strix.tensor.ReduceOp;
import dev.strix.tensor.Reductions;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.spi.ReductionAxes;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reductions: the kept axes index the output, the reduced axes are walked as strided rows
 * (merged where they are contiguous) and accumulated in double precision.
 */
final class CpuReductions implements Reductions {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /**
     * Doubles of the widest vector, and floats of the same lane count (half its bits): widening
     * one into the other is a single instruction. (Widening a full-width float vector in two
     * parts was not intrinsified, and boxed every vector.)
     */
    private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> FLOATS =
            DOUBLES.length() >= 8 ? FloatVector.SPECIES_256 : FloatVector.SPECIES_128;

    @Override
    public void reduce(ReduceOp op, Tensor x, int[] axes, Tensor out) {
        CpuElementwise.check(x, "reduce " + op + " input");
        CpuElementwise.check(out, "reduce " + op + " output");
        ReductionAxes p = ReductionAxes.of("reduce " + op, x, axes, out);
        MemorySegment xs = x.storage().segment();
        MemorySegment os = out.storage().segment();
        StridedLoop inner = new StridedLoop(p.reducedDims(), new long[][] {p.reducedStridesX()}, new long[] {0});
        long perOutput = Math.max(1, p.reducedCount());
        CpuParallel.forRange(p.outputCount(), Math.max(1, (1 << 14) / perOutput), (from, to) -> {
            long[] base = new long[1];
            double[] acc = new double[1];
            int[] index = new int[p.keptDims().length];
            unravel(from, p.keptDims(), index);
            for (long o = from; o < to; o++) {
                long xBase = x.offset();
                long outAt = out.offset();
                for (int k = 0; k < index.length; k++) {
                    xBase += index[k] * p.keptStridesX()[k];
                    outAt += index[k] * p.keptStridesOut()[k];
                }
                base[0] = xBase;
                acc[0] = switch (op) {
                    case SUM, MEAN -> 0.0;
                    case MAX -> Double.NEGATIVE_INFINITY;
                    case MIN -> Double.POSITIVE_INFINITY;
                };
                inner.run(0, inner.rows, (starts, n, st) -> {
                    long at = base[0] + starts[0];
                    if (st[0] == 1 && (op == ReduceOp.SUM || op == ReduceOp.MEAN)) {
                        acc[0] += sumContiguous(xs, at, n);
                        return;
                    }
                    double a = acc[0];
                    for (int i = 0; i < n; i++, at += st[0]) {
                        float v = xs.getAtIndex(FLOAT, at);
                        a = switch (op) {
                            case SUM, MEAN -> a + v;
                            case MAX -> v > a || Float.isNaN(v) ? v : a;
                            case MIN -> v < a || Float.isNaN(v) ? v : a;
                        };
                    }
                    acc[0] = a;
                });
                double result = op == ReduceOp.MEAN ? acc[0] / p.reducedCount() : acc[0];
                os.setAtIndex(FLOAT, outAt, (float) result);
                increment(p.keptDims(), index);
            }
        });
    }

    /**
     * {@code sum of x[at .. at + n)} in double precision, a vector at a time: each float vector is
     * widened to doubles before it is added (a bias gradient sums rows of hundreds of contiguous
     * values; the scalar loop was a tenth of a training step).
     */
    private static double sumContiguous(MemorySegment xs, long at, int n) {
        DoubleVector sum = DoubleVector.zero(DOUBLES);
        int step = FLOATS.length();
        int i = 0;
        for (; i <= n - step; i += step) {
            FloatVector v = FloatVector.fromMemorySegment(FLOATS, xs, (at + i) * Float.BYTES, NATIVE);
            sum = sum.add((DoubleVector) v.convertShape(VectorOperators.F2D, DOUBLES, 0));
        }
        double total = sum.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            total += xs.getAtIndex(FLOAT, at + i);
        }
        return total;
    }

    @Override
    public void argmax(Tensor x, int axis, Tensor out) {
        CpuElementwise.check(x, "argmax input");
        out.requireDType(DType.I32, "argmax output");
        int a = x.shape().normalizeAxis(axis);
        ReductionAxes p = ReductionAxes.of("argmax", x, new int[] {a}, out);
        MemorySegment xs = x.storage().segment();
        MemorySegment os = out.storage().segment();
        int length = x.dim(a);
        long stride = x.stride(a);
        CpuParallel.forRange(p.outputCount(), Math.max(1, (1 << 14) / Math.max(1, length)), (from, to) -> {
            int[] index = new int[p.keptDims().length];
            unravel(from, p.keptDims(), index);
            for (long o = from; o < to; o++) {
                long xBase = x.offset();
                long outAt = out.offset();
                for (int k = 0; k < index.length; k++) {
                    xBase += index[k] * p.keptStridesX()[k];
                    outAt += index[k] * p.keptStridesOut()[k];
                }
                int best = 0;
                float bestValue = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < length; i++) {
                    float v = xs.getAtIndex(FLOAT, xBase + i * stride);
                    if (v > bestValue || (i == 0)) {
                        best = i;
                        bestValue = v;
                    }
                }
                os.setAtIndex(ValueLayout.JAVA_INT, outAt, best);
                increment(p.keptDims(), index);
            }
        });
    }

    private static void unravel(long flat, int[] dims, int[] index) {
        for (int k = dims.length - 1; k >= 0; k--) {
            index[k] = (int) (flat % dims[k]);
            flat /= dims[k];
        }
    }

    private static void increment(int[] dims, int[] index) {
        for (int k = dims.length - 1; k >= 0; k--) {
            if (++index[k] < dims[k]) {
                return;
            }
            index[k] = 0;
        }
    }
}
