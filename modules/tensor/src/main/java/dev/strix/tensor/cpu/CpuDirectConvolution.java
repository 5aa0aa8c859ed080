package dev.strix.tensor.cpu;

import dev.strix.tensor.DType;
import dev.strix.tensor.DirectConvolution;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The reference {@link DirectConvolution}: the defining sums as loops with double accumulators,
 * one task per (image, output channel) or per output channel. Readable rather than fast: the CPU
 * trains with the strided-view and im2col paths; this is what the CUDA backend's cuDNN path is
 * checked against.
 */
final class CpuDirectConvolution implements DirectConvolution {
    private final CpuBackend backend;

    CpuDirectConvolution(CpuBackend backend) {
        this.backend = backend;
    }

    /** Every size of one call, checked. */
    private record Geometry(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw,
                            int oh, int ow) {
    }

    @Override
    public void forward(Tensor x, Tensor weight, Tensor bias, int strideH, int strideW, int padH, int padW, Tensor y) {
        Geometry g = geometry("forward", x, weight, strideH, strideW, padH, padW, y, "output");
        if (bias != null) {
            check(bias, "forward bias");
            bias.requireShape(Shape.of(g.o), "forward bias");
        }
        MemorySegment xs = x.storage().segment();
        MemorySegment ws = weight.storage().segment();
        MemorySegment ys = y.storage().segment();
        MemorySegment bs = bias == null ? null : bias.storage().segment();
        CpuParallel.forRange((long) g.n * g.o, 1, (from, to) -> {
            for (long task = from; task < to; task++) {
                int n = (int) (task / g.o);
                int o = (int) (task % g.o);
                double b = bs == null ? 0 : bs.getAtIndex(ValueLayout.JAVA_FLOAT, bias.offset() + o * bias.stride(0));
                for (int i = 0; i < g.oh; i++) {
                    for (int j = 0; j < g.ow; j++) {
                        double sum = b;
                        for (int c = 0; c < g.c; c++) {
                            for (int a = 0; a < g.kh; a++) {
                                int r = i * g.sh + a - g.ph;
                                if (r < 0 || r >= g.h) {
                                    continue;
                                }
                                for (int k = 0; k < g.kw; k++) {
                                    int s = j * g.sw + k - g.pw;
                                    if (s >= 0 && s < g.w) {
                                        sum += (double) at(xs, x, n, c, r, s) * at(ws, weight, o, c, a, k);
                                    }
                                }
                            }
                        }
                        put(ys, y, n, o, i, j, (float) sum);
                    }
                }
            }
        });
    }

    @Override
    public void backwardData(Tensor dy, Tensor weight, int strideH, int strideW, int padH, int padW, Tensor dx) {
        Geometry g = geometry("backwardData", dx, weight, strideH, strideW, padH, padW, dy, "output gradient");
        MemorySegment dys = dy.storage().segment();
        MemorySegment ws = weight.storage().segment();
        MemorySegment dxs = dx.storage().segment();
        // Gather form: each input position sums the outputs whose windows cover it.
        CpuParallel.forRange((long) g.n * g.c, 1, (from, to) -> {
            for (long task = from; task < to; task++) {
                int n = (int) (task / g.c);
                int c = (int) (task % g.c);
                for (int r = 0; r < g.h; r++) {
                    for (int s = 0; s < g.w; s++) {
                        double sum = 0;
                        for (int a = 0; a < g.kh; a++) {
                            int ti = r + g.ph - a;
                            if (ti < 0 || ti % g.sh != 0 || ti / g.sh >= g.oh) {
                                continue;
                            }
                            for (int k = 0; k < g.kw; k++) {
                                int tj = s + g.pw - k;
                                if (tj < 0 || tj % g.sw != 0 || tj / g.sw >= g.ow) {
                                    continue;
                                }
                                for (int o = 0; o < g.o; o++) {
                                    sum += (double) at(dys, dy, n, o, ti / g.sh, tj / g.sw) * at(ws, weight, o, c, a, k);
                                }
                            }
                        }
                        put(dxs, dx, n, c, r, s, (float) sum);
                    }
                }
            }
        });
    }

