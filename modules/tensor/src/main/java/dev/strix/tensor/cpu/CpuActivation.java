package dev.strix.tensor.cpu;

import dev.strix.tensor.Activation;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** ReLU backward and row softmax on the CPU. */
final class CpuActivation implements Activation {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    @Override
    public void reluBackward(Tensor output, Tensor dOut, Tensor dx) {
        CpuElementwise.check(output, "reluBackward output");
        CpuElementwise.check(dOut, "reluBackward output gradient");
        CpuElementwise.check(dx, "reluBackward input gradient");
        if (!output.shape().equals(dOut.shape()) || !dx.shape().equals(dOut.shape())) {
            throw new IllegalArgumentException("reluBackward: output " + output.shape() + ", output gradient "
                    + dOut.shape() + " and input gradient " + dx.shape() + " must have the same shape");
        }
        MemorySegment ys = output.storage().segment();
        MemorySegment gs = dOut.storage().segment();
        MemorySegment ds = dx.storage().segment();
        StridedLoop.of(output, dOut, dx).runParallel((starts, n, st) -> {
            long y = starts[0];
            long g = starts[1];
            long d = starts[2];
            int i = 0;
            if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
                FloatVector zero = FloatVector.zero(F);
                for (; i <= n - F.length(); i += F.length()) {
                    FloatVector yv = FloatVector.fromMemorySegment(F, ys, (y + i) * 4, NATIVE);
                    FloatVector gv = FloatVector.fromMemorySegment(F, gs, (g + i) * 4, NATIVE);
                    zero.blend(gv, yv.compare(VectorOperators.GT, 0f)).intoMemorySegment(ds, (d + i) * 4, NATIVE);
                }
            }
            for (; i < n; i++) {
                float v = ys.getAtIndex(FLOAT, y + i * st[0]);
                ds.setAtIndex(FLOAT, d + i * st[2], v > 0f ? gs.getAtIndex(FLOAT, g + i * st[1]) : 0f);
            }
        });
    }

    @Override
    public void softmax(Tensor x, Tensor out) {
        checkRows("softmax", x, out);
        MemorySegment xs = x.storage().segment();
        MemorySegment os = out.storage().segment();
        int k = x.dim(1);
        CpuParallel.forRange(x.dim(0), Math.max(1, (1 << 13) / Math.max(1, k)), (from, to) -> {
            for (int n = (int) from; n < to; n++) {
                long xr = x.offset() + n * x.stride(0);
                long or = out.offset() + n * out.stride(0);
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < k; j++) {
                    max = Math.max(max, xs.getAtIndex(FLOAT, xr + j * x.stride(1)));
                }
                double sum = 0;
                for (int j = 0; j < k; j++) {
                    sum += Math.exp(xs.getAtIndex(FLOAT, xr + j * x.stride(1)) - max);
                }
                for (int j = 0; j < k; j++) {
                    double e = Math.exp(xs.getAtIndex(FLOAT, xr + j * x.stride(1)) - max);
                    os.setAtIndex(FLOAT, or + j * out.stride(1), (float) (e / sum));
                }
            }
        });
    }

    @Override
    public void softmaxBackward(Tensor output, Tensor dOut, Tensor dx) {
        checkRows("softmaxBackward", output, dOut);
        checkRows("softmaxBackward", output, dx);
        MemorySegment ys = output.storage().segment();
        MemorySegment gs = dOut.storage().segment();
        MemorySegment ds = dx.storage().segment();
        int k = output.dim(1);
        CpuParallel.forRange(output.dim(0), Math.max(1, (1 << 13) / Math.max(1, k)), (from, to) -> {
            for (int n = (int) from; n < to; n++) {
                long yr = output.offset() + n * output.stride(0);
                long gr = dOut.offset() + n * dOut.stride(0);
                long dr = dx.offset() + n * dx.stride(0);
                double dot = 0;
                for (int j = 0; j < k; j++) {
                    dot += (double) ys.getAtIndex(FLOAT, yr + j * output.stride(1)) * gs.getAtIndex(FLOAT, gr + j * dOut.stride(1));
                }
                for (int j = 0; j < k; j++) {
                    double y = ys.getAtIndex(FLOAT, yr + j * output.stride(1));
                    double g = gs.getAtIndex(FLOAT, gr + j * dOut.stride(1));
                    ds.setAtIndex(FLOAT, dr + j * dx.stride(1), (float) (y * (g - dot)));
                }
            }
        });
    }

    private static void checkRows(String op, Tensor a, Tensor b) {
        CpuElementwise.check(a, op + " input");
        CpuElementwise.check(b, op + " output");
        if (a.rank() != 2 || !a.shape().equals(b.shape())) {
            throw new IllegalArgumentException(op + " needs two [N, K] tensors of the same shape, got " + a.shape()
                    + " and " + b.shape());
        }
    }
}
