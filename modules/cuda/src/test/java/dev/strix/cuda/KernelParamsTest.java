package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The bytes handed to cuLaunchKernel match the C declarations in cuda-src/strix_common.cuh. */
class KernelParamsTest {
    @Test
    void scalarsAndStructsLandInTheirOwnAlignedSlots() {
        try (Arena arena = Arena.ofConfined()) {
            KernelParams p = new KernelParams(arena).reset();
            p.i32(7).shape(3, new int[] {2, 3, 4}).i64(24).view(5, 3, new long[] {12, -4, 1}).f32(0.5f).pointer(0xABCDEFL);
            assertEquals(6, p.count());
            assertEquals(7, p.parameter(0, 4).get(ValueLayout.JAVA_INT, 0));
            MemorySegment shape = p.parameter(1, KernelParams.SHAPE_BYTES);
            assertEquals(36, KernelParams.SHAPE_BYTES);
            assertEquals(3, shape.get(ValueLayout.JAVA_INT, 0));
            int[] dims = new int[8];
            for (int a = 0; a < 8; a++) {
                dims[a] = shape.get(ValueLayout.JAVA_INT, 4 + 4L * a);
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {2, 3, 4, 0, 0, 0, 0, 0}, dims);
            assertEquals(24L, p.parameter(2, 8).get(ValueLayout.JAVA_LONG, 0));
            MemorySegment view = p.parameter(3, KernelParams.VIEW_BYTES);
            assertEquals(72, KernelParams.VIEW_BYTES);
            assertEquals(5L, view.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(12L, view.get(ValueLayout.JAVA_LONG, 8));
            assertEquals(-4L, view.get(ValueLayout.JAVA_LONG, 16));
            assertEquals(1L, view.get(ValueLayout.JAVA_LONG, 24));
            assertEquals(0L, view.get(ValueLayout.JAVA_LONG, 32));
            assertEquals(0.5f, p.parameter(4, 4).get(ValueLayout.JAVA_FLOAT, 0));
            assertEquals(0xABCDEFL, p.parameter(5, 8).get(ValueLayout.JAVA_LONG, 0));
            for (int i = 0; i < 6; i++) {
                assertEquals(0, p.parameter(i, 1).address() % 8, "parameter " + i + " is 8-aligned");
            }
            p.reset();
            assertEquals(0, p.count());
        }
    }

    @Test
    void structsOfIntsAndLongsAreTheirFieldsInOrder() {
        try (Arena arena = Arena.ofConfined()) {
            KernelParams p = new KernelParams(arena).reset();
            // Correlation {A, B, C, Y, X, I, J} (28 bytes), then Rows {strideRow, strideCol} (16 bytes).
            p.ints(2, 5, 3, 4, 6, 3, 2).longs(-7, 1).i32(9);
            assertEquals(3, p.count());
            MemorySegment geometry = p.parameter(0, 28);
            int[] fields = new int[7];
            for (int i = 0; i < 7; i++) {
                fields[i] = geometry.get(ValueLayout.JAVA_INT, 4L * i);
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {2, 5, 3, 4, 6, 3, 2}, fields);
            MemorySegment rows = p.parameter(1, 16);
            assertEquals(-7L, rows.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(1L, rows.get(ValueLayout.JAVA_LONG, 8));
            assertEquals(9, p.parameter(2, 4).get(ValueLayout.JAVA_INT, 0));
            assertEquals(0, p.parameter(1, 1).address() % 8, "the long struct is 8-aligned");
        }
    }

    @Test
    void ranksBeyondTheKernelsLimitAreRefused() {
        try (Arena arena = Arena.ofConfined()) {
            KernelParams p = new KernelParams(arena).reset();
            assertThrows(IllegalArgumentException.class, () -> p.shape(9, new int[9]));
        }
    }
}
