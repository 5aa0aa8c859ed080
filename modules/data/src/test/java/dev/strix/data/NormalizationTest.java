package dev.strix.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class NormalizationTest {
    @Test
    void noneScalesToExactlyZeroAndOne() {
        float[] t = Normalization.NONE.table();
        assertEquals(0f, t[0]);
        assertEquals(1f, t[255]);
        for (int v = 0; v < 256; v++) {
            assertEquals(v / 255.0, t[v], 1e-7);
        }
    }

    @Test
    void meanAndStdMatchTheFormulaInDouble() {
        float[] t = Normalization.MNIST.table();
        for (int v = 0; v < 256; v++) {
            assertEquals((v / 255.0 - 0.1307) / 0.3081, t[v], 1e-6);
        }
    }

    @Test
    void refusesBadStd() {
        assertThrows(IllegalArgumentException.class, () -> new Normalization(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Normalization(Float.NaN, 1));
    }
}
