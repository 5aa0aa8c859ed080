package dev.strix.tensor.cpu;

import dev.strix.tensor.DType;
import dev.strix.tensor.OptimizerSteps;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SGD and Adam updates over flat float32 runs: Vector API lanes, a scalar tail, and the run split
 * across cores when it is large. Each element's arithmetic follows PyTorch's order of operations
 * (multiply, then add; no fused multiply-add) so results track PyTorch's to the last bit or two.
 */
final class CpuOptimizerSteps implements OptimizerSteps {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    /** Below this many elements a second thread costs more than it saves. */
    private static final long MIN_PER_TASK = 1 << 15;

    @Override
    public void sgd(Tensor param, Tensor grad, Tensor momentumBuffer, Tensor scalars, float momentum, float dampening,
                    boolean nesterov, float weightDecay, boolean firstStep) {
        check(param, param, "sgd parameter");
        check(grad, param, "sgd gradient");
        checkScalars(scalars, SGD_SCALARS, "sgd step scalars");
        float lr = scalar(scalars, 0);
        boolean useMomentum = momentum != 0f;
        if (useMomentum) {
            if (momentumBuffer == null) {
                throw new IllegalArgumentException("sgd with momentum " + momentum
                        + " needs a momentum buffer of shape " + param.shape() + ", got null");
            }
            check(momentumBuffer, param, "sgd momentum buffer");
        }
        MemorySegment p = param.storage().segment();
        MemorySegment g = grad.storage().segment();
        MemorySegment b = useMomentum ? momentumBuffer.storage().segment() : null;
        long p0 = param.offset();
        long g0 = grad.offset();
        long b0 = useMomentum ? momentumBuffer.offset() : 0;
        float keep = 1f - dampening;
        CpuParallel.forRange(param.size(), MIN_PER_TASK, (from, to) -> {
            long i = from;
            for (; i <= to - F.length(); i += F.length()) {
                FloatVector pv = FloatVector.fromMemorySegment(F, p, (p0 + i) * 4, NATIVE);
                FloatVector d = FloatVector.fromMemorySegment(F, g, (g0 + i) * 4, NATIVE);
                if (weightDecay != 0f) {
                    d = d.add(pv.mul(weightDecay));
                }
                if (useMomentum) {
                    FloatVector buf = firstStep ? d
                            : FloatVector.fromMemorySegment(F, b, (b0 + i) * 4, NATIVE).mul(momentum).add(d.mul(keep));
                    buf.intoMemorySegment(b, (b0 + i) * 4, NATIVE);
                    d = nesterov ? d.add(buf.mul(momentum)) : buf;
                }
                pv.sub(d.mul(lr)).intoMemorySegment(p, (p0 + i) * 4, NATIVE);
            }
            for (; i < to; i++) {
                float pv = p.getAtIndex(FLOAT, p0 + i);
                float d = g.getAtIndex(FLOAT, g0 + i);
                if (weightDecay != 0f) {
                    d = d + pv * weightDecay;
                }
                if (useMomentum) {
                    float buf = firstStep ? d : b.getAtIndex(FLOAT, b0 + i) * momentum + d * keep;
                    b.setAtIndex(FLOAT, b0 + i, buf);
                    d = nesterov ? d + buf * momentum : buf;
                }
                p.setAtIndex(FLOAT, p0 + i, pv - d * lr);
            }
        });
    }

