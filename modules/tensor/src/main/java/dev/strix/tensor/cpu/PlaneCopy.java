package dev.strix.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Moves one 2-D plane between off-heap tensor memory (any row and column strides) and a heap
 * array, row by row in bulk where the columns are contiguous. Plane-at-a-time kernels (pooling,
 * col2im) do their arithmetic on the heap copy, where the JIT compiles plain array loops well,
 * instead of element by element through memory-segment accessors.
 */
final class PlaneCopy {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ThreadLocal<float[][]> FLOATS = ThreadLocal.withInitial(() -> new float[4][0]);
    private static final ThreadLocal<int[]> INTS = ThreadLocal.withInitial(() -> new int[0]);

    private PlaneCopy() {
    }

    /** This thread's float scratch array number {@code slot} (0..3), at least {@code size} long. */
    static float[] floats(int slot, int size) {
        float[][] all = FLOATS.get();
        if (all[slot].length < size) {
            all[slot] = new float[size];
        }
        return all[slot];
    }

    /** This thread's int scratch array, at least {@code size} long. */
    static int[] ints(int size) {
        int[] a = INTS.get();
        if (a.length < size) {
            a = new int[size];
            INTS.set(a);
        }
        return a;
    }

    /** {@code dst[r * cols + c] = seg[offset + r * rowStride + c * colStride]}. */
    static void read(MemorySegment seg, long offset, long rowStride, long colStride, int rows, int cols, float[] dst) {
        if (colStride == 1 && rowStride == cols) {
            MemorySegment.copy(seg, FLOAT, offset * 4, dst, 0, rows * cols);
            return;
        }
        for (int r = 0; r < rows; r++) {
            long at = offset + r * rowStride;
            if (colStride == 1) {
                MemorySegment.copy(seg, FLOAT, at * 4, dst, r * cols, cols);
            } else {
                for (int c = 0; c < cols; c++) {
                    dst[r * cols + c] = seg.getAtIndex(FLOAT, at + c * colStride);
                }
            }
        }
    }

    /** {@code seg[offset + r * rowStride + c * colStride] = src[r * cols + c]}. */
    static void write(float[] src, MemorySegment seg, long offset, long rowStride, long colStride, int rows, int cols) {
        if (colStride == 1 && rowStride == cols) {
            MemorySegment.copy(src, 0, seg, FLOAT, offset * 4, rows * cols);
            return;
        }
        for (int r = 0; r < rows; r++) {
            long at = offset + r * rowStride;
            if (colStride == 1) {
                MemorySegment.copy(src, r * cols, seg, FLOAT, at * 4, cols);
            } else {
                for (int c = 0; c < cols; c++) {
                    seg.setAtIndex(FLOAT, at + c * colStride, src[r * cols + c]);
                }
            }
        }
    }

    /** The int32 version of {@link #read(MemorySegment, long, long, long, int, int, float[])}. */
    static void read(MemorySegment seg, long offset, long rowStride, long colStride, int rows, int cols, int[] dst) {
        if (colStride == 1 && rowStride == cols) {
            MemorySegment.copy(seg, INT, offset * 4, dst, 0, rows * cols);
            return;
        }
        for (int r = 0; r < rows; r++) {
            long at = offset + r * rowStride;
            if (colStride == 1) {
                MemorySegment.copy(seg, INT, at * 4, dst, r * cols, cols);
            } else {
                for (int c = 0; c < cols; c++) {
                    dst[r * cols + c] = seg.getAtIndex(INT, at + c * colStride);
                }
            }
        }
    }

    /** The int32 version of {@link #write(float[], MemorySegment, long, long, long, int, int)}. */
    static void write(int[] src, MemorySegment seg, long offset, long rowStride, long colStride, int rows, int cols) {
        if (colStride == 1 && rowStride == cols) {
            MemorySegment.copy(src, 0, seg, INT, offset * 4, rows * cols);
            return;
        }
        for (int r = 0; r < rows; r++) {
            long at = offset + r * rowStride;
            if (colStride == 1) {
                MemorySegment.copy(src, r * cols, seg, INT, at * 4, cols);
            } else {
                for (int c = 0; c < cols; c++) {
                    seg.setAtIndex(INT, at + c * colStride, src[r * cols + c]);
                }
            }
        }
    }
}
