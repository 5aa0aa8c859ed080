package dev.strix.tensor.cpu;

import dev.strix.tensor.Convolution;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.spi.ConvolutionShapes;
import dev.strix.tensor.spi.ConvolutionShapes.ColumnLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolution building blocks on the CPU. Padding, unpadding and dilation are strided copies and
 * fills of views (so they inherit the copy's parallel loops); the window contraction is a loop
 * nest over raw strides; im2col and col2im work on heap copies of one (sample, channel) plane at a
 * time, split over those planes.
 */
final class CpuConvolution implements Convolution {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** Slack after the heap planes and columns, so a row's vector never reaches past their end. */
    private static final int ROW_PADDING = LANES;

    private final CpuBackend backend;

    CpuConvolution(CpuBackend backend) {
        this.backend = backend;
    }

    @Override
    public void pad(Tensor x, int top, int bottom, int left, int right, Tensor out) {
        ConvolutionShapes.borders("pad", top, bottom, left, right);
        checkPlanes("pad", x, out, x.dim(-2) + top + bottom, x.dim(-1) + left + right);
        int h = x.dim(-2);
        int w = x.dim(-1);
        int outW = out.dim(-1);
        Tensor rows = out.slice(-2, top, top + h);
        zero(out.slice(-2, 0, top));
        zero(out.slice(-2, top + h, out.dim(-2)));
        zero(rows.slice(-1, 0, left));
        zero(rows.slice(-1, left + w, outW));
        backend.copy(x, rows.slice(-1, left, left + w));
    }

    /** Zeroes a border strip; strips of zero width are skipped (the strided walk has nothing to do). */
    private void zero(Tensor strip) {
        if (strip.size() > 0) {
            backend.fill(strip, 0f);
        }
    }

    @Override
    public void unpad(Tensor x, int top, int bottom, int left, int right, Tensor out) {
        ConvolutionShapes.borders("unpad", top, bottom, left, right);
        checkPlanes("unpad", x, out, x.dim(-2) - top - bottom, x.dim(-1) - left - right);
        backend.copy(x.slice(-2, top, x.dim(-2) - bottom).slice(-1, left, x.dim(-1) - right), out);
    }

    @Override
    public void dilate(Tensor x, int strideH, int strideW, Tensor out) {
        ConvolutionShapes.dilation(strideH, strideW);
        checkPlanes("dilate", x, out, (x.dim(-2) - 1) * strideH + 1, (x.dim(-1) - 1) * strideW + 1);
        if (strideH > 1 || strideW > 1) {
            backend.fill(out, 0f);
        }
        backend.copy(x, out.slice(-2, 0, out.dim(-2), strideH).slice(-1, 0, out.dim(-1), strideW));
    }

    @Override
    public void correlate(Tensor windows, Tensor kernels, Tensor out) {
        CpuCorrelation.correlate(windows, kernels, out);
    }

    @Override
    public void im2col(Tensor input, int strideH, int strideW, int padTop, int padLeft, Tensor columns) {
        ColumnLayout layout = checkColumns("im2col", input, strideH, strideW, padTop, padLeft, columns);
        Columns g = Columns.of(input, columns);
        int c = g.c();
        int h = g.h();
        int w = g.w();
        int kh = g.kh();
        int kw = g.kw();
        int oh = g.oh();
        int ow = g.ow();
        MemorySegment xs = input.storage().segment();
        MemorySegment cs = columns.storage().segment();
        long[] st = input.strides();
        int block = g.block();
        CpuParallel.forRange((long) input.dim(0) * c, Math.max(1, (1 << 15) / Math.max(1, block)), (from, to) -> {
            float[] plane = PlaneCopy.floats(0, h * w + ROW_PADDING);
            float[] cols = PlaneCopy.floats(1, block + ROW_PADDING);
            for (long nc = from; nc < to; nc++) {
                PlaneCopy.read(xs, input.offset() + (nc / c) * st[0] + (nc % c) * st[1], st[2], st[3], h, w, plane);
                int d = 0;
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int x0 = validStart(j, padLeft, strideW, ow);
                        int x1 = Math.max(x0, validEnd(j, padLeft, strideW, w, ow));
                        VectorMask<Float> row = SPECIES.indexInRange(0, x1 - x0);
                        boolean shortRow = strideW == 1 && x1 - x0 <= LANES;
                        for (int y = 0; y < oh; y++, d += ow) {
                            int r = y * strideH + i - padTop;
                            if (r < 0 || r >= h) {
                                Arrays.fill(cols, d, d + ow, 0f);
                                continue;
                            }
                            Arrays.fill(cols, d, d + x0, 0f);
                            int src = r * w + x0 * strideW + j - padLeft;
                            if (shortRow) {
                                // A row of at most one vector (11 values in the second MNIST conv):
                                // one masked load and store instead of an arraycopy call.
                                FloatVector.fromArray(SPECIES, plane, src, row).intoArray(cols, d + x0, row);
                            } else if (strideW == 1) {
                                System.arraycopy(plane, src, cols, d + x0, x1 - x0);
                            } else {
                                for (int x = x0; x < x1; x++, src += strideW) {
                                    cols[d + x] = plane[src];
                                }
                            }
                            Arrays.fill(cols, d + x1, d + ow, 0f);
                        }
                    }
                }
                copyRuns(cols, cs, columns.offset(), layout, nc / c, (int) (nc % c) * kh * kw, kh * kw, oh * ow, true);
            }
        });
    }

    @Override
    public void col2im(Tensor columns, int strideH, int strideW, int padTop, int padLeft, Tensor input) {
        ColumnLayout layout = checkColumns("col2im", input, strideH, strideW, padTop, padLeft, columns);
        Columns g = Columns.of(input, columns);
        int c = g.c();
        int h = g.h();
        int w = g.w();
        int kh = g.kh();
        int kw = g.kw();
        int oh = g.oh();
        int ow = g.ow();
        MemorySegment xs = input.storage().segment();
        MemorySegment cs = columns.storage().segment();
        long[] st = input.strides();
        int block = g.block();
        CpuParallel.forRange((long) input.dim(0) * c, Math.max(1, (1 << 15) / Math.max(1, block)), (from, to) -> {
            float[] plane = PlaneCopy.floats(0, h * w + ROW_PADDING);
            float[] cols = PlaneCopy.floats(1, block + ROW_PADDING);
            for (long nc = from; nc < to; nc++) {
                copyRuns(cols, cs, columns.offset(), layout, nc / c, (int) (nc % c) * kh * kw, kh * kw, oh * ow, false);
                Arrays.fill(plane, 0, h * w, 0f);
                int s = 0;
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int x0 = validStart(j, padLeft, strideW, ow);
                        int x1 = Math.max(x0, validEnd(j, padLeft, strideW, w, ow));
                        VectorMask<Float> row = SPECIES.indexInRange(0, x1 - x0);
                        boolean shortRow = strideW == 1 && x1 - x0 <= LANES;
                        for (int y = 0; y < oh; y++, s += ow) {
                            int r = y * strideH + i - padTop;
                            if (r < 0 || r >= h) {
                                continue;
                            }
                            int at = r * w + x0 * strideW + j - padLeft;
                            if (shortRow) {
                                FloatVector.fromArray(SPECIES, plane, at, row)
                                        .add(FloatVector.fromArray(SPECIES, cols, s + x0, row))
                                        .intoArray(plane, at, row);
                            } else if (strideW == 1) {
                                // Unit stride: a plain indexed loop the JIT vectorises.
                                int shift = at - x0;
                                for (int x = x0; x < x1; x++) {
                                    plane[shift + x] += cols[s + x];
                                }
                            } else {
                                for (int x = x0; x < x1; x++, at += strideW) {
                                    plane[at] += cols[s + x];
                                }
                            }
                        }
                    }
                }
                PlaneCopy.write(plane, xs, input.offset() + (nc / c) * st[0] + (nc % c) * st[1], st[2], st[3], h, w);
            }
        });
    }

    /** First output column whose input column {@code x*stride + j - pad} is not left of the input. */
    private static int validStart(int j, int pad, int stride, int outWidth) {
        return Math.min(outWidth, Math.max(0, Math.ceilDiv(pad - j, stride)));
    }

    /** One past the last output column whose input column lies inside a row of {@code width}. */
    private static int validEnd(int j, int pad, int stride, int width, int outWidth) {
        return Math.max(0, Math.min(outWidth, Math.floorDiv(width - 1 + pad - j, stride) + 1));
    }

    /** Same leading axes and the given last two sizes, or a message naming the op and both shapes. */
    private static void checkPlanes(String op, Tensor x, Tensor out, int expectedH, int expectedW) {
        CpuElementwise.check(x, op + " input");
        CpuElementwise.check(out, op + " output");
        ConvolutionShapes.planes(op, x, out, expectedH, expectedW);
    }

    private static ColumnLayout checkColumns(String op, Tensor input, int sh, int sw, int padTop, int padLeft,
                                             Tensor cols) {
        CpuElementwise.check(input, op + " image");
        CpuElementwise.check(cols, op + " columns");
        ConvolutionShapes.columns(op, input, sh, sw, padTop, padLeft, cols);
        return ColumnLayout.of(op, cols);
    }

    /**
     * Copies the {@code taps} runs of {@code plane} column elements of image {@code n}, taps
     * {@code firstTap...}, between {@code heap} (run after run) and the columns at {@code offset}
     * laid out as {@code layout}: into the columns when {@code toColumns}, else out of them. One
     * copy when the runs are adjacent there (contiguous columns).
     */
    private static void copyRuns(float[] heap, MemorySegment columns, long offset, ColumnLayout layout, long n,
                                 int firstTap, int taps, int plane, boolean toColumns) {
        long at = offset + n * layout.sampleStride() + firstTap * layout.tapStride();
        boolean adjacent = layout.tapStride() == plane;
        for (int t = 0; t < (adjacent ? 1 : taps); t++, at += layout.tapStride()) {
            int length = adjacent ? taps * plane : plane;
            if (toColumns) {
                MemorySegment.copy(heap, t * plane, columns, FLOAT, at * Float.BYTES, length);
            } else {
                MemorySegment.copy(columns, FLOAT, at * Float.BYTES, heap, t * plane, length);
            }
        }
    }

    /** The sizes im2col and its adjoint col2im share: input [N, C, H, W], columns [N, C, KH, KW, OH, OW]. */
    private record Columns(int c, int h, int w, int kh, int kw, int oh, int ow) {
        static Columns of(Tensor input, Tensor columns) {
            return new Columns(input.dim(1), input.dim(2), input.dim(3), columns.dim(2), columns.dim(3), columns.dim(4),
                    columns.dim(5));
        }

        /** Column elements per (sample, channel) plane. */
        int block() {
            return kh * kw * oh * ow;
        }
    }
}
