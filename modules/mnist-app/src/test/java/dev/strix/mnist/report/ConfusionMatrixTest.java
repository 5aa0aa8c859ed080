package dev.strix.mnist.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConfusionMatrixTest {
    private static ConfusionMatrix sample() {
        ConfusionMatrix m = new ConfusionMatrix(3);
        m.addAll(new int[] {0, 0, 0, 0, 1, 1, 1, 2, 2, 2}, new int[] {0, 0, 0, 1, 1, 1, 2, 2, 0, 2});
        return m;
    }

    @Test
    void countsPairsAndComputesAccuracies() {
        ConfusionMatrix m = sample();
        assertArrayEquals(new int[][] {{3, 1, 0}, {0, 2, 1}, {1, 0, 2}}, m.toArray());
        assertEquals(10, m.total());
        assertEquals(7, m.correct());
        assertEquals(0.7, m.accuracy(), 1e-12);
        assertEquals(0.75, m.classAccuracy(0), 1e-12);
        assertEquals(2 / 3.0, m.classAccuracy(1), 1e-12);
        assertEquals(4, m.rowTotal(0));
    }

    @Test
    void emptyMatrixHasNoAccuracy() {
        ConfusionMatrix m = new ConfusionMatrix(10);
        assertTrue(Double.isNaN(m.accuracy()));
        assertTrue(Double.isNaN(m.classAccuracy(3)));
        m.add(3, 3);
        m.clear();
        assertEquals(0, m.total());
    }

    @Test
    void prettyPrintsTheTable() {
        assertEquals("""
                true\\pred    0    1    2  accuracy
                        0    3    1    0    75.00%
                        1    0    2    1    66.67%
                        2    1    0    2    66.67%
                overall accuracy 70.00% (7/10)
                """, sample().format());
    }

    @Test
    void buildsFromAnArrayAndRefusesBadInput() {
        int[][] counts = {{5, 1}, {2, 7}};
        ConfusionMatrix m = ConfusionMatrix.of(counts);
        assertArrayEquals(counts, m.toArray());
        assertEquals(12 / 15.0, m.accuracy(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> ConfusionMatrix.of(new int[][] {{1, 2}, {3}}));
        assertThrows(IllegalArgumentException.class, () -> ConfusionMatrix.of(new int[][] {{-1}}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.add(2, 0));
        assertEquals("true class 2 outside 0..1", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.addAll(new int[2], new int[3]));
    }
}
