package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Views (no copy) and copies between layouts. */
public abstract class ViewConformance extends BackendConformance {

    private static float[] iota(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    @Test
    void roundTripsArraysOfEveryDtype() {
        try (Tensor f = tensor(new float[] {1.5f, -2f, 3f, 4f, 5f, 6f}, 2, 3);
             Tensor i = Tensor.ofInts(backend(), new int[] {7, -8, 9}, 3);
             Tensor b = Tensor.ofBytes(backend(), new byte[] {0, 1, (byte) 255}, 3)) {
            assertArrayEquals(new float[] {1.5f, -2f, 3f, 4f, 5f, 6f}, f.toFloatArray());
            assertArrayEquals(new int[] {7, -8, 9}, i.toIntArray());
            assertArrayEquals(new byte[] {0, 1, (byte) 255}, b.toByteArray());
            assertArrayEquals(new float[] {0, 1, 255}, b.toFloatArray());
            assertEquals(-2f, f.get(0, 1));
        }
    }

    @Test
    void allocateIsZeroFilled() {
        try (Tensor t = backend().allocate(DType.F32, Shape.of(3, 5))) {
            assertArrayEquals(new float[15], t.toFloatArray());
        }
    }

    @Test
    void transposeAndPermuteReorderWithoutCopying() {
        int[] dims = {2, 3, 4};
        float[] data = iota(24);
        try (Tensor t = tensor(data, dims)) {
            Tensor p = t.permute(2, 0, 1);
            assertEquals(Shape.of(4, 2, 3), p.shape());
            assertTrue(p.storage() == t.storage());
            assertFalse(p.isContiguous());
            float[] got = p.toFloatArray();
            int n = 0;
            for (int k = 0; k < 4; k++) {
                for (int i = 0; i < 2; i++) {
                    for (int j = 0; j < 3; j++) {
                        assertEquals(data[flat(dims, i, j, k)], got[n++], "permuted element " + k + "," + i + "," + j);
                    }
                }
            }
            float[] tr = t.transpose(0, 2).toFloatArray();
            n = 0;
            for (int k = 0; k < 4; k++) {
                for (int j = 0; j < 3; j++) {
                    for (int i = 0; i < 2; i++) {
                        assertEquals(data[flat(dims, i, j, k)], tr[n++]);
                    }
                }
            }
        }
    }

    @Test
    void sliceWithStepAndSelect() {
        int[] dims = {4, 6};
        float[] data = iota(24);
        try (Tensor t = tensor(data, dims)) {
            Tensor s = t.slice(1, 1, 6, 2).slice(0, 1, 3);
            assertEquals(Shape.of(2, 3), s.shape());
            assertArrayEquals(new float[] {7, 9, 11, 13, 15, 17}, s.toFloatArray());
            assertArrayEquals(new float[] {2, 8, 14, 20}, t.select(1, 2).toFloatArray());
        }
    }

    @Test
    void asStridedWithZeroStrideRepeatsElements() {
        try (Tensor t = tensor(new float[] {1, 2, 3}, 3)) {
            Tensor rep = t.asStrided(Shape.of(4, 3), 0, 1);
            assertArrayEquals(new float[] {1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}, rep.toFloatArray());
            Tensor col = t.asStrided(Shape.of(3, 2), 1, 0);
            assertArrayEquals(new float[] {1, 1, 2, 2, 3, 3}, col.toFloatArray());
        }
    }

    @Test
    void asStridedSlidingWindowsAreTheSeedsConvolutionView() {
        // A 1-D signal of 6 seen as 4 overlapping windows of 3: the strided view convolution rests on.
        try (Tensor t = tensor(iota(6), 6)) {
            Tensor windows = t.asStrided(Shape.of(4, 3), 1, 1);
            assertArrayEquals(new float[] {0, 1, 2, 1, 2, 3, 2, 3, 4, 3, 4, 5}, windows.toFloatArray());
        }
    }

    @Test
    void negativeStridesReverse() {
        try (Tensor t = tensor(iota(6), 2, 3)) {
            Tensor rotated = t.asStrided(Shape.of(2, 3), new long[] {-3, -1}, 5);
            assertArrayEquals(new float[] {5, 4, 3, 2, 1, 0}, rotated.toFloatArray());
        }
    }

    @Test
    void outOfBoundsViewsAreRefusedWithAMessage() {
        try (Tensor t = tensor(iota(6), 6)) {
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> t.asStrided(Shape.of(4, 3), 2, 1));
            assertTrue(e.getMessage().contains("storage holds 6 elements"), e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> t.asStrided(Shape.of(2), new long[] {-1}, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> t.slice(0, 2, 7));
            assertThrows(IndexOutOfBoundsException.class, () -> t.asStrided(Shape.of(1), new long[] {1}, 6));
        }
    }

    @Test
    void reshapeNeedsContiguousAndMatchingSize() {
        try (Tensor t = tensor(iota(12), 3, 4)) {
            assertEquals(Shape.of(2, 6), t.reshape(2, -1).shape());
            assertThrows(IllegalArgumentException.class, () -> t.reshape(5, 2));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.transpose(0, 1).reshape(12));
            assertTrue(e.getMessage().contains("contiguous"), e.getMessage());
        }
    }

