package dev.strix.tensor.cpu;

import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * What the implicit-GEMM convolution loops share ({@link ImplicitGemmForward},
 * {@link ImplicitGemmBackward}): one image at a time is copied (zero-padded) into a heap array that
 * stays in L1/L2, and {@link GemmKernel#multiplyGathered} reads every window element from it by
 * offset (a tile row's offset says where the window sits, a step's offset which element of the
 * window it is) against a packed B, so no column matrix is ever built. Here: the workers' heap
 * buffers, the image layout, the callbacks that fill an image and take a result, and the offset
 * tables.
 */
final class ImplicitGemm {
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    static final int MR = GemmKernel.MR;
    static final int NR = GemmKernel.NR;
    static final int LANES = GemmKernel.SPECIES.length();

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
     * The calling thread's {@code pieces} weight-gradient sums, each at least {@code size} long and
     * zero: one per piece of the batch, added up in piece order after the workers are done.
     */
    static float[][] gradientSums(int pieces, int size) {
        return CALL_BUFFERS.get().sums(pieces, size);
    }

    /** The calling thread's weight buffer, at least {@code size} long (shared read-only by its workers). */
    static float[] weightBuffer(int size) {
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

