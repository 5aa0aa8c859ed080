package dev.strix.tensor.cpu;

import dev.strix.tensor.DType;
import dev.strix.tensor.Pooling;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/** Max pooling on the CPU, one (sample, channel) plane per unit of parallel work. */
final class CpuPooling implements Pooling {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    @Override
    public void maxPoolForward(Tensor x, int kh, int kw, int sh, int sw, Tensor out, Tensor argmax) {
        CpuElementwise.check(x, "maxPoolForward input");
        CpuElementwise.check(out, "maxPoolForward output");
        argmax.requireDType(DType.I32, "maxPoolForward argmax");
        if (x.rank() != 4 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || kh > x.dim(2) || kw > x.dim(3)) {
            throw new IllegalArgumentException("maxPoolForward: window " + kh + "x" + kw + " with stride " + sh + "x"
                    + sw + " does not fit input " + x.shape() + " (needs [N, C, H, W])");
        }
        int oh = (x.dim(2) - kh) / sh + 1;
        int ow = (x.dim(3) - kw) / sw + 1;
        int[] expected = {x.dim(0), x.dim(1), oh, ow};
        if (!out.shape().equals(Shape.of(expected)) || !argmax.shape().equals(out.shape())) {
            throw new IllegalArgumentException("maxPoolForward: input " + x.shape() + " with window " + kh + "x" + kw
                    + " and stride " + sh + "x" + sw + " needs output and argmax " + Arrays.toString(expected)
                    + ", got " + out.shape() + " and " + argmax.shape());
        }
        int c = x.dim(1);
        int w = x.dim(3);
        long[] xs = x.strides();
        long[] os = out.strides();
        long[] as = argmax.strides();
        MemorySegment xm = x.storage().segment();
        MemorySegment om = out.storage().segment();
        MemorySegment am = argmax.storage().segment();
        long perPlane = (long) oh * ow * kh * kw;
        CpuParallel.forRange((long) x.dim(0) * c, Math.max(1, (1 << 15) / Math.max(1, perPlane)), (from, to) -> {
            for (long nc = from; nc < to; nc++) {
                long n = nc / c;
                long ch = nc % c;
                long xBase = x.offset() + n * xs[0] + ch * xs[1];
                long oBase = out.offset() + n * os[0] + ch * os[1];
                long aBase = argmax.offset() + n * as[0] + ch * as[1];
                for (int y = 0; y < oh; y++) {
                    for (int col = 0; col < ow; col++) {
                        int bestAt = -1;
                        float best = Float.NEGATIVE_INFINITY;
                        for (int i = 0; i < kh; i++) {
                            int r = y * sh + i;
                            long row = xBase + r * xs[2];
                            for (int j = 0; j < kw; j++) {
                                int s = col * sw + j;
                                float v = xm.getAtIndex(FLOAT, row + s * xs[3]);
                                // NaN wins so that it propagates, as in PyTorch.
                                if (bestAt < 0 || v > best || (Float.isNaN(v) && !Float.isNaN(best))) {
                                    best = v;
                                    bestAt = r * w + s;
                                }
                            }
                        }
                        om.setAtIndex(FLOAT, oBase + y * os[2] + col * os[3], best);
                        am.setAtIndex(INT, aBase + y * as[2] + col * as[3], bestAt);
                    }
                }
            }
        });
    }

    @Override
    public void maxPoolBackward(Tensor dOut, Tensor argmax, Tensor dx) {
        CpuElementwise.check(dOut, "maxPoolBackward output gradient");
        CpuElementwise.check(dx, "maxPoolBackward input gradient");
        argmax.requireDType(DType.I32, "maxPoolBackward argmax");
        if (dOut.rank() != 4 || dx.rank() != 4 || !argmax.shape().equals(dOut.shape())
                || dx.dim(0) != dOut.dim(0) || dx.dim(1) != dOut.dim(1)) {
            throw new IllegalArgumentException("maxPoolBackward: output gradient " + dOut.shape() + ", argmax "
                    + argmax.shape() + " and input gradient " + dx.shape() + " must be [N, C, OH, OW] twice and"
                    + " [N, C, H, W]");
        }
        int c = dx.dim(1);
        int h = dx.dim(2);
        int w = dx.dim(3);
        int oh = dOut.dim(2);
        int ow = dOut.dim(3);
        long[] gs = dOut.strides();
        long[] as = argmax.strides();
        long[] xs = dx.strides();
        MemorySegment gm = dOut.storage().segment();
        MemorySegment am = argmax.storage().segment();
        MemorySegment xm = dx.storage().segment();
        long perPlane = (long) h * w + (long) oh * ow;
        CpuParallel.forRange((long) dx.dim(0) * c, Math.max(1, (1 << 15) / Math.max(1, perPlane)), (from, to) -> {
            for (long nc = from; nc < to; nc++) {
                long n = nc / c;
                long ch = nc % c;
                long xBase = dx.offset() + n * xs[0] + ch * xs[1];
                long gBase = dOut.offset() + n * gs[0] + ch * gs[1];
                long aBase = argmax.offset() + n * as[0] + ch * as[1];
                for (int r = 0; r < h; r++) {
                    for (int s = 0; s < w; s++) {
                        xm.setAtIndex(FLOAT, xBase + r * xs[2] + s * xs[3], 0f);
                    }
                }
                for (int y = 0; y < oh; y++) {
                    for (int col = 0; col < ow; col++) {
                        int at = am.getAtIndex(INT, aBase + y * as[2] + col * as[3]);
                        if (at < 0 || at >= h * w) {
                            throw new IllegalArgumentException("maxPoolBackward: argmax " + at + " at [" + n + ", "
                                    + ch + ", " + y + ", " + col + "] lies outside the " + h + "x" + w + " input plane");
                        }
                        long target = xBase + (at / w) * xs[2] + (at % w) * xs[3];
                        float g = gm.getAtIndex(FLOAT, gBase + y * gs[2] + col * gs[3]);
                        xm.setAtIndex(FLOAT, target, xm.getAtIndex(FLOAT, target) + g);
                    }
                }
            }
        });
    }
}