    @Override
    public void backwardFilter(Tensor x, Tensor dy, int strideH, int strideW, int padH, int padW, Tensor dWeight) {
        Geometry g = geometry("backwardFilter", x, dWeight, strideH, strideW, padH, padW, dy, "output gradient");
        MemorySegment xs = x.storage().segment();
        MemorySegment dys = dy.storage().segment();
        MemorySegment dws = dWeight.storage().segment();
        CpuParallel.forRange((long) g.o * g.c, 1, (from, to) -> {
            for (long task = from; task < to; task++) {
                int o = (int) (task / g.c);
                int c = (int) (task % g.c);
                for (int a = 0; a < g.kh; a++) {
                    for (int k = 0; k < g.kw; k++) {
                        double sum = 0;
                        for (int n = 0; n < g.n; n++) {
                            for (int i = 0; i < g.oh; i++) {
                                int r = i * g.sh + a - g.ph;
                                if (r < 0 || r >= g.h) {
                                    continue;
                                }
                                for (int j = 0; j < g.ow; j++) {
                                    int s = j * g.sw + k - g.pw;
                                    if (s >= 0 && s < g.w) {
                                        sum += (double) at(dys, dy, n, o, i, j) * at(xs, x, n, c, r, s);
                                    }
                                }
                            }
                        }
                        put(dws, dWeight, o, c, a, k, (float) sum);
                    }
                }
            }
        });
    }

    @Override
    public void backwardBias(Tensor dy, Tensor dBias) {
        check(dy, "backwardBias output gradient");
        check(dBias, "backwardBias bias gradient");
        if (dy.rank() != 4 || !dBias.shape().equals(Shape.of(dy.dim(1)))) {
            throw new IllegalArgumentException("backwardBias: output gradient must be [N, O, OH, OW] and the bias"
                    + " gradient [O], got " + dy.shape() + " and " + dBias.shape());
        }
        MemorySegment dys = dy.storage().segment();
        MemorySegment dbs = dBias.storage().segment();
        for (int o = 0; o < dy.dim(1); o++) {
            double sum = 0;
            for (int n = 0; n < dy.dim(0); n++) {
                for (int i = 0; i < dy.dim(2); i++) {
                    for (int j = 0; j < dy.dim(3); j++) {
                        sum += at(dys, dy, n, o, i, j);
                    }
                }
            }
            dbs.setAtIndex(ValueLayout.JAVA_FLOAT, dBias.offset() + o * dBias.stride(0), (float) sum);
        }
    }

    private static float at(MemorySegment s, Tensor t, int a, int b, int c, int d) {
        return s.getAtIndex(ValueLayout.JAVA_FLOAT,
                t.offset() + a * t.stride(0) + b * t.stride(1) + c * t.stride(2) + d * t.stride(3));
    }

    private static void put(MemorySegment s, Tensor t, int a, int b, int c, int d, float v) {
        s.setAtIndex(ValueLayout.JAVA_FLOAT,
                t.offset() + a * t.stride(0) + b * t.stride(1) + c * t.stride(2) + d * t.stride(3), v);
    }

    private void check(Tensor t, String what) {
        backend.requireHere(t, what);
        t.requireDType(DType.F32, what);
    }

    /**
     * Checks input {@code x [n, c, h, w]}, weights {@code [o, c, kh, kw]} and output
     * {@code y [n, o, oh, ow]} against each other (the shared contract of every backend's ops).
     */
    private Geometry geometry(String op, Tensor x, Tensor weight, int sh, int sw, int ph, int pw, Tensor y,
                              String yName) {
        check(x, op + " input");
        check(weight, op + " weights");
        check(y, op + " " + yName);
        DirectConvolution.Sizes g = DirectConvolution.Sizes.check(op, x.shape(), weight.shape(), sh, sw, ph, pw,
                y.shape(), yName);
        return new Geometry(g.n(), g.c(), g.h(), g.w(), g.o(), g.kh(), g.kw(), sh, sw, ph, pw, g.oh(), g.ow());
    }
}