    @Override
    public void adam(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor scalars, float beta1, float beta2, float eps,
                     float weightDecay, boolean decoupled) {
        check(param, param, "adam parameter");
        check(grad, param, "adam gradient");
        check(m, param, "adam first moment (exp_avg)");
        check(v, param, "adam second moment (exp_avg_sq)");
        checkScalars(scalars, ADAM_SCALARS, "adam step scalars");
        MemorySegment p = param.storage().segment();
        MemorySegment g = grad.storage().segment();
        MemorySegment ms = m.storage().segment();
        MemorySegment vs = v.storage().segment();
        long p0 = param.offset();
        long g0 = grad.offset();
        long m0 = m.offset();
        long v0 = v.offset();
        float stepSize = scalar(scalars, 0);
        float correction2Sqrt = scalar(scalars, 1);
        float shrink = scalar(scalars, 2);
        float l2 = decoupled ? 0f : weightDecay;
        float mix1 = 1f - beta1;
        float mix2 = 1f - beta2;
        CpuParallel.forRange(param.size(), MIN_PER_TASK, (from, to) -> {
            long i = from;
            for (; i <= to - F.length(); i += F.length()) {
                FloatVector pv = FloatVector.fromMemorySegment(F, p, (p0 + i) * 4, NATIVE);
                FloatVector gv = FloatVector.fromMemorySegment(F, g, (g0 + i) * 4, NATIVE);
                if (l2 != 0f) {
                    gv = gv.add(pv.mul(l2));
                }
                FloatVector mv = FloatVector.fromMemorySegment(F, ms, (m0 + i) * 4, NATIVE)
                        .mul(beta1).add(gv.mul(mix1));
                FloatVector vv = FloatVector.fromMemorySegment(F, vs, (v0 + i) * 4, NATIVE)
                        .mul(beta2).add(gv.mul(gv).mul(mix2));
                mv.intoMemorySegment(ms, (m0 + i) * 4, NATIVE);
                vv.intoMemorySegment(vs, (v0 + i) * 4, NATIVE);
                FloatVector denom = vv.sqrt().div(correction2Sqrt).add(eps);
                if (shrink != 1f) {
                    pv = pv.mul(shrink);
                }
                pv.sub(mv.div(denom).mul(stepSize)).intoMemorySegment(p, (p0 + i) * 4, NATIVE);
            }
            for (; i < to; i++) {
                float pv = p.getAtIndex(FLOAT, p0 + i);
                float gv = g.getAtIndex(FLOAT, g0 + i);
                if (l2 != 0f) {
                    gv = gv + pv * l2;
                }
                float mv = ms.getAtIndex(FLOAT, m0 + i) * beta1 + gv * mix1;
                float vv = vs.getAtIndex(FLOAT, v0 + i) * beta2 + gv * gv * mix2;
                ms.setAtIndex(FLOAT, m0 + i, mv);
                vs.setAtIndex(FLOAT, v0 + i, vv);
                float denom = (float) Math.sqrt(vv) / correction2Sqrt + eps;
                p.setAtIndex(FLOAT, p0 + i, pv * shrink - mv / denom * stepSize);
            }
        });
    }

    /** Float32 {@code [length]} in host memory, or a message naming the operand. */
    private static void checkScalars(Tensor t, int length, String what) {
        if (t == null) {
            throw new IllegalArgumentException(what + ": need a float32 [" + length + "] tensor, got null");
        }
        t.requireDType(DType.F32, what);
        if (!t.storage().isHost()) {
            throw new IllegalArgumentException(what + ": tensor lives on backend '" + t.backend().name()
                    + "', not cpu");
        }
        if (t.rank() != 1 || t.dim(0) != length || !t.isContiguous()) {
            throw new IllegalArgumentException(what + " must be a contiguous float32 [" + length + "], got " + t);
        }
    }

    private static float scalar(Tensor scalars, int i) {
        return scalars.storage().segment().getAtIndex(FLOAT, scalars.offset() + i);
    }

    /** Float32, host memory, contiguous, and the parameter's shape, or a message naming the operand. */
    private static void check(Tensor t, Tensor param, String what) {
        t.requireDType(DType.F32, what);
        if (!t.storage().isHost()) {
            throw new IllegalArgumentException(what + ": tensor lives on backend '" + t.backend().name()
                    + "', not cpu");
        }
        if (!t.isContiguous()) {
            throw new IllegalArgumentException(what + " must be contiguous, got " + t);
        }
        if (!t.shape().equals(param.shape())) {
            throw new IllegalArgumentException(what + " has shape " + t.shape() + " but the parameter has shape "
                    + param.shape());
        }
    }
}
