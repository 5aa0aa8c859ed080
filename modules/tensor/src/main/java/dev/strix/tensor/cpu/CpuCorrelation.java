package dev.strix.tensor.cpu;

import dev.strix.tensor.Tensor;
import dev.strix.tensor.spi.ConvolutionShapes;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The strided-view contraction {@code out[a, b, y, x] = sum_{c,i,j} windows[a, c, y, x, i, j] *
 * kernels[b, c, i, j]} as a plain loop nest over the operands' strides: the readable reference
 * path. Each (a, b) output plane is one task; it accumulates {@code kernel value * window plane}
 * into a double-precision plane, so the innermost loop walks a row of the window view.
 */
final class CpuCorrelation {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ThreadLocal<double[]> PLANE = ThreadLocal.withInitial(() -> new double[0]);

    private CpuCorrelation() {
    }

    static void correlate(Tensor windows, Tensor kernels, Tensor out) {
        CpuElementwise.check(windows, "correlate windows");
        CpuElementwise.check(kernels, "correlate kernels");
        CpuElementwise.check(out, "correlate output");
        ConvolutionShapes.correlation(windows, kernels, out);
        int a = windows.dim(0);
        int c = windows.dim(1);
        int ny = windows.dim(2);
        int nx = windows.dim(3);
        int ni = windows.dim(4);
        int nj = windows.dim(5);
        int b = kernels.dim(0);
        long[] ws = windows.strides();
        long[] ks = kernels.strides();
        long[] os = out.strides();
        MemorySegment wseg = windows.storage().segment();
        MemorySegment kseg = kernels.storage().segment();
        MemorySegment oseg = out.storage().segment();
        long work = (long) c * ni * nj * ny * nx;
        CpuParallel.forRange((long) a * b, Math.max(1, (1 << 16) / Math.max(1, work)), (from, to) -> {
            double[] acc = plane(ny * nx);
            for (long ab = from; ab < to; ab++) {
                int ia = (int) (ab / b);
                int ib = (int) (ab % b);
                Arrays.fill(acc, 0, ny * nx, 0.0);
                for (int ic = 0; ic < c; ic++) {
                    long kBase = kernels.offset() + ib * ks[0] + ic * ks[1];
                    long wBase = windows.offset() + ia * ws[0] + ic * ws[1];
                    for (int i = 0; i < ni; i++) {
                        for (int j = 0; j < nj; j++) {
                            double k = kseg.getAtIndex(FLOAT, kBase + i * ks[2] + j * ks[3]);
                            long w0 = wBase + i * ws[4] + j * ws[5];
                            for (int y = 0; y < ny; y++) {
                                long w = w0 + y * ws[2];
                                int row = y * nx;
                                for (int x = 0; x < nx; x++, w += ws[3]) {
                                    acc[row + x] += k * wseg.getAtIndex(FLOAT, w);
                                }
                            }
                        }
                    }
                }
                long oBase = out.offset() + ia * os[0] + ib * os[1];
                for (int y = 0; y < ny; y++) {
                    for (int x = 0; x < nx; x++) {
                        oseg.setAtIndex(FLOAT, oBase + y * os[2] + x * os[3], (float) acc[y * nx + x]);
                    }
                }
            }
        });
    }

    private static double[] plane(int size) {
        double[] p = PLANE.get();
        if (p.length < size) {
            p = new double[size];
            PLANE.set(p);
        }
        return p;
    }
}
