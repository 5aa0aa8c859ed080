package dev.strix.tensor.cpu;

import dev.strix.tensor.DType;
import dev.strix.tensor.Pooling;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** Max pooling on the CPU: one (sample, channel) plane per unit of parallel work, on a heap copy of it. */
final class CpuPooling implements Pooling {
    @Override
    public void maxPoolForward(Tensor x, int kh, int kw, int sh, int sw, Tensor out, Tensor argmax) {
        CpuElementwise.check(x, "maxPoolForward input");
        CpuElementwise.check(out, "maxPoolForward output");
        argmax.requireDType(DType.I32, "maxPoolForward argmax");
        Shape pooled = Pooling.requireOutputShapes("maxPoolForward", "input", x.shape(), kh, kw, sh, sw,
                "output and argmax", out.shape(), argmax.shape());
        int oh = pooled.dim(2);
        int ow = pooled.dim(3);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        long[] xs = x.strides();
        long[] os = out.strides();
        long[] as = argmax.strides();
        MemorySegment xm = x.storage().segment();
        MemorySegment om = out.storage().segment();
        MemorySegment am = argmax.storage().segment();
        long perPlane = (long) h * w + (long) oh * ow * kh * kw;
        CpuParallel.forRange((long) x.dim(0) * c, Math.max(1, (1 << 15) / Math.max(1, perPlane)), (from, to) -> {
            float[] in = PlaneCopy.floats(0, h * w + MaxPool2x2.PADDING);
            float[] best = PlaneCopy.floats(1, oh * ow + MaxPool2x2.PADDING);
            int[] where = PlaneCopy.ints(oh * ow + MaxPool2x2.PADDING);
            for (long nc = from; nc < to; nc++) {
                long n = nc / c;
                long ch = nc % c;
                PlaneCopy.read(xm, x.offset() + n * xs[0] + ch * xs[1], xs[2], xs[3], h, w, in);
                if (kh == 2 && kw == 2 && sh == 2 && sw == 2) {
                    MaxPool2x2.plane(in, w, oh, ow, best, where);
                } else {
                    poolPlane(in, w, kh, kw, sh, sw, oh, ow, best, where);
                }
                PlaneCopy.write(best, om, out.offset() + n * os[0] + ch * os[1], os[2], os[3], oh, ow);
                PlaneCopy.write(where, am, argmax.offset() + n * as[0] + ch * as[1], as[2], as[3], oh, ow);
            }
        });
    }

    /** Window maxima and their positions in one plane of width {@code w}, all on heap arrays. */
    private static void poolPlane(float[] in, int w, int kh, int kw, int sh, int sw, int oh, int ow, float[] best,
                                  int[] where) {
        for (int y = 0; y < oh; y++) {
            for (int col = 0; col < ow; col++) {
                int corner = (y * sh) * w + col * sw;
                float max = in[corner];
                int bestAt = corner;
                boolean nan = false;
                for (int i = 0; i < kh; i++) {
                    for (int j = 0, k = corner + i * w; j < kw; j++, k++) {
                        float v = in[k];
                        // Written as selects, not branches: random data would mispredict half the time.
                        boolean better = v > max;
                        max = better ? v : max;
                        bestAt = better ? k : bestAt;
                        nan |= v != v;
                    }
                }
                if (nan) {
                    // NaN propagates, as in PyTorch: the first NaN of the window wins.
                    search:
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0, k = corner + i * w; j < kw; j++, k++) {
                            if (in[k] != in[k]) {
                                max = in[k];
                                bestAt = k;
                                break search;
                            }
                        }
                    }
                }
                best[y * ow + col] = max;
                where[y * ow + col] = bestAt;
            }
        }
    }

    @Override
    public void maxPoolBackward(Tensor dOut, Tensor argmax, int kh, int kw, int sh, int sw, Tensor dx) {
        CpuElementwise.check(dOut, "maxPoolBackward output gradient");
        CpuElementwise.check(dx, "maxPoolBackward input gradient");
        argmax.requireDType(DType.I32, "maxPoolBackward argmax");
        Shape pooled = Pooling.requireOutputShapes("maxPoolBackward", "input gradient", dx.shape(), kh, kw, sh, sw,
                "output gradient and argmax", dOut.shape(), argmax.shape());
        int c = dx.dim(1);
        int h = dx.dim(2);
        int w = dx.dim(3);
        int oh = pooled.dim(2);
        int ow = pooled.dim(3);
        long[] gs = dOut.strides();
        long[] as = argmax.strides();
        long[] xs = dx.strides();
        MemorySegment gm = dOut.storage().segment();
        MemorySegment am = argmax.storage().segment();
        MemorySegment xm = dx.storage().segment();
        long perPlane = (long) h * w + (long) oh * ow;
        CpuParallel.forRange((long) dx.dim(0) * c, Math.max(1, (1 << 15) / Math.max(1, perPlane)), (from, to) -> {
            float[] grad = PlaneCopy.floats(0, oh * ow);
            float[] plane = PlaneCopy.floats(1, h * w);
            int[] where = PlaneCopy.ints(oh * ow);
            for (long nc = from; nc < to; nc++) {
                long n = nc / c;
                long ch = nc % c;
                PlaneCopy.read(gm, dOut.offset() + n * gs[0] + ch * gs[1], gs[2], gs[3], oh, ow, grad);
                PlaneCopy.read(am, argmax.offset() + n * as[0] + ch * as[1], as[2], as[3], oh, ow, where);
                Arrays.fill(plane, 0, h * w, 0f);
                for (int k = 0; k < oh * ow; k++) {
                    int at = where[k];
                    int y = k / ow;
                    int col = k % ow;
                    if (!inWindow(at, w, y * sh, col * sw, kh, kw, h)) {
                        throw new IllegalArgumentException(outsideTheWindow(n, ch, y, col, at, kh, kw, sh, sw, h, w));
                    }
                    plane[at] += grad[k];
                }
                PlaneCopy.write(plane, xm, dx.offset() + n * xs[0] + ch * xs[1], xs[2], xs[3], h, w);
            }
        });
    }

    /** Whether plane position {@code at} lies in the {@code kh x kw} window with top-left corner (row, column). */
    private static boolean inWindow(int at, int w, int row, int column, int kh, int kw, int h) {
        if (at < 0 || at >= h * w) {
            return false;
        }
        int r = at / w;
        int s = at % w;
        return r >= row && r < row + kh && s >= column && s < column + kw;
    }

    /** The message for an argmax {@code at} at output [n, c, y, x] that is not in its window. */
    static String outsideTheWindow(long n, long c, int y, int x, int at, int kh, int kw, int sh, int sw, int h, int w) {
        return "maxPoolBackward: argmax " + at + " at [" + n + ", " + c + ", " + y + ", " + x + "] lies outside its "
                + kh + "x" + kw + " window at row " + y * sh + ", column " + x * sw + " of the " + h + "x" + w
                + " input plane";
    }
}
