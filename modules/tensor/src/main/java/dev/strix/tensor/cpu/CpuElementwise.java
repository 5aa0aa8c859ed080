package dev.strix.tensor.cpu;

import dev.strix.tensor.BinaryOp;
import dev.strix.tensor.DType;
import dev.strix.tensor.Elementwise;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.UnaryOp;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise float32 ops: Vector API on unit-stride rows, a scalar loop for any other strides. */
final class CpuElementwise implements Elementwise {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out) {
        check(out, "unary " + op + " output");
        check(x, "unary " + op + " input");
        Tensor xb = x.broadcastTo(out.shape().dims());
        MemorySegment xs = x.storage().segment();
        MemorySegment os = out.storage().segment();
        StridedLoop.of(xb, out).runParallel((starts, n, st) -> {
            long a = starts[0];
            long o = starts[1];
            int i = 0;
            if (st[0] == 1 && st[1] == 1 && vectorizable(op)) {
                for (; i <= n - F.length(); i += F.length()) {
                    FloatVector v = FloatVector.fromMemorySegment(F, xs, (a + i) * 4, NATIVE);
                    vectorUnary(op, v).intoMemorySegment(os, (o + i) * 4, NATIVE);
                }
            }
            for (; i < n; i++) {
                float v = xs.getAtIndex(FLOAT, a + i * st[0]);
                os.setAtIndex(FLOAT, o + i * st[1], scalarUnary(op, v));
            }
        });
    }

    private static boolean vectorizable(UnaryOp op) {
        return op != UnaryOp.LOG && op != UnaryOp.EXP;
    }

    private static FloatVector vectorUnary(UnaryOp op, FloatVector v) {
        return switch (op) {
            case NEGATE -> v.neg();
            case ABS -> v.abs();
            case SQRT -> v.sqrt();
            case SQUARE -> v.mul(v);
            case RECIPROCAL -> FloatVector.broadcast(F, 1f).div(v);
            // Not v.max(0): max propagates NaN, and ReLU of NaN is 0 on every path and backend.
            case RELU -> FloatVector.zero(F).blend(v, v.compare(VectorOperators.GT, 0f));
            case EXP -> v.lanewise(VectorOperators.EXP);
            case LOG -> v.lanewise(VectorOperators.LOG);
        };
    }

    static float scalarUnary(UnaryOp op, float x) {
        return switch (op) {
            case NEGATE -> -x;
            case ABS -> Math.abs(x);
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case SQRT -> (float) Math.sqrt(x);
            case SQUARE -> x * x;
            case RECIPROCAL -> 1f / x;
            case RELU -> x > 0f ? x : 0f;
        };
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        check(out, "binary " + op + " output");
        check(a, "binary " + op + " first input");
        check(b, "binary " + op + " second input");
        Tensor ab = broadcast(a, out, op);
        Tensor bb = broadcast(b, out, op);
        MemorySegment as = a.storage().segment();
        MemorySegment bs = b.storage().segment();
        MemorySegment os = out.storage().segment();
        StridedLoop.of(ab, bb, out).runParallel((starts, n, st) -> {
            long pa = starts[0];
            long pb = starts[1];
            long po = starts[2];
            int i = 0;
            if (st[2] == 1 && st[0] == 1 && (st[1] == 1 || st[1] == 0)) {
                boolean scalarB = st[1] == 0;
                FloatVector bv = scalarB ? FloatVector.broadcast(F, bs.getAtIndex(FLOAT, pb)) : null;
                for (; i <= n - F.length(); i += F.length()) {
                    FloatVector x = FloatVector.fromMemorySegment(F, as, (pa + i) * 4, NATIVE);
                    FloatVector y = scalarB ? bv : FloatVector.fromMemorySegment(F, bs, (pb + i) * 4, NATIVE);
                    vectorBinary(op, x, y).intoMemorySegment(os, (po + i) * 4, NATIVE);
                }
            }
            for (; i < n; i++) {
                float x = as.getAtIndex(FLOAT, pa + i * st[0]);
                float y = bs.getAtIndex(FLOAT, pb + i * st[1]);
                os.setAtIndex(FLOAT, po + i * st[2], scalarBinary(op, x, y));
            }
        });
    }

    private static Tensor broadcast(Tensor t, Tensor out, BinaryOp op) {
        try {
            return t.broadcastTo(out.shape().dims());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("binary " + op + ": input " + t.shape()
                    + " does not broadcast to output " + out.shape(), e);
        }
    }

    private static FloatVector vectorBinary(BinaryOp op, FloatVector x, FloatVector y) {
        return switch (op) {
            case ADD -> x.add(y);
            case SUBTRACT -> x.sub(y);
            case MULTIPLY -> x.mul(y);
            case DIVIDE -> x.div(y);
            case MAXIMUM -> x.max(y);
            case MINIMUM -> x.min(y);
        };
    }

    static float scalarBinary(BinaryOp op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUBTRACT -> x - y;
            case MULTIPLY -> x * y;
            case DIVIDE -> x / y;
            case MAXIMUM -> Math.max(x, y);
            case MINIMUM -> Math.min(x, y);
        };
    }

    @Override
    public void scalar(BinaryOp op, Tensor a, float scalar, Tensor out) {
        check(out, "scalar " + op + " output");
        check(a, "scalar " + op + " input");
        Tensor ab = broadcast(a, out, op);
        MemorySegment as = a.storage().segment();
        MemorySegment os = out.storage().segment();
        StridedLoop.of(ab, out).runParallel((starts, n, st) -> {
            long pa = starts[0];
            long po = starts[1];
            int i = 0;
            if (st[0] == 1 && st[1] == 1) {
                FloatVector y = FloatVector.broadcast(F, scalar);
                for (; i <= n - F.length(); i += F.length()) {
                    FloatVector x = FloatVector.fromMemorySegment(F, as, (pa + i) * 4, NATIVE);
                    vectorBinary(op, x, y).intoMemorySegment(os, (po + i) * 4, NATIVE);
                }
            }
            for (; i < n; i++) {
                float x = as.getAtIndex(FLOAT, pa + i * st[0]);
                os.setAtIndex(FLOAT, po + i * st[1], scalarBinary(op, x, scalar));
            }
        });
    }

    @Override
    public void axpby(float alpha, Tensor x, float beta, Tensor y) {
        check(y, "axpby y");
        check(x, "axpby x");
        Tensor xb = x.broadcastTo(y.shape().dims());
        MemorySegment xs = x.storage().segment();
        MemorySegment ys = y.storage().segment();
        StridedLoop.of(xb, y).runParallel((starts, n, st) -> {
            long px = starts[0];
            long py = starts[1];
            int i = 0;
            if (st[0] == 1 && st[1] == 1) {
                for (; i <= n - F.length(); i += F.length()) {
                    FloatVector xv = FloatVector.fromMemorySegment(F, xs, (px + i) * 4, NATIVE);
                    FloatVector r = xv.mul(alpha);
                    if (beta != 0f) {
                        r = r.add(FloatVector.fromMemorySegment(F, ys, (py + i) * 4, NATIVE).mul(beta));
                    }
                    r.intoMemorySegment(ys, (py + i) * 4, NATIVE);
                }
            }
            for (; i < n; i++) {
                long at = py + i * st[1];
                float yv = beta == 0f ? 0f : beta * ys.getAtIndex(FLOAT, at);
                ys.setAtIndex(FLOAT, at, alpha * xs.getAtIndex(FLOAT, px + i * st[0]) + yv);
            }
        });
    }

    static void check(Tensor t, String what) {
        t.requireDType(DType.F32, what);
        if (!t.storage().isHost()) {
            throw new IllegalArgumentException(what + ": tensor lives on backend '" + t.backend().name() + "', not cpu");
        }
    }
}
