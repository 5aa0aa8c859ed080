package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