    @Test
    void contiguousCopiesStridedViewsAndCopyConvertsDtypes() {
        try (Tensor t = tensor(iota(12), 3, 4); Tensor c = t.transpose(0, 1).contiguous()) {
            assertTrue(c.isContiguous());
            assertTrue(c.isOwner());
            assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, c.toFloatArray());
            try (Tensor asInt = backend().allocate(DType.I32, Shape.of(4, 3));
                 Tensor asByte = backend().allocate(DType.U8, Shape.of(4, 3))) {
                backend().copy(t.transpose(0, 1), asInt);
                assertArrayEquals(new int[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, asInt.toIntArray());
                backend().copy(asInt, asByte);
                backend().copy(asByte, c);
                assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, c.toFloatArray());
            }
        }
    }

    @Test
    void fillAndWriteThroughAStridedView() {
        try (Tensor t = backend().allocate(DType.F32, Shape.of(3, 4))) {
            t.slice(1, 0, 4, 2).fill(7f);
            assertArrayEquals(new float[] {7, 0, 7, 0, 7, 0, 7, 0, 7, 0, 7, 0}, t.toFloatArray());
            t.transpose(0, 1).slice(0, 1, 2).copyFrom(new float[] {1, 2, 3});
            assertArrayEquals(new float[] {7, 1, 7, 0, 7, 2, 7, 0, 7, 3, 7, 0}, t.toFloatArray());
        }
    }

    @Test
    void largeCopiesSplitAcrossWorkersStayExact() {
        int[] dims = {64, 33, 17};
        float[] data = randomFloats(64 * 33 * 17);
        try (Tensor t = tensor(data, dims); Tensor c = t.permute(1, 2, 0).contiguous()) {
            float[] got = c.toFloatArray();
            int n = 0;
            for (int j = 0; j < 33; j++) {
                for (int k = 0; k < 17; k++) {
                    for (int i = 0; i < 64; i++) {
                        assertEquals(data[flat(dims, i, j, k)], got[n++]);
                    }
                }
            }
        }
    }

    @Test
    void toMovesDataToAnotherBackendAndBack() {
        try (Tensor t = tensor(new float[] {1, 2, 3, 4}, 2, 2);
             Tensor cpu = t.to(dev.strix.tensor.Backends.cpu());
             Tensor back = cpu.to(backend())) {
            assertArrayEquals(new float[] {1, 2, 3, 4}, cpu.toFloatArray());
            assertArrayEquals(new float[] {1, 2, 3, 4}, back.toFloatArray());
        }
    }
}
