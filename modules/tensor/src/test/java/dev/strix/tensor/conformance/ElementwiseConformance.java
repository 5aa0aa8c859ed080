package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strix.tensor.BinaryOp;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.UnaryOp;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** Unary, binary (with broadcasting), scalar and axpby ops against double-precision loops. */
public abstract class ElementwiseConformance extends BackendConformance {

    private float[] positive(int n) {
        float[] a = randomFloats(n);
        for (int i = 0; i < n; i++) {
            a[i] = Math.abs(a[i]) + 0.1f;
        }
        return a;
    }

    @ParameterizedTest
    @EnumSource(UnaryOp.class)
    void unaryOnContiguousAndStridedInputs(UnaryOp op) {
        int n = 1000;
        float[] x = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RECIPROCAL ? positive(n) : randomFloats(n);
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) {
            expected[i] = op.apply(x[i]);
        }
        try (Tensor in = tensor(x, 10, 100); Tensor out = backend().allocate(DType.F32, Shape.of(10, 100))) {
            backend().elementwise().unary(op, in, out);
            assertClose(expected, out.toFloatArray(), 4 * FLOAT_TOLERANCE, "unary " + op);
            // Transposed input into transposed output: same values, strided walk.
            backend().elementwise().unary(op, in.transpose(0, 1), out.transpose(0, 1));
            assertClose(expected, out.toFloatArray(), 4 * FLOAT_TOLERANCE, "unary " + op + " strided");
        }
    }

    /**
     * ReLU of NaN is 0 on every backend and every path (vector lanes, scalar tails, strided walks):
     * {@code x > 0 ? x : 0}, as {@link UnaryOp#apply} defines it; infinities and signed zeros too.
     */
    @Test
    void reluOfNanIsZeroOnEveryPath() {
        float[] special = {Float.NaN, -0f, 0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -1f, 2f};
        int n = 67;   // vector lanes and a scalar tail
        float[] x = new float[n];
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = special[i % special.length];
            expected[i] = x[i] > 0f ? x[i] : 0f;
        }
        try (Tensor in = tensor(x, n); Tensor out = backend().allocate(DType.F32, Shape.of(n));
             Tensor wide = tensor(interleaved(x), n, 2)) {
            backend().elementwise().unary(UnaryOp.RELU, in, out);
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, out.toFloatArray(), 0f, "contiguous");
            backend().elementwise().unary(UnaryOp.RELU, wide.select(1, 0), out);
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, out.toFloatArray(), 0f, "strided");
        }
    }

    private static float[] interleaved(float[] x) {
        float[] w = new float[2 * x.length];
        for (int i = 0; i < x.length; i++) {
            w[2 * i] = x[i];
            w[2 * i + 1] = 5f;
        }
        return w;
    }

    @ParameterizedTest
    @EnumSource(BinaryOp.class)
    void binaryBroadcastsRowsAndColumns(BinaryOp op) {
        int rows = 7;
        int cols = 37;
        float[] a = randomFloats(rows * cols);
        float[] row = op == BinaryOp.DIVIDE ? positive(cols) : randomFloats(cols);
        float[] col = op == BinaryOp.DIVIDE ? positive(rows) : randomFloats(rows);
        double[] byRow = new double[rows * cols];
        double[] byCol = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                byRow[i * cols + j] = op.apply(a[i * cols + j], row[j]);
                byCol[i * cols + j] = op.apply(a[i * cols + j], col[i]);
            }
        }
        try (Tensor ta = tensor(a, rows, cols); Tensor tr = tensor(row, cols); Tensor tc = tensor(col, rows, 1);
             Tensor out = backend().allocate(DType.F32, Shape.of(rows, cols))) {
            backend().elementwise().binary(op, ta, tr, out);
            assertClose(byRow, out.toFloatArray(), FLOAT_TOLERANCE, op + " broadcast row");
            backend().elementwise().binary(op, ta, tc, out);
            assertClose(byCol, out.toFloatArray(), FLOAT_TOLERANCE, op + " broadcast column");
            // In place: out = op(out, row) where out holds a.
            out.copyFrom(a);
            backend().elementwise().binary(op, out, tr, out);
            assertClose(byRow, out.toFloatArray(), FLOAT_TOLERANCE, op + " in place");
        }
    }

    @ParameterizedTest
    @EnumSource(BinaryOp.class)
    void scalarOperand(BinaryOp op) {
        float[] a = randomFloats(301);
        double[] expected = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            expected[i] = op.apply(a[i], 0.75f);
        }
        try (Tensor ta = tensor(a, a.length); Tensor out = backend().allocate(DType.F32, Shape.of(a.length))) {
            backend().elementwise().scalar(op, ta, 0.75f, out);
            assertClose(expected, out.toFloatArray(), FLOAT_TOLERANCE, "scalar " + op);
        }
    }

    @Test
    void axpbyIgnoresGarbageWhenBetaIsZero() {
        float[] x = randomFloats(100);
        float[] y = randomFloats(100);
        double[] expected = new double[100];
        for (int i = 0; i < 100; i++) {
            expected[i] = 0.5 * x[i] - 2.0 * y[i];
        }
        try (Tensor tx = tensor(x, 100); Tensor ty = tensor(y, 100)) {
            backend().elementwise().axpby(0.5f, tx, -2f, ty);
            assertClose(expected, ty.toFloatArray(), FLOAT_TOLERANCE, "axpby");
            ty.fill(Float.NaN);
            backend().elementwise().axpby(3f, tx, 0f, ty);
            double[] scaled = new double[100];
            for (int i = 0; i < 100; i++) {
                scaled[i] = 3.0 * x[i];
            }
            assertClose(scaled, ty.toFloatArray(), FLOAT_TOLERANCE, "axpby beta 0");
        }
    }

    @Test
    void mismatchedShapesAreRefused() {
        try (Tensor a = tensor(randomFloats(6), 2, 3); Tensor b = tensor(randomFloats(4), 4);
             Tensor out = backend().allocate(DType.F32, Shape.of(2, 3))) {
            assertThrows(IllegalArgumentException.class, () -> backend().elementwise().binary(BinaryOp.ADD, a, b, out));
        }
    }
}
