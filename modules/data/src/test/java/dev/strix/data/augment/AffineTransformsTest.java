package dev.strix.data.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.data.CounterRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AffineTransformsTest {
    @Test
    void sameKeySameMatrix() {
        Augmentation a = Augmentation.digits();
        long key = CounterRandom.key(1, 2, 3);
        float[] m1 = new float[12];
        float[] m2 = new float[12];
        AffineTransforms.random(a, key, 0, 28, 28, m1, 0);
        AffineTransforms.random(a, key, 1, 28, 28, m1, 6);
        // Drawn in the other order: counter-based, so the result is the same.
        AffineTransforms.random(a, key, 1, 28, 28, m2, 6);
        AffineTransforms.random(a, key, 0, 28, 28, m2, 0);
        assertArrayEquals(m1, m2);
        assertFalse(Arrays.equals(Arrays.copyOf(m1, 6), Arrays.copyOfRange(m1, 6, 12)));
    }

    @Test
    void drawsStayWithinTheSettings() {
        Augmentation a = new Augmentation(15, 3, 0.8, 1.2);
        float[] m = new float[6];
        double cx = 13.5;
        for (int i = 0; i < 2000; i++) {
            AffineTransforms.random(a, CounterRandom.key(9, i), i, 28, 28, m, 0);
            // The inverse matrix is R^T / s: recover angle and zoom.
            double zoom = 1 / Math.hypot(m[0], m[3]);
            double degrees = Math.toDegrees(Math.atan2(m[3], m[0]));
            assertTrue(zoom >= 0.8 - 1e-5 && zoom <= 1.2 + 1e-5, "zoom " + zoom);
            assertTrue(Math.abs(degrees) <= 15 + 1e-4, "degrees " + degrees);
            // The centre's image is the centre shifted by t: solve M * (cx + tx, cx + ty) = (cx, cx).
            double det = m[0] * m[4] - m[1] * m[3];
            double px = ((cx - m[2]) * m[4] - m[1] * (cx - m[5])) / det;
            double py = (m[0] * (cx - m[5]) - m[3] * (cx - m[2])) / det;
            assertTrue(Math.abs(px - cx) <= 3 + 1e-3 && Math.abs(py - cx) <= 3 + 1e-3, "shift " + (px - cx) + ", " + (py - cx));
        }
    }

    @Test
    void noneIsIdentity() {
        assertTrue(Augmentation.NONE.isIdentity());
        float[] m = new float[6];
        AffineTransforms.random(Augmentation.NONE, 123, 4, 28, 28, m, 0);
        assertArrayEquals(new float[] {1, 0, 0, 0, 1, 0}, m);
        assertEquals(false, Augmentation.digits().isIdentity());
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(-1, 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(0, 0, 1.2, 1.1));
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(0, 0, 0, 1));
    }
}
