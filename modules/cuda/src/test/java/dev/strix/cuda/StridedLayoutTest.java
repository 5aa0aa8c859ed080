package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Axis merging keeps every element where it was; the kernels' index arithmetic is mirrored in Java. */
class StridedLayoutTest {
    private static long naiveIndex(int[] shape, long[] strides, long offset, long i) {
        long at = offset;
        for (int a = shape.length - 1; a >= 0; a--) {
            at += (i % shape[a]) * strides[a];
            i /= shape[a];
        }
        return at;
    }

    private static long[] contiguous(int[] shape) {
        long[] s = new long[shape.length];
        long step = 1;
        for (int a = shape.length - 1; a >= 0; a--) {
            s[a] = step;
            step *= shape[a];
        }
        return s;
    }

    @Test
    void contiguousOperandsBecomeOneAxis() {
        int[] shape = {2, 3, 1, 4};
        StridedLayout walk = StridedLayout.of("test", shape, new long[][] {contiguous(shape), contiguous(shape)},
                new long[] {5, 0});
        assertEquals(1, walk.rank);
        assertEquals(24, walk.dims[0]);
        assertEquals(24, walk.size);
        assertEquals(5 + 23, walk.elementIndex(0, 23));
    }

    @Test
    void aTransposedOperandKeepsTheAxesApart() {
        int[] shape = {3, 4};
        StridedLayout walk = StridedLayout.of("test", shape, new long[][] {{1, 3}, {4, 1}}, new long[] {0, 0});
        assertEquals(2, walk.rank);
    }

    @Test
    void randomViewsMapEveryElementAsTheOriginalShapeDoes() {
        SplittableRandom random = new SplittableRandom(11);
        for (int trial = 0; trial < 200; trial++) {
            int rank = random.nextInt(0, 7);
            int[] shape = new int[rank];
            for (int a = 0; a < rank; a++) {
                shape[a] = random.nextInt(1, 5);
            }
            long[][] strides = new long[2][];
            strides[0] = contiguous(shape);
            strides[1] = new long[rank];
            for (int a = 0; a < rank; a++) {
                strides[1][a] = switch (random.nextInt(4)) {
                    case 0 -> 0;                               // broadcast
                    case 1 -> -contiguous(shape)[a];           // reversed
                    default -> contiguous(shape)[a] * (1 + random.nextInt(2));
                };
            }
            long[] offsets = {random.nextInt(100), 1000};
            StridedLayout walk = StridedLayout.of("test", shape, strides, offsets);
            long size = 1;
            for (int d : shape) {
                size *= d;
            }
            assertEquals(size, walk.size);
            assertTrue(walk.rank <= rank);
            for (long i = 0; i < size; i++) {
                for (int k = 0; k < 2; k++) {
                    assertEquals(naiveIndex(shape, strides[k], offsets[k], i), walk.elementIndex(k, i),
                            "trial " + trial + " operand " + k + " element " + i);
                }
            }
        }
    }

    /** Element index of row-major element {@code i} of {@code t}, from the tensor's own shape and strides. */
    private static long logicalIndex(Tensor t, long i) {
        return naiveIndex(t.shape().dims(), t.strides(), t.offset(), i);
    }

    @Test
    void planesMergeTheLeadingAxesAndKeepTheLastTwo() {
        // pad of a [2, 3, 4, 5] view whose last two axes are transposed into a contiguous [2, 3, 6, 8].
        try (Tensor base = Tensor.zeros(Backends.cpu(), DType.F32, 2, 3, 5, 4);
             Tensor out = Tensor.zeros(Backends.cpu(), DType.F32, 2, 3, 6, 8)) {
            Tensor in = base.transpose(2, 3);
            StridedLayout walk = StridedLayout.planes("pad", in, out);
            assertEquals(3, walk.rank, "N and C merge into one axis");
            org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {6, 6, 8}, walk.dims);
            org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {20, 1, 4}, walk.strides[0]);
            org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {48, 8, 1}, walk.strides[1]);
            assertEquals(out.size(), walk.size);
            for (long i = 0; i < out.size(); i++) {
                assertEquals(logicalIndex(out, i), walk.elementIndex(1, i), "output element " + i);
            }
        }
    }

    @Test
    void planesKeepLeadingAxesApartWhenAnOperandSplitsThem() {
        // A permuted 5-D input: its leading axes cannot merge, so the output's are kept apart too.
        try (Tensor base = Tensor.zeros(Backends.cpu(), DType.F32, 3, 2, 4, 3, 2);
             Tensor out = Tensor.zeros(Backends.cpu(), DType.F32, 2, 3, 4, 5, 4)) {
            Tensor in = base.permute(1, 0, 2, 3, 4);
            StridedLayout walk = StridedLayout.planes("dilate", in, out);
            assertEquals(5, walk.rank);
            // In-plane coordinates (r, s) of input element at leading position L are found by the kernel
            // as offset + L-part + r * stride[-2] + s * stride[-1]: check the leading part element by element.
            for (int a = 0; a < 2; a++) {
                for (int b = 0; b < 3; b++) {
                    for (int c = 0; c < 4; c++) {
                        long viaWalk = walk.offsets[0] + a * walk.strides[0][0] + b * walk.strides[0][1]
                                + c * walk.strides[0][2];
                        assertEquals(in.offset() + a * in.stride(0) + b * in.stride(1) + c * in.stride(2), viaWalk);
                    }
                }
            }
            assertEquals(in.stride(3), walk.strides[0][3]);
            assertEquals(in.stride(4), walk.strides[0][4]);
        }
    }

    @Test
    void planesOfAMatrixHaveNoLeadingAxes() {
        try (Tensor in = Tensor.zeros(Backends.cpu(), DType.F32, 1, 1);
             Tensor out = Tensor.zeros(Backends.cpu(), DType.F32, 3, 3)) {
            StridedLayout walk = StridedLayout.planes("pad", in, out);
            assertEquals(2, walk.rank, "size-1 plane axes are kept: the kernel reads rows and columns there");
            org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {3, 3}, walk.dims);
            assertEquals(9, walk.size);
        }
    }

    @Test
    void planesWithTooManyLeadingAxesAreRefused() {
        try (Tensor base = Tensor.zeros(Backends.cpu(), DType.F32, 2, 2, 2, 2, 2, 2, 2, 2, 2);
             Tensor out = Tensor.zeros(Backends.cpu(), DType.F32, 2, 2, 2, 2, 2, 2, 2, 2, 2)) {
            Tensor reversed = base.permute(8, 7, 6, 5, 4, 3, 2, 1, 0);   // strides 1, 2, 4, ...: nothing merges
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> StridedLayout.planes("pad", reversed, out));
            assertTrue(e.getMessage().startsWith("pad: shape [2, 2, 2, 2, 2, 2, 2, 2, 2] still has 9 axes"),
                    e.getMessage());
        }
    }

    @Test
    void moreThanEightAxesThatCannotMergeAreRefused() {
        int[] shape = {2, 2, 2, 2, 2, 2, 2, 2, 2};
        long[] everyOther = new long[9];
        for (int a = 0; a < 9; a++) {
            everyOther[a] = 1L << (2 * (8 - a) + 1);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StridedLayout.of("copy", shape, new long[][] {everyOther}, new long[] {0}));
        assertTrue(e.getMessage().contains("copy: shape [2, 2, 2, 2, 2, 2, 2, 2, 2] still has 9 axes"), e.getMessage());
        // The same rank merges to one axis when contiguous.
        assertEquals(1, StridedLayout.of("copy", shape, new long[][] {contiguous(shape)}, new long[] {0}).rank);
    }
}
