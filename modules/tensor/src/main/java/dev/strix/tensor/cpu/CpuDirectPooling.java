package dev.strix.tensor.cpu;

import dev.strix.tensor.DirectPooling;
import dev.strix.tensor.Pooling;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The reference for {@link DirectPooling}: plain loops over views of any strides, one (sample,
 * channel) plane per unit of parallel work. The backward pass searches each window again for its
 * first maximum in row-major order (the element {@link CpuPooling} records as the argmax).
 */
final class CpuDirectPooling implements DirectPooling {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    @Override
    public void maxPoolForward(Tensor x, int kh, int kw, int sh, int sw, Tensor out) {
        CpuElementwise.check(x, "maxPoolForward input");
        CpuElementwise.check(out, "maxPoolForward output");
        Shape expected = Pooling.outputShape("maxPoolForward", "input", x.shape(), kh, kw, sh, sw);
        if (!out.shape().equals(expected)) {
            throw new IllegalArgumentException("maxPoolForward: input " + x.shape() + " with window " + kh + "x" + kw
                    + " and stride " + sh + "x" + sw + " needs output " + expected + ", got " + out.shape());
        }
        Planes p = new Planes(x, out, null);
        CpuParallel.forRange((long) x.dim(0) * x.dim(1), 1, (from, to) -> {
            for (long nc = from; nc < to; nc++) {
                for (int y = 0; y < expected.dim(2); y++) {
                    for (int col = 0; col < expected.dim(3); col++) {
                        long at = p.windowMaximum(x, nc, y * sh, col * sw, kh, kw);
                        p.b.setAtIndex(FLOAT, p.element(out, nc, y, col), p.a.getAtIndex(FLOAT, at));
                    }
                }
            }
        });
    }

    @Override
    public void maxPoolBackward(Tensor x, Tensor out, Tensor dOut, int kh, int kw, int sh, int sw, Tensor dx) {
        CpuElementwise.check(x, "maxPoolBackward input");
        CpuElementwise.check(out, "maxPoolBackward output");
        CpuElementwise.check(dOut, "maxPoolBackward output gradient");
        CpuElementwise.check(dx, "maxPoolBackward input gradient");
        Shape expected = Pooling.outputShape("maxPoolBackward", "input", x.shape(), kh, kw, sh, sw);
        if (!out.shape().equals(expected) || !dOut.shape().equals(expected) || !dx.shape().equals(x.shape())) {
            throw new IllegalArgumentException("maxPoolBackward: input " + x.shape() + " with window " + kh + "x" + kw
                    + " and stride " + sh + "x" + sw + " needs output and output gradient " + expected
                    + " and input gradient " + x.shape() + ", got " + out.shape() + ", " + dOut.shape() + " and "
                    + dx.shape());
        }
        int h = x.dim(2);
        int w = x.dim(3);
        Planes p = new Planes(x, dOut, dx);
        CpuParallel.forRange((long) x.dim(0) * x.dim(1), 1, (from, to) -> {
            float[] plane = PlaneCopy.floats(0, h * w);
            for (long nc = from; nc < to; nc++) {
                Arrays.fill(plane, 0, h * w, 0f);
                for (int y = 0; y < expected.dim(2); y++) {
                    for (int col = 0; col < expected.dim(3); col++) {
                        int at = p.windowMaximumInPlane(x, nc, y * sh, col * sw, kh, kw);
                        plane[at] += p.b.getAtIndex(FLOAT, p.element(dOut, nc, y, col));
                    }
                }
                for (int r = 0; r < h; r++) {
                    for (int s = 0; s < w; s++) {
                        p.c.setAtIndex(FLOAT, p.element(dx, nc, r, s), plane[r * w + s]);
                    }
                }
            }
        });
    }


    /** The segments of up to three tensors and element addressing by (plane, row, column). */
    private record Planes(MemorySegment a, MemorySegment b, MemorySegment c) {
        Planes(Tensor a, Tensor b, Tensor c) {
            this(a.storage().segment(), b.storage().segment(), c == null ? null : c.storage().segment());
        }

        long element(Tensor t, long nc, int row, int col) {
            long n = nc / t.dim(1);
            long ch = nc % t.dim(1);
            return t.offset() + n * t.stride(0) + ch * t.stride(1) + row * t.stride(2) + col * t.stride(3);
        }

        /** The element index (in x's segment) of the first maximum of the window at (top, left). */
        long windowMaximum(Tensor x, long nc, int top, int left, int kh, int kw) {
            long best = element(x, nc, top, left);
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    long at = element(x, nc, top + i, left + j);
                    if (a.getAtIndex(FLOAT, at) > a.getAtIndex(FLOAT, best)) {
                        best = at;
                    }
                }
            }
            return best;
        }

        /** As {@link #windowMaximum}, as the position {@code row * W + column} within the plane. */
        int windowMaximumInPlane(Tensor x, long nc, int top, int left, int kh, int kw) {
            int best = top * x.dim(3) + left;
            float max = a.getAtIndex(FLOAT, element(x, nc, top, left));
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    float v = a.getAtIndex(FLOAT, element(x, nc, top + i, left + j));
                    if (v > max) {
                        max = v;
                        best = (top + i) * x.dim(3) + left + j;
                    }
                }
            }
            return best;
        }
    }
}
