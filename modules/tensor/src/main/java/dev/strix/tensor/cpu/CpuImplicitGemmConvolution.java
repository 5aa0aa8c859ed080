package dev.strix.tensor.cpu;

import dev.strix.tensor.ImplicitGemmConvolution;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Implicit-GEMM convolution on the CPU. One image at a time is copied, zero-padded, into a heap
 * array that stays in L1/L2; {@link GemmKernel#multiplyGathered} then reads every window element
 * from it by offset (row offset: where the window sits; step offset: which element of the window),
 * against weights packed once per call. The three passes are one kernel with three sets of
 * offsets:
 * <pre>
 *   forward         tile rows = output pixels,  steps = (c, i, j),     B = W^T            -> Z^T tile
 *   backwardFilter  tile rows = (c, i, j),      steps = output pixels, B = dZ[n]^T        -> dW^T, summed over n
 *   backwardData    tile rows = input pixels,   steps = (o, i', j'),   B = W rotated 180  -> dX^T tile
 * </pre>
 * The input gradient is the "full" correlation of dL/dZ (spread by the stride, zero-bordered by
 * the kernel size less one) with the rotated kernels, which equals col2im(W^T dZ) without the
 * scatter. Work splits over (image, 8-row sliver) units; the weight gradient gives each worker a
 * contiguous run of images and its own sum, added up in a fixed order so results do not depend on
 * timing.
 */
final class CpuImplicitGemmConvolution implements ImplicitGemmConvolution {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final int MR = GemmKernel.MR;
    private static final int NR = GemmKernel.NR;

    /** Heap buffers of one worker, reused from call to call. */
    private static final class Workspace {
        float[] image = new float[0];
        /** What {@link #image}'s zero border is laid out for; a new layout clears the array first. */
        ImageLayout layout;
        float[] packed = new float[0];
        float[] result = new float[0];
        float[] staging = new float[0];
        final float[] tile = new float[MR * NR];

        float[] image(ImageLayout wanted) {
            int size = wanted.size();
            if (image.length < size) {
                image = new float[size];
            } else if (!wanted.equals(layout)) {
                Arrays.fill(image, 0, size, 0f);
            }
            layout = wanted;
            return image;
        }

        float[] staging(int size) {
            if (staging.length < size) {
                staging = new float[size];
            }
            return staging;
        }

        float[] result(int size) {
            if (result.length < size) {
                result = new float[size];
            }
            return result;
        }

        float[] packed(int size) {
            if (packed.length < size) {
                packed = new float[size];
            }
            return packed;
        }

    }

    /**
     * Buffers of the thread that makes a call: the packed weights its workers share read-only,
     * and one weight-gradient sum per piece of the batch (per piece, not per worker, because a
     * call made from inside the pool runs every piece on one thread).
     */
    private static final class CallBuffers {
        float[] weights = new float[0];
        float[][] sums = new float[0][];

        float[] weights(int size) {
            if (weights.length < size) {
                weights = new float[size];
            }
            return weights;
        }

        float[][] sums(int pieces, int size) {
            if (sums.length < pieces) {
                sums = Arrays.copyOf(sums, pieces);
            }
            for (int i = 0; i < pieces; i++) {
                if (sums[i] == null || sums[i].length < size) {
                    sums[i] = new float[size];
                } else {
                    Arrays.fill(sums[i], 0, size, 0f);
                }
            }
            return sums;
        }
    }

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);
    private static final ThreadLocal<CallBuffers> CALL_BUFFERS = ThreadLocal.withInitial(CallBuffers::new);

    /**
     * Where a {@code [channels, h, w]} source lands in a zero array of {@code channels} planes of
     * {@code rows x cols}: {@code image[ch][top + i*stepH][left + j*stepW] = src[ch][i][j]}, the
     * source clipped to the plane. The positions written depend only on the layout, so a reused
     * array keeps its zero border and only a new layout has to clear it.
     */
    private record ImageLayout(int channels, int rows, int cols, int top, int left, int h, int w, int stepH,
                               int stepW) {
        int size() {
            return channels * rows * cols;
        }

        /** Source rows that land inside the plane. */
        int usedRows() {
            return Math.max(0, Math.min(h, Math.ceilDiv(rows - top, stepH)));
        }

        int usedCols() {
            return Math.max(0, Math.min(w, Math.ceilDiv(cols - left, stepW)));
        }

        /**
         * Copies image {@code n} of the 4-D tensor {@code t} into {@code dst}. A dense image comes
         * over in one bulk copy (straight into {@code dst} when the layout adds nothing, else into
         * {@code staging} and then row by row on the heap, which costs far less per row than a
         * copy out of off-heap memory).
         */
        void copy(Tensor t, int n, float[] dst, Workspace ws) {
            MemorySegment seg = t.storage().segment();
            long base = t.offset() + n * t.stride(0);
            long chStride = t.stride(1);
            long rowStride = t.stride(2);
            long colStride = t.stride(3);
            int usedRows = usedRows();
            int usedCols = usedCols();
            boolean dense = (colStride == 1 || w == 1) && (rowStride == w || h == 1)
                    && (chStride == (long) h * w || channels == 1);
            if (dense) {
                if (top == 0 && left == 0 && stepH == 1 && stepW == 1 && rows == h && cols == w) {
                    MemorySegment.copy(seg, FLOAT, base * Float.BYTES, dst, 0, channels * h * w);
                    return;
                }
                float[] staging = ws.staging(channels * h * w);
                MemorySegment.copy(seg, FLOAT, base * Float.BYTES, staging, 0, channels * h * w);
                for (int ch = 0; ch < channels; ch++) {
                    for (int i = 0; i < usedRows; i++) {
                        int from = (ch * h + i) * w;
                        int to = (ch * rows + top + i * stepH) * cols + left;
                        if (stepW == 1) {
                            System.arraycopy(staging, from, dst, to, usedCols);
                        } else {
                            for (int j = 0; j < usedCols; j++) {
                                dst[to + j * stepW] = staging[from + j];
                            }
                        }
                    }
                }
                return;
            }
            for (int ch = 0; ch < channels; ch++) {
                for (int i = 0; i < usedRows; i++) {
                    long from = base + ch * chStride + i * rowStride;
                    int to = (ch * rows + top + i * stepH) * cols + left;
                    for (int j = 0; j < usedCols; j++) {
                        dst[to + j * stepW] = seg.getAtIndex(FLOAT, from + j * colStride);
                    }
                }
            }
        }
    }

    @Override
    public void forward(Tensor x, Tensor weight, Tensor bias, int strideH, int strideW, int padTop, int padLeft,
                        Tensor z) {
        Sizes g = check("implicit-GEMM forward", x, weight, z, strideH, strideW, padTop, padLeft);
        float[] biases = biases(bias, g.o(), "implicit-GEMM forward bias");
        int k = g.c() * g.kh() * g.kw();
        int pixels = g.oh() * g.ow();
        int hp = (g.oh() - 1) * strideH + g.kh();
        int wp = (g.ow() - 1) * strideW + g.kw();
        ImageLayout layout = new ImageLayout(g.c(), hp, wp, padTop, padLeft, g.h(), g.w(), 1, 1);
        int[] steps = windowOffsets(g.c(), g.kh(), g.kw(), hp, wp, k);
        int[] rows = pixelOffsets(g.oh(), g.ow(), strideH * wp, strideW);
        long[] outAt = outputOffsets(g.oh(), g.ow(), z.stride(2), z.stride(3));
        // B[p][o] = W[o][p]: the weights transposed, O padded to whole slivers.
        float[] b = packWeights(weight, g.o(), k, false);
        int bSlivers = ceilDiv(g.o(), NR);
        run(x, layout, rows, steps, k, b, bSlivers, biases, g.o(), z, outAt, g.n(), pixels);
    }

    @Override
    public void backwardData(Tensor dz, Tensor weight, int strideH, int strideW, int padTop, int padLeft, Tensor dx) {
        Sizes g = check("implicit-GEMM backwardData", dx, weight, dz, strideH, strideW, padTop, padLeft);
        int kk = g.o() * g.kh() * g.kw();
        // dL/dZ spread by the stride into a plane bordered by kernel-size-less-one zeros, large enough
        // for every input pixel's window (whose top-left corner is the pixel's padded position).
        int gh = Math.max(padTop + g.h() + g.kh() - 1, (g.oh() - 1) * strideH + g.kh());
        int gw = Math.max(padLeft + g.w() + g.kw() - 1, (g.ow() - 1) * strideW + g.kw());
        ImageLayout layout = new ImageLayout(g.o(), gh, gw, g.kh() - 1, g.kw() - 1, g.oh(), g.ow(), strideH, strideW);
        int[] steps = windowOffsets(g.o(), g.kh(), g.kw(), gh, gw, kk);
        int[] rows = pixelOffsets(g.h(), g.w(), gw, 1);
        int shift = padTop * gw + padLeft;
        for (int q = 0; q < g.h() * g.w(); q++) {
            rows[q] += shift;
        }
        long[] outAt = outputOffsets(g.h(), g.w(), dx.stride(2), dx.stride(3));
        // B[(o, i', j')][c] = W[o][c][KH-1-i'][KW-1-j']: the kernels rotated by 180 degrees.
        float[] b = packWeights(weight, g.c(), kk, true);
        int bSlivers = ceilDiv(g.c(), NR);
        run(dz, layout, rows, steps, kk, b, bSlivers, new float[bSlivers * NR], g.c(), dx, outAt, g.n(),
                g.h() * g.w());
    }

    /**
     * {@code out[n][col][pixel]} for every image n: tiles of 8 pixels (rows, offsets into the
     * image copy) by 32 columns of packed B, over {@code k} steps, plus {@code biases[col]}. Tiles
     * land transposed in a heap copy of the image's output, which goes out in bulk once the worker
     * is done with that image.
     */
    private static void run(Tensor source, ImageLayout layout, int[] rows, int[] steps, int k, float[] b,
                            int bSlivers, float[] biases, int columns, Tensor out, long[] outAt, int images, int pixels) {
        int pixelSlivers = ceilDiv(pixels, MR);
        int width = pixelSlivers * MR;
        double flopsPerUnit = 2.0 * MR * k * bSlivers * NR;
        long minUnits = (long) Math.ceil(CpuGemm.PARALLEL_FLOPS / flopsPerUnit);
        CpuParallel.forRange((long) images * pixelSlivers, minUnits, (from, to) -> {
            Workspace ws = WORKSPACE.get();
            float[] tile = ws.tile;
            float[] result = ws.result(bSlivers * NR * width);
            float[] image = null;
            int current = -1;
            int firstSliver = 0;
            for (long u = from; u < to; u++) {
                int n = (int) (u / pixelSlivers);
                int sliver = (int) (u % pixelSlivers);
                if (n != current) {
                    if (current >= 0) {
                        flush(result, width, out, current, columns, firstSliver * MR, pixels, outAt);
                    }
                    image = ws.image(layout);
                    layout.copy(source, n, image, ws);
                    current = n;
                    firstSliver = sliver;
                }
                int firstPixel = sliver * MR;
                for (int s = 0; s < bSlivers; s++) {
                    GemmKernel.multiplyGathered(image, rows, firstPixel, steps, 0, k, b, s * k * NR, tile, 0, NR,
                            false);
                    for (int j = 0; j < NR; j++) {
                        int to0 = (s * NR + j) * width + firstPixel;
                        float add = biases[s * NR + j];
                        for (int r = 0; r < MR; r++) {
                            result[to0 + r] = tile[r * NR + j] + add;
                        }
                    }
                }
            }
            if (current >= 0) {
                int lastSliver = (int) ((to - 1) % pixelSlivers);
                flush(result, width, out, current, columns, firstSliver * MR, Math.min(pixels, (lastSliver + 1) * MR),
                        outAt);
            }
        });
    }

    /** Writes pixels {@code [from, to)} of every column of image n's heap result into {@code out}. */
    private static void flush(float[] result, int width, Tensor out, int n, int columns, int from, int to,
                              long[] outAt) {
        MemorySegment os = out.storage().segment();
        // Contiguous planes (offsets 0, 1, 2, ...) go out a column at a time in bulk.
        boolean rowMajor = outAt[outAt.length - 1] == outAt.length - 1 && (outAt.length == 1 || outAt[1] == 1);
        long base = out.offset() + n * out.stride(0);
        for (int j = 0; j < columns; j++) {
            long column = base + j * out.stride(1);
            if (rowMajor) {
                MemorySegment.copy(result, j * width + from, os, FLOAT, (column + from) * Float.BYTES, to - from);
            } else {
                for (int q = from; q < to; q++) {
                    os.setAtIndex(FLOAT, column + outAt[q], result[j * width + q]);
                }
            }
        }
    }

    @Override
    public void backwardFilter(Tensor x, Tensor dz, int strideH, int strideW, int padTop, int padLeft,
                               Tensor dWeight, Tensor dBias) {
        Sizes g = check("implicit-GEMM backwardFilter", x, dWeight, dz, strideH, strideW, padTop, padLeft);
        if (dBias != null) {
            CpuElementwise.check(dBias, "implicit-GEMM backwardFilter bias gradient");
            dBias.requireShape(dev.strix.tensor.Shape.of(g.o()), "implicit-GEMM backwardFilter bias gradient");
        }
        int k = g.c() * g.kh() * g.kw();
        int pixels = g.oh() * g.ow();
        int hp = (g.oh() - 1) * strideH + g.kh();
        int wp = (g.ow() - 1) * strideW + g.kw();
        ImageLayout layout = new ImageLayout(g.c(), hp, wp, padTop, padLeft, g.h(), g.w(), 1, 1);
        int kSlivers = ceilDiv(k, MR);
        int oSlivers = ceilDiv(g.o(), NR);
        int width = oSlivers * NR;
        // Tile rows are window elements, steps are output pixels: the forward offsets swapped.
        int[] rows = Arrays.copyOf(windowOffsets(g.c(), g.kh(), g.kw(), hp, wp, k), kSlivers * MR);
        int[] steps = pixelOffsets(g.oh(), g.ow(), strideH * wp, strideW);
        double flopsPerImage = 2.0 * kSlivers * MR * width * pixels;
        int pieces = (int) Math.max(1, Math.min(Math.min(CpuParallel.THREADS, g.n()),
                g.n() * flopsPerImage / CpuGemm.PARALLEL_FLOPS));
        // Each piece's sums: dW^T [kSlivers * MR][width], then one row of bias sums.
        int biasRow = kSlivers * MR * width;
        float[][] partial = CALL_BUFFERS.get().sums(pieces, biasRow + width);
        CpuParallel.forEach(pieces, piece -> {
            Workspace ws = WORKSPACE.get();
            float[] sums = partial[piece];
            float[] b = ws.packed(pixels * width);
            for (int n = g.n() * piece / pieces; n < g.n() * (piece + 1) / pieces; n++) {
                float[] image = ws.image(layout);
                layout.copy(x, n, image, ws);
                packGradient(dz, n, g.o(), g.oh(), g.ow(), b);
                if (dBias != null) {
                    sumRows(b, oSlivers, pixels, sums, biasRow);
                }
                for (int ks = 0; ks < kSlivers; ks++) {
                    for (int s = 0; s < oSlivers; s++) {
                        GemmKernel.multiplyGathered(image, rows, ks * MR, steps, 0, pixels, b, s * pixels * NR, sums,
                                ks * MR * width + s * NR, width, true);
                    }
                }
            }
        });
        // dW[o][p] = sum of the pieces' dW^T[p][o], always in piece order.
        MemorySegment ds = dWeight.storage().segment();
        for (int o = 0; o < g.o(); o++) {
            for (int c = 0; c < g.c(); c++) {
                for (int i = 0; i < g.kh(); i++) {
                    for (int j = 0; j < g.kw(); j++) {
                        int p = (c * g.kh() + i) * g.kw() + j;
                        float sum = 0f;
                        for (int piece = 0; piece < pieces; piece++) {
                            sum += partial[piece][p * width + o];
                        }
                        ds.setAtIndex(FLOAT, dWeight.offset() + o * dWeight.stride(0) + c * dWeight.stride(1)
                                + i * dWeight.stride(2) + j * dWeight.stride(3), sum);
                    }
                }
            }
            if (dBias != null) {
                float sum = 0f;
                for (int piece = 0; piece < pieces; piece++) {
                    sum += partial[piece][biasRow + o];
                }
                dBias.storage().segment().setAtIndex(FLOAT, dBias.offset() + o * dBias.stride(0), sum);
            }
        }
    }

    /** {@code sums[at + col] += sum over q of b[q][col]} for packed B ({@code slivers} of NR columns). */
    private static void sumRows(float[] b, int slivers, int steps, float[] sums, int at) {
        VectorSpecies<Float> species = GemmKernel.SPECIES;
        int lanes = species.length();
        for (int s = 0; s < slivers; s++) {
            int sliver = s * steps * NR;
            for (int v = 0; v < NR; v += lanes) {
                FloatVector sum = FloatVector.zero(species);
                for (int q = 0; q < steps; q++) {
                    sum = sum.add(FloatVector.fromArray(species, b, sliver + q * NR + v));
                }
                int to = at + s * NR + v;
                sum.add(FloatVector.fromArray(species, sums, to)).intoArray(sums, to);
            }
        }
    }

    /** A heap copy of {@code bias [columns]}, zeros past its end (all zeros when bias is null). */
    private static float[] biases(Tensor bias, int columns, String what) {
        float[] values = new float[ceilDiv(columns, NR) * NR];
        if (bias != null) {
            CpuElementwise.check(bias, what);
            bias.requireShape(dev.strix.tensor.Shape.of(columns), what);
            for (int j = 0; j < columns; j++) {
                values[j] = bias.storage().segment().getAtIndex(FLOAT, bias.offset() + j * bias.stride(0));
            }
        }
        return values;
    }

    /** {@code b[q][o] = dz[n][o][q]} packed as GEMM's B: slivers of NR outputs, zero past O. */
    private static void packGradient(Tensor dz, int n, int o, int oh, int ow, float[] b) {
        MemorySegment seg = dz.storage().segment();
        long base = dz.offset() + n * dz.stride(0);
        int pixels = oh * ow;
        if (dz.stride(3) == 1 && dz.stride(2) == ow) {
            GemmPacking.packB(seg, base, 1, dz.stride(1), pixels, o, b);
            return;
        }
        int width = ceilDiv(o, NR) * NR;
        for (int c = 0; c < width; c++) {
            int sliver = (c / NR) * pixels * NR + c % NR;
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    int q = y * ow + x;
                    b[sliver + q * NR] = c < o
                            ? seg.getAtIndex(FLOAT, base + c * dz.stride(1) + y * dz.stride(2) + x * dz.stride(3))
                            : 0f;
                }
            }
        }
    }

    /**
     * The weights as GEMM's B, {@code [steps][columns]} in slivers of NR columns (zero past the
     * last): forward, {@code B[(c, i, j)][o] = W[o][c][i][j]}; rotated (input gradient),
     * {@code B[(o, i, j)][c] = W[o][c][KH-1-i][KW-1-j]}.
     */
    private static float[] packWeights(Tensor weight, int columns, int steps, boolean rotated) {
        int slivers = ceilDiv(columns, NR);
        float[] b = CALL_BUFFERS.get().weights(slivers * NR * steps);
        MemorySegment seg = weight.storage().segment();
        int o = weight.dim(0);
        int c = weight.dim(1);
        int kh = weight.dim(2);
        int kw = weight.dim(3);
        long[] st = weight.strides();
        for (int a = 0; a < o; a++) {
            for (int d = 0; d < c; d++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        float v = seg.getAtIndex(FLOAT, weight.offset() + a * st[0] + d * st[1] + i * st[2] + j * st[3]);
                        int step;
                        int column;
                        if (rotated) {
                            step = (a * kh + kh - 1 - i) * kw + kw - 1 - j;
                            column = d;
                        } else {
                            step = (d * kh + i) * kw + j;
                            column = a;
                        }
                        b[(column / NR) * steps * NR + step * NR + column % NR] = v;
                    }
                }
            }
        }
        for (int column = columns; column < slivers * NR; column++) {
            for (int step = 0; step < steps; step++) {
                b[(column / NR) * steps * NR + step * NR + column % NR] = 0f;
            }
        }
        return b;
    }

    /** Offset of window element (ch, i, j) in planes of {@code rows x cols}: the kernel's steps. */
    private static int[] windowOffsets(int channels, int kh, int kw, int rows, int cols, int count) {
        int[] offsets = new int[count];
        for (int ch = 0; ch < channels; ch++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    offsets[(ch * kh + i) * kw + j] = (ch * rows + i) * cols + j;
                }
            }
        }
        return offsets;
    }

    /**
     * {@code y * rowStep + x * colStep} for every pixel (y, x) of an {@code h x w} grid, padded with
     * zeros to whole 8-row slivers (the kernel reads a full sliver; the extra rows are dropped).
     */
    private static int[] pixelOffsets(int h, int w, int rowStep, int colStep) {
        int[] offsets = new int[ceilDiv(h * w, MR) * MR];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                offsets[y * w + x] = y * rowStep + x * colStep;
            }
        }
        return offsets;
    }

    private static long[] outputOffsets(int h, int w, long rowStride, long colStride) {
        long[] offsets = new long[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                offsets[y * w + x] = y * rowStride + x * colStride;
            }
        }
        return offsets;
    }

    private static Sizes check(String op, Tensor input, Tensor weight, Tensor output, int strideH, int strideW,
                               int padTop, int padLeft) {
        CpuElementwise.check(input, op + " input");
        CpuElementwise.check(weight, op + " weights");
        CpuElementwise.check(output, op + " output");
        return Sizes.check(op, input.shape(), weight.shape(), output.shape(), strideH, strideW, padTop, padLeft);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
