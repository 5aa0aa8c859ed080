package dev.strix.tensor.cpu;

import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two loops behind {@link CpuImplicitGemmConvolution}, and their buffers. One image at a time is
 * copied (zero-padded, or spread by a stride) into a heap array that stays in L1/L2;
 * {@link GemmKernel#multiplyGathered} reads every window element from it by offset (a tile row's
 * offset says where the window sits, a step's offset which element of the window it is) against a
 * packed B, so no column matrix is ever built.
 * <ul>
 *   <li>{@link #tiles}: rows are pixels, B is packed weights; each image's output is gathered
 *       (transposed) in a heap array and handed to a {@link ResultSink}.
 *   <li>{@link #filterGradient}: rows are window elements, steps are output pixels, B is the
 *       image's dL/dZ transposed; every worker sums its run of images, and the runs are added in a
 *       fixed order, so the result does not depend on timing.
 * </ul>
 */
final class ImplicitGemm {
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    static final int MR = GemmKernel.MR;
    static final int NR = GemmKernel.NR;
    private static final int LANES = GemmKernel.SPECIES.length();
    /** One tile column: MR floats. */
    private static final VectorSpecies<Float> COLUMN = FloatVector.SPECIES_256;

    private ImplicitGemm() {
    }

    /** Heap buffers of one worker, reused from call to call. */
    static final class Workspace {
        private float[] image = new float[0];
        /** What {@link #image}'s zero border is laid out for; a new layout clears the array first. */
        private ImageLayout layout;
        private float[] packed = new float[0];
        private float[] result = new float[0];
        private float[] staging = new float[0];
        private float[] channelsLast = new float[0];
        private final float[][] planes = {new float[0], new float[0], new float[0]};
        private int[] indices = new int[0];
        final float[] tile = new float[MR * NR];
        /** {@link #tile} seen as memory, for the register transpose of {@link GemmPacking#transposeRows}. */
        final MemorySegment tileMemory = MemorySegment.ofArray(tile);
        /** The tile transposed: {@code NR} columns of {@code MR} values. */
        final float[] columns = new float[MR * NR];

        /** The image array, its border zero for {@code wanted}. */
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

        float[] packed(int size) {
            return packed = atLeast(packed, size);
        }

        float[] result(int size) {
            return result = atLeast(result, size);
        }

        float[] channelsLast(int size) {
            return channelsLast = atLeast(channelsLast, size);
        }

        float[] staging(int size) {
            return staging = atLeast(staging, size);
        }

        /** Float scratch plane number {@code slot} (0..2). */
        float[] plane(int slot, int size) {
            return planes[slot] = atLeast(planes[slot], size);
        }

        int[] indices(int size) {
            if (indices.length < size) {
                indices = new int[size];
            }
            return indices;
        }

        private static float[] atLeast(float[] a, int size) {
            return a.length < size ? new float[size] : a;
        }
    }

    /**
     * Buffers of the thread that makes a call: the packed weights its workers share read-only, and
     * one weight-gradient sum per piece of the batch (per piece, not per worker, because a call
     * made from inside the pool runs every piece on one thread).
     */
    private static final class CallBuffers {
        float[] weights = new float[0];
        float[][] sums = new float[0][];

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

    static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);
    private static final ThreadLocal<CallBuffers> CALL_BUFFERS = ThreadLocal.withInitial(CallBuffers::new);

    /**
     * Where a {@code [channels, h, w]} source lands in a zero array of {@code channels} planes of
     * {@code rows x cols}: {@code image[ch][top + i][left + j] = src[ch][i][j]}, the source clipped
     * to the plane. The positions written depend only on the layout, so a reused
     * array keeps its zero border and only a new layout has to clear it.
     */
    record ImageLayout(int channels, int rows, int cols, int top, int left, int h, int w) {
        int size() {
            return channels * rows * cols;
        }

        /** Source rows that land inside the plane. */
        int usedRows() {
            return Math.max(0, Math.min(h, rows - top));
        }

        int usedCols() {
            return Math.max(0, Math.min(w, cols - left));
        }

        /** Index in the image of source element (ch, i, j). */
        int at(int ch, int i, int j) {
            return (ch * rows + top + i) * cols + left + j;
        }

        /**
         * Copies image {@code n} of the 4-D tensor {@code t} into {@code dst}. A dense image comes
         * over in one bulk copy (straight into {@code dst} when the layout adds no border, else
         * into the staging array and then row by row on the heap, which costs far less per row than
         * a copy out of off-heap memory).
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
                if (top == 0 && left == 0 && rows == h && cols == w) {
                    MemorySegment.copy(seg, FLOAT, base * Float.BYTES, dst, 0, channels * h * w);
                    return;
                }
                float[] staging = ws.staging(channels * h * w);
                MemorySegment.copy(seg, FLOAT, base * Float.BYTES, staging, 0, channels * h * w);
                for (int ch = 0; ch < channels; ch++) {
                    for (int i = 0; i < usedRows; i++) {
                        int from = (ch * h + i) * w;
                        int to = at(ch, i, 0);
                        System.arraycopy(staging, from, dst, to, usedCols);
                    }
                }
                return;
            }
            for (int ch = 0; ch < channels; ch++) {
                for (int i = 0; i < usedRows; i++) {
                    long from = base + ch * chStride + i * rowStride;
                    int to = at(ch, i, 0);
                    for (int j = 0; j < usedCols; j++) {
                        dst[to + j] = seg.getAtIndex(FLOAT, from + j * colStride);
                    }
                }
            }
        }
    }

    /** Puts image {@code n}'s source into a worker's image array (laid out as the call's layout says). */
    @FunctionalInterface
    interface ImageFill {
        void fill(int n, float[] image, Workspace ws);
    }

    /**
     * Takes pixels {@code [from, to)} of image n's output, held on the heap as
     * {@code result[column * width + pixel]}.
     */
    @FunctionalInterface
    interface ResultSink {
        void take(int n, float[] result, int width, int from, int to, Workspace ws);
    }

    /** Writes image n's dL/dZ, transposed, into B ({@code [pixels][columns]} in NR-column slivers). */
    @FunctionalInterface
    interface GradientPack {
        void pack(int n, float[] b, Workspace ws);
    }

    /**
     * For every image n: {@code out[col][pixel] = biases[col] + sum over steps of
     * image[rows[pixel] + steps[p]] * B[p][col]}, in tiles of 8 pixels by NR columns. With
     * {@code wholeImages} each worker takes whole images (a sink that pools needs all of one);
     * otherwise work splits over (image, 8-pixel sliver) units, so even one image uses every core.
     */
    static void tiles(ImageLayout layout, ImageFill fill, int[] rows, int[] steps, int k, float[] b, int bSlivers,
                      float[] biases, int images, int pixels, boolean wholeImages, ResultSink sink) {
        int pixelSlivers = ceilDiv(pixels, MR);
        int width = pixelSlivers * MR;
        int unitSlivers = wholeImages ? pixelSlivers : 1;
        long units = wholeImages ? images : (long) images * pixelSlivers;
        double flopsPerUnit = 2.0 * MR * unitSlivers * k * bSlivers * NR;
        long minUnits = (long) Math.ceil(CpuGemm.PARALLEL_FLOPS / flopsPerUnit);
        CpuParallel.forRange(units, minUnits, (from, to) -> {
            Workspace ws = WORKSPACE.get();
            float[] tile = ws.tile;
            float[] result = ws.result(bSlivers * NR * width + MaxPool2x2.PADDING);
            float[] image = null;
            int current = -1;
            int firstSliver = 0;
            long sliverFrom = from * unitSlivers;
            long sliverTo = to * unitSlivers;
            for (long u = sliverFrom; u < sliverTo; u++) {
                int n = (int) (u / pixelSlivers);
                int sliver = (int) (u % pixelSlivers);
                if (n != current) {
                    if (current >= 0) {
                        sink.take(current, result, width, firstSliver * MR, pixels, ws);
                    }
                    image = ws.image(layout);
                    fill.fill(n, image, ws);
                    current = n;
                    firstSliver = sliver;
                }
                int firstPixel = sliver * MR;
                for (int s = 0; s < bSlivers; s++) {
                    GemmKernel.multiplyGathered(image, rows, firstPixel, steps, 0, k, b, s * k * NR, tile, 0, NR,
                            false);
                    storeColumns(ws, result, width, firstPixel, biases, s * NR);
                }
            }
            if (current >= 0) {
                int lastSliver = (int) ((sliverTo - 1) % pixelSlivers);
                sink.take(current, result, width, firstSliver * MR, Math.min(pixels, (lastSliver + 1) * MR), ws);
            }
        });
    }

    /**
     * Whether {@link #channelTiles} beats {@link #tiles} for a forward pass with {@code k} steps
     * and {@code outputs} channels: it packs every 32-pixel panel of windows once (k gathers a
     * pixel, shared by the ceil(outputs / 8) tiles of that panel) but stores its tiles as they come,
     * where {@link #tiles} reads the windows in place and transposes each tile on the way out (about
     * 256 cycles a tile). Small windows (one or three input channels) favour packing.
     */
    static boolean packWindows(int k, int outputs) {
        return (long) k * MR * NR < 256L * roundUpTo(outputs, MR);
    }

    /**
     * The forward pass with output channels as tile rows: for every image n and panel of 32
     * pixels, the windows are packed ({@code B[p][j] = image[rows[pixel j] + steps[p]]}) and
     * multiplied by the packed weights {@code a} (slivers of 8 channels, as {@link #packWeightRows}
     * writes them), so each tile is already a run of 32 pixels of 8 channels. Same result array and
     * sink as {@link #tiles}, with {@code width} a multiple of 32.
     */
    static void channelTiles(ImageLayout layout, ImageFill fill, int[] rows, int[] steps, int k, float[] a,
                             int columns, float[] biases, int images, int pixels, boolean wholeImages,
                             ResultSink sink) {
        int panels = ceilDiv(pixels, NR);
        int width = panels * NR;
        int[] panelRows = Arrays.copyOf(rows, width);
        int aSlivers = ceilDiv(columns, MR);
        int unitPanels = wholeImages ? panels : 1;
        long units = wholeImages ? images : (long) images * panels;
        double flopsPerUnit = 2.0 * NR * unitPanels * k * aSlivers * MR;
        long minUnits = (long) Math.ceil(CpuGemm.PARALLEL_FLOPS / flopsPerUnit);
        CpuParallel.forRange(units, minUnits, (from, to) -> {
            Workspace ws = WORKSPACE.get();
            float[] tile = ws.tile;
            float[] result = ws.result(aSlivers * MR * width + MaxPool2x2.PADDING);
            float[] panel = ws.packed(k * NR);
            float[] image = null;
            int current = -1;
            int firstPanel = 0;
            long panelFrom = from * unitPanels;
            long panelTo = to * unitPanels;
            for (long u = panelFrom; u < panelTo; u++) {
                int n = (int) (u / panels);
                int g = (int) (u % panels);
                if (n != current) {
                    if (current >= 0) {
                        sink.take(current, result, width, firstPanel * NR, pixels, ws);
                    }
                    image = ws.image(layout);
                    fill.fill(n, image, ws);
                    current = n;
                    firstPanel = g;
                }
                int first = g * NR;
                for (int p = 0; p < k; p++) {
                    // A vector gather: image[steps[p] + panelRows[first + j]] for 16 j at a time.
                    for (int v = 0; v < NR; v += LANES) {
                        FloatVector.fromArray(GemmKernel.SPECIES, image, steps[p], panelRows, first + v)
                                .intoArray(panel, p * NR + v);
                    }
                }
                for (int s = 0; s < aSlivers; s++) {
                    GemmKernel.multiply(a, s * k * MR, panel, 0, k, tile, null, 0, 0);
                    int rowsHere = Math.min(MR, columns - s * MR);
                    for (int r = 0; r < rowsHere; r++) {
                        int channel = s * MR + r;
                        int at = channel * width + first;
                        float add = biases[channel];
                        for (int v = 0; v < NR; v += LANES) {
                            FloatVector.fromArray(GemmKernel.SPECIES, tile, r * NR + v).add(add)
                                    .intoArray(result, at + v);
                        }
                    }
                }
            }
            if (current >= 0) {
                int lastPanel = (int) ((panelTo - 1) % panels);
                sink.take(current, result, width, firstPanel * NR, Math.min(pixels, (lastPanel + 1) * NR), ws);
            }
        });
    }

    /**
     * The weights as GEMM's A for {@link #channelTiles}: slivers of 8 output channels,
     * {@code a[(s * k + p) * 8 + r] = W[s*8 + r][p]} with p = (c, i, j), zero past the last channel.
     */
    static float[] packWeightRows(Tensor weight) {
        int o = weight.dim(0);
        int c = weight.dim(1);
        int kh = weight.dim(2);
        int kw = weight.dim(3);
        int k = c * kh * kw;
        int slivers = ceilDiv(o, MR);
        float[] a = weightBuffer(slivers * MR * k);
        MemorySegment seg = weight.storage().segment();
        long[] st = weight.strides();
        for (int row = 0; row < slivers * MR; row++) {
            int base = (row / MR) * k * MR + row % MR;
            for (int d = 0; d < c; d++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int p = (d * kh + i) * kw + j;
                        a[base + p * MR] = row < o
                                ? seg.getAtIndex(FLOAT, weight.offset() + row * st[0] + d * st[1] + i * st[2] + j * st[3])
                                : 0f;
                    }
                }
            }
        }
        return a;
    }

    private static int roundUpTo(int a, int multiple) {
        return ceilDiv(a, multiple) * multiple;
    }

    /**
     * {@code result[(first + j) * width + pixel + r] = tile[r][j] + biases[first + j]}: the tile goes
     * out transposed, its 8 pixels of each column contiguous. With AVX-512 the transpose happens in
     * registers and each column leaves as one 8-float vector; elsewhere element by element.
     */
    private static void storeColumns(Workspace ws, float[] result, int width, int pixel, float[] biases, int first) {
        float[] tile = ws.tile;
        if (GemmPacking.TRANSPOSE_8X16 && COLUMN.length() == MR) {
            float[] columns = ws.columns;
            GemmPacking.transposeRows(ws.tileMemory, 0, NR, NR, 1f, columns, 0);
            for (int j = 0; j < NR; j++) {
                FloatVector.fromArray(COLUMN, columns, j * MR).add(biases[first + j])
                        .intoArray(result, (first + j) * width + pixel);
            }
            return;
        }
        for (int j = 0; j < NR; j++) {
            int at = (first + j) * width + pixel;
            float add = biases[first + j];
            for (int r = 0; r < MR; r++) {
                result[at + r] = tile[r * NR + j] + add;
            }
        }
    }

    /**
     * {@code dx[n] = col2im(W^T * dZ[n])} without a column matrix: tiles of
     * {@code dZ[n]^T (8 output pixels x O) * W (O x NR input channels of one kernel tap)} are added,
     * a vector per pixel, into a channels-last copy of the padded input gradient (where a tap's NR
     * channels are contiguous), which finally goes out transposed into {@code dx}. With fewer than
     * NR input channels the tile's columns are (tap, channel) pairs instead, added one by one. Every worker
     * takes whole images. {@code layout} is dZ's own ({@code [O, OH, OW]}, no border), filled by
     * {@code fill}.
     */
    static void inputGradient(ImageLayout layout, ImageFill fill, Tensor weight, int strideH, int strideW,
                              int padTop, int padLeft, Tensor dx) {
        int images = dx.dim(0);
        int c = dx.dim(1);
        int h = dx.dim(2);
        int w = dx.dim(3);
        int o = weight.dim(0);
        int kh = weight.dim(2);
        int kw = weight.dim(3);
        int oh = layout.h();
        int ow = layout.w();
        int pixels = oh * ow;
        // At least NR input channels: a tile's columns are NR channels of one kernel tap, contiguous
        // in the channels-last buffer, added a vector at a time. Fewer (an RGB or grey first layer):
        // the columns run over (tap, channel) pairs, added one by one, so no lane is padding.
        boolean byTap = c >= NR;
        int groups = ceilDiv(c, NR);
        int depth = byTap ? groups * NR : c;
        // The padded input plane, large enough for every window and for the whole input.
        int hp = Math.max(padTop + h, (oh - 1) * strideH + kh);
        int wp = Math.max(padLeft + w, (ow - 1) * strideW + kw);
        int slivers = byTap ? kh * kw * groups : ceilDiv(kh * kw * c, NR);
        float[] b = byTap ? packWeightsByTap(weight) : packWeightsByPair(weight);
        // Where column j of sliver s lands, relative to a window's start (pair columns only).
        int[] columnAt = new int[slivers * NR];
        for (int j = 0; !byTap && j < kh * kw * c; j++) {
            int tap = j / c;
            columnAt[j] = ((tap / kw) * wp + tap % kw) * depth + j % c;
        }
        int pairs = kh * kw * c;
        int[] rows = pixelOffsets(oh, ow, 0, ow, 1);
        int[] steps = new int[o];
        for (int a = 0; a < o; a++) {
            steps[a] = a * pixels;
        }
        // Where each output pixel's window starts in the channels-last buffer.
        int[] windowAt = pixelOffsets(oh, ow, 0, strideH * wp * depth, strideW * depth);
        int pixelSlivers = ceilDiv(pixels, MR);
        double flopsPerImage = 2.0 * pixelSlivers * MR * o * slivers * NR;
        long minImages = (long) Math.ceil(CpuGemm.PARALLEL_FLOPS / flopsPerImage);
        MemorySegment ds = dx.storage().segment();
        CpuParallel.forRange(images, minImages, (from, to) -> {
            Workspace ws = WORKSPACE.get();
            float[] tile = ws.tile;
            float[] sums = ws.channelsLast(hp * wp * depth);
            for (int n = (int) from; n < to; n++) {
                float[] image = ws.image(layout);
                fill.fill(n, image, ws);
                float[] plane = ws.staging(h * w);
                Arrays.fill(sums, 0, hp * wp * depth, 0f);
                for (int qs = 0; qs < pixelSlivers; qs++) {
                    int first = qs * MR;
                    int valid = Math.min(MR, pixels - first);
                    for (int s = 0; s < slivers; s++) {
                        GemmKernel.multiplyGathered(image, rows, first, steps, 0, o, b, s * o * NR, tile, 0, NR, false);
                        if (!byTap) {
                            int columns = Math.min(NR, pairs - s * NR);
                            for (int r = 0; r < valid; r++) {
                                int window = windowAt[first + r];
                                for (int j = 0; j < columns; j++) {
                                    sums[window + columnAt[s * NR + j]] += tile[r * NR + j];
                                }
                            }
                            continue;
                        }
                        int tap = s / groups;
                        int shift = ((tap / kw) * wp + tap % kw) * depth + (s % groups) * NR;
                        for (int r = 0; r < valid; r++) {
                            int at = windowAt[first + r] + shift;
                            for (int v = 0; v < NR; v += LANES) {
                                FloatVector.fromArray(GemmKernel.SPECIES, tile, r * NR + v)
                                        .add(FloatVector.fromArray(GemmKernel.SPECIES, sums, at + v))
                                        .intoArray(sums, at + v);
                            }
                        }
                    }
                }
                // dx[n][ch][y][x] = sums[padTop + y][padLeft + x][ch]
                for (int ch = 0; ch < c; ch++) {
                    for (int y = 0; y < h; y++) {
                        int row = ((padTop + y) * wp + padLeft) * depth + ch;
                        for (int x = 0; x < w; x++) {
                            plane[y * w + x] = sums[row + x * depth];
                        }
                    }
                    PlaneCopy.write(plane, ds, dx.offset() + n * dx.stride(0) + ch * dx.stride(1), dx.stride(2),
                            dx.stride(3), h, w);
                }
            }
        });
    }

    /**
     * {@code dW[o][p] = sum over n, q of dZ[n][o][q] * image_n[rows[p] + steps[q]]} over
     * {@code k} window elements p and {@code pixels} output pixels q, and (when {@code dBias} is
     * not null) {@code dBias[o] = sum of dZ}. {@code pack} supplies each image's dL/dZ.
     */
    static void filterGradient(ImageLayout layout, ImageFill fill, GradientPack pack, int[] windowOffsets,
                               int[] pixelOffsets, int k, int pixels, int images, int columns, Tensor dWeight,
                               Tensor dBias) {
        int kSlivers = ceilDiv(k, MR);
        int oSlivers = ceilDiv(columns, NR);
        int width = oSlivers * NR;
        int[] rows = Arrays.copyOf(windowOffsets, kSlivers * MR);
        double flopsPerImage = 2.0 * kSlivers * MR * width * pixels;
        int pieces = (int) Math.max(1, Math.min(Math.min(CpuParallel.THREADS, images),
                images * flopsPerImage / CpuGemm.PARALLEL_FLOPS));
        // Each piece's sums: dW^T [kSlivers * MR][width], then one row of bias sums.
        int biasRow = kSlivers * MR * width;
        float[][] partial = CALL_BUFFERS.get().sums(pieces, biasRow + width);
        CpuParallel.forEach(pieces, piece -> {
            Workspace ws = WORKSPACE.get();
            float[] sums = partial[piece];
            float[] b = ws.packed(pixels * width);
            for (int n = images * piece / pieces; n < images * (piece + 1) / pieces; n++) {
                float[] image = ws.image(layout);
                fill.fill(n, image, ws);
                pack.pack(n, b, ws);
                if (dBias != null) {
                    sumRows(b, oSlivers, pixels, sums, biasRow);
                }
                for (int ks = 0; ks < kSlivers; ks++) {
                    for (int s = 0; s < oSlivers; s++) {
                        GemmKernel.multiplyGathered(image, rows, ks * MR, pixelOffsets, 0, pixels, b, s * pixels * NR,
                                sums, ks * MR * width + s * NR, width, true);
                    }
                }
            }
        });
        // dW[o][p] = sum of the pieces' dW^T[p][o], always in piece order.
        MemorySegment ds = dWeight.storage().segment();
        int kh = dWeight.dim(2);
        int kw = dWeight.dim(3);
        for (int o = 0; o < columns; o++) {
            for (int c = 0; c < dWeight.dim(1); c++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int p = (c * kh + i) * kw + j;
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

    /**
     * The weights as forward's B, {@code B[(c, i, j)][o] = W[o][c][i][j]} in slivers of NR outputs
     * (zero past the last), in the calling thread's buffer.
     */
    static float[] packWeights(Tensor weight) {
        int o = weight.dim(0);
        int c = weight.dim(1);
        int kh = weight.dim(2);
        int kw = weight.dim(3);
        int steps = c * kh * kw;
        int slivers = ceilDiv(o, NR);
        float[] b = weightBuffer(slivers * NR * steps);
        MemorySegment seg = weight.storage().segment();
        long[] st = weight.strides();
        for (int column = 0; column < slivers * NR; column++) {
            int sliver = (column / NR) * steps * NR + column % NR;
            for (int d = 0; d < c; d++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int step = (d * kh + i) * kw + j;
                        b[sliver + step * NR] = column < o
                                ? seg.getAtIndex(FLOAT, weight.offset() + column * st[0] + d * st[1] + i * st[2] + j * st[3])
                                : 0f;
                    }
                }
            }
        }
        return b;
    }

    /**
     * The weights as the input gradient's B: one sliver per (kernel tap (i, j), group of NR input
     * channels), {@code B[o][col] = W[o][group * NR + col][i][j]} (zero past the last channel).
     */
    static float[] packWeightsByTap(Tensor weight) {
        int o = weight.dim(0);
        int c = weight.dim(1);
        int taps = weight.dim(2) * weight.dim(3);
        int groups = ceilDiv(c, NR);
        float[] b = weightBuffer(taps * groups * o * NR);
        MemorySegment seg = weight.storage().segment();
        long[] st = weight.strides();
        for (int tap = 0; tap < taps; tap++) {
            int i = tap / weight.dim(3);
            int j = tap % weight.dim(3);
            for (int group = 0; group < groups; group++) {
                int sliver = (tap * groups + group) * o * NR;
                for (int a = 0; a < o; a++) {
                    for (int col = 0; col < NR; col++) {
                        int d = group * NR + col;
                        b[sliver + a * NR + col] = d < c
                                ? seg.getAtIndex(FLOAT, weight.offset() + a * st[0] + d * st[1] + i * st[2] + j * st[3])
                                : 0f;
                    }
                }
            }
        }
        return b;
    }

    /**
     * The weights as the input gradient's B for few input channels: columns over (tap, channel)
     * pairs, {@code B[o][tap * C + c] = W[o][c][tap / KW][tap % KW]}, in slivers of NR (zero past the
     * last pair).
     */
    static float[] packWeightsByPair(Tensor weight) {
        int o = weight.dim(0);
        int c = weight.dim(1);
        int kw = weight.dim(3);
        int pairs = weight.dim(2) * kw * c;
        int slivers = ceilDiv(pairs, NR);
        float[] b = weightBuffer(slivers * o * NR);
        MemorySegment seg = weight.storage().segment();
        long[] st = weight.strides();
        for (int j = 0; j < slivers * NR; j++) {
            int sliver = (j / NR) * o * NR + j % NR;
            int tap = j / c;
            int d = j % c;
            for (int a = 0; a < o; a++) {
                b[sliver + a * NR] = j < pairs
                        ? seg.getAtIndex(FLOAT, weight.offset() + a * st[0] + d * st[1] + (tap / kw) * st[2] + (tap % kw) * st[3])
                        : 0f;
            }
        }
        return b;
    }

    private static float[] weightBuffer(int size) {
        CallBuffers buffers = CALL_BUFFERS.get();
        if (buffers.weights.length < size) {
            buffers.weights = new float[size];
        }
        return buffers.weights;
    }

    /** A heap copy of {@code bias [columns]}, zeros past its end (all zeros when bias is null). */
    static float[] biases(Tensor bias, int columns) {
        float[] values = new float[ceilDiv(columns, NR) * NR];
        if (bias != null) {
            for (int j = 0; j < columns; j++) {
                values[j] = bias.storage().segment().getAtIndex(FLOAT, bias.offset() + j * bias.stride(0));
            }
        }
        return values;
    }

    /** Offset of window element (ch, i, j) in planes of {@code rows x cols}: the kernel's steps. */
    static int[] windowOffsets(int channels, int kh, int kw, int rows, int cols) {
        int[] offsets = new int[channels * kh * kw];
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
     * {@code start + y * rowStep + x * colStep} for every pixel (y, x) of an {@code h x w} grid,
     * padded with zeros to whole 8-row slivers (the kernel reads a full sliver; the extra rows are
     * dropped).
     */
    static int[] pixelOffsets(int h, int w, int start, int rowStep, int colStep) {
        int[] offsets = new int[ceilDiv(h * w, MR) * MR];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                offsets[y * w + x] = start + y * rowStep + x * colStep;
            }
        }
        return offsets;
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
