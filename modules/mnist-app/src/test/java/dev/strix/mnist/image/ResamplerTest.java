package dev.strix.mnist.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ResamplerTest {
    @Test
    void shrinkingByTwoAveragesBlocks() {
        float[] src = {
            1, 2, 3, 4,
            5, 6, 7, 8,
            9, 10, 11, 12,
            13, 14, 15, 16};
        float[] expected = {
            (1 + 2 + 5 + 6) / 4f, (3 + 4 + 7 + 8) / 4f,
            (9 + 10 + 13 + 14) / 4f, (11 + 12 + 15 + 16) / 4f};
        assertArrayEquals(expected, Resampler.resize(src, 4, 4, 2, 2), 1e-6f);
    }

    @Test
    void shrinkingByAFractionWeighsPartialPixels() {
        // 3 -> 2: footprints [0, 1.5) and [1.5, 3).
        float[] out = Resampler.resize(new float[] {3, 6, 9}, 3, 1, 2, 1);
        assertArrayEquals(new float[] {(3 + 0.5f * 6) / 1.5f, (0.5f * 6 + 9) / 1.5f}, out, 1e-6f);
    }

    @Test
    void shrinkingKeepsTheMeanOfAnyImage() {
        float[] src = new float[37 * 23];
        double sum = 0;
        for (int i = 0; i < src.length; i++) {
            src[i] = (float) Math.sin(i * 0.37) * (i % 7);
            sum += src[i];
        }
        float[] out = Resampler.resize(src, 37, 23, 11, 5);
        double outSum = 0;
        for (float v : out) {
            outSum += v;
        }
        assertEquals(sum / src.length, outSum / out.length, 1e-5);
    }

    @Test
    void enlargingInterpolatesBetweenPixelCentres() {
        // 2 -> 4: output centres map to source positions -0.25, 0.25, 0.75, 1.25, clamped to [0, 1].
        float[] out = Resampler.resize(new float[] {0, 8}, 2, 1, 4, 1);
        assertArrayEquals(new float[] {0, 2, 6, 8}, out, 1e-6f);
    }

    @Test
    void sameSizeCopiesAndConstantsStayConstant() {
        float[] src = {1, 2, 3, 4, 5, 6};
        assertArrayEquals(src, Resampler.resize(src, 3, 2, 3, 2));
        float[] flat = new float[30];
        java.util.Arrays.fill(flat, 0.7f);
        for (float v : Resampler.resize(flat, 6, 5, 13, 2)) {
            assertEquals(0.7f, v, 1e-6f);
        }
    }
}
