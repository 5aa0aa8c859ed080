package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strix.tensor.DType;
import dev.strix.tensor.ReduceOp;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Sum, mean, max, min over any set of axes, and argmax. */
public abstract class ReductionConformance extends BackendConformance {
    private static final int[] DIMS = {3, 5, 4, 7};

    private static double[] reference(ReduceOp op, float[] x, boolean[] reduced, double[] scale) {
        int outCount = 1;
        for (int i = 0; i < DIMS.length; i++) {
            outCount *= reduced[i] ? 1 : DIMS[i];
        }
        double[] out = new double[outCount];
        double[] abs = new double[outCount];
        int[] counts = new int[outCount];
        java.util.Arrays.fill(out, op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY
                : op == ReduceOp.MIN ? Double.POSITIVE_INFINITY : 0);
        int[] idx = new int[4];
        for (idx[0] = 0; idx[0] < DIMS[0]; idx[0]++) {
            for (idx[1] = 0; idx[1] < DIMS[1]; idx[1]++) {
                for (idx[2] = 0; idx[2] < DIMS[2]; idx[2]++) {
                    for (idx[3] = 0; idx[3] < DIMS[3]; idx[3]++) {
                        int o = 0;
                        for (int a = 0; a < 4; a++) {
                            if (!reduced[a]) {
                                o = o * DIMS[a] + idx[a];
                            }
                        }
                        double v = x[flat(DIMS, idx)];
                        out[o] = switch (op) {
                            case SUM, MEAN -> out[o] + v;
                            case MAX -> Math.max(out[o], v);
                            case MIN -> Math.min(out[o], v);
                        };
                        abs[o] += Math.abs(v);
                        counts[o]++;
                    }
                }
            }
        }
        for (int o = 0; o < outCount; o++) {
            if (op == ReduceOp.MEAN) {
                out[o] /= counts[o];
                abs[o] /= counts[o];
            }
            scale[o] = op == ReduceOp.MAX || op == ReduceOp.MIN ? 1 : abs[o];
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(ReduceOp.class)
    void reducesEverySubsetOfAxes(ReduceOp op) {
        float[] x = randomFloats(3 * 5 * 4 * 7);
        try (Tensor t = tensor(x, DIMS)) {
            for (int mask = 1; mask < 16; mask++) {
                boolean[] reduced = new boolean[4];
                int[] axes = new int[Integer.bitCount(mask)];
                int[] outDims = new int[4 - axes.length];
                int[] keepDims = new int[4];
                for (int a = 0, r = 0, k = 0; a < 4; a++) {
                    reduced[a] = (mask & (1 << a)) != 0;
                    keepDims[a] = reduced[a] ? 1 : DIMS[a];
                    if (reduced[a]) {
                        axes[r++] = a;
                    } else {
                        outDims[k++] = DIMS[a];
                    }
                }
                double[] scale = new double[(int) Shape.of(outDims).size()];
                double[] expected = reference(op, x, reduced, scale);
                try (Tensor out = backend().allocate(DType.F32, Shape.of(outDims));
                     Tensor kept = backend().allocate(DType.F32, Shape.of(keepDims))) {
                    backend().reductions().reduce(op, t, axes, out);
                    assertClose(expected, scale, out.toFloatArray(), 1e-6, op + " over mask " + mask);
                    backend().reductions().reduce(op, t, axes, kept);
                    assertClose(expected, scale, kept.toFloatArray(), 1e-6, op + " keepdims over mask " + mask);
                }
            }
        }
    }

    @Test
    void reducesAStridedView() {
        float[] x = randomFloats(6 * 8);
        try (Tensor t = tensor(x, 6, 8); Tensor out = backend().allocate(DType.F32, Shape.of(8))) {
            // Sum over the rows of the transposed view = sum over each column of t.
            backend().reductions().reduce(ReduceOp.SUM, t.transpose(0, 1), new int[] {1}, out);
            double[] expected = new double[8];
            double[] scale = new double[8];
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 8; j++) {
                    expected[j] += x[i * 8 + j];
                    scale[j] += Math.abs(x[i * 8 + j]);
                }
            }
            assertClose(expected, scale, out.toFloatArray(), 1e-6, "sum of transposed view");
        }
    }

    @Test
    void argmaxPicksTheFirstLargest() {
        float[] x = {1, 5, 5, -1, /**/ -3, -2, -9, -2, /**/ 0, 0, 0, 7};
        try (Tensor t = tensor(x, 3, 4); Tensor rows = backend().allocate(DType.I32, Shape.of(3));
             Tensor cols = backend().allocate(DType.I32, Shape.of(4))) {
            backend().reductions().argmax(t, 1, rows);
            assertArrayEquals(new int[] {1, 1, 3}, rows.toIntArray());
            backend().reductions().argmax(t, 0, cols);
            assertArrayEquals(new int[] {0, 0, 0, 2}, cols.toIntArray());
        }
    }

    @Test
    void argmaxOfManyRows() {
        int rows = 1000;
        int classes = 10;
        float[] x = randomFloats(rows * classes);
        int[] expected = new int[rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 1; c < classes; c++) {
                if (x[r * classes + c] > x[r * classes + expected[r]]) {
                    expected[r] = c;
                }
            }
        }
        try (Tensor t = tensor(x, rows, classes); Tensor out = backend().allocate(DType.I32, Shape.of(rows))) {
            backend().reductions().argmax(t, -1, out);
            assertArrayEquals(expected, out.toIntArray());
        }
    }

    @Test
    void wrongOutputShapeIsRefused() {
        try (Tensor t = tensor(randomFloats(12), 3, 4); Tensor out = backend().allocate(DType.F32, Shape.of(4))) {
            assertThrows(IllegalArgumentException.class,
                    () -> backend().reductions().reduce(ReduceOp.SUM, t, new int[] {1}, out));
        }
    }

    @Test
    void mistakesAreRefusedWithTheSameWordsOnEveryBackend() {
        try (Tensor t = tensor(randomFloats(24), 2, 3, 4);
             Tensor dropped = backend().allocate(DType.F32, Shape.of(2, 4));
             Tensor wrongKept = backend().allocate(DType.F32, Shape.of(2, 5));
             Tensor wrongKeptSize = backend().allocate(DType.F32, Shape.of(2, 2, 4));
             Tensor indices = backend().allocate(DType.I32, Shape.of(6))) {
            assertEquals("reduce SUM: axis -2 listed twice in [1, -2]", assertThrows(IllegalArgumentException.class,
                    () -> backend().reductions().reduce(ReduceOp.SUM, t, new int[] {1, -2}, dropped)).getMessage());
            assertEquals("reduce MAX: output [2, 5] does not match input [2, 3, 4] on kept axis 2",
                    assertThrows(IllegalArgumentException.class,
                            () -> backend().reductions().reduce(ReduceOp.MAX, t, new int[] {1}, wrongKept)).getMessage());
            assertEquals("reduce MEAN: output [2, 2, 4] must have size 1 on reduced axis 1 of input [2, 3, 4]",
                    assertThrows(IllegalArgumentException.class, () -> backend().reductions()
                            .reduce(ReduceOp.MEAN, t, new int[] {1}, wrongKeptSize)).getMessage());
            assertEquals("argmax: output [6] does not match input [2, 3, 4] reduced over axes [1]",
                    assertThrows(IllegalArgumentException.class,
                            () -> backend().reductions().argmax(t, 1, indices)).getMessage());
        }
    }
}
