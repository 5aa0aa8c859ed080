package dev.strix.mnist.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AsciiArtTest {
    @Test
    void drawsShadesTwoCharactersPerPixelInAFrame() {
        String art = AsciiArt.render(new float[] {0, 0.15f, 0.55f, 1, -1, 2}, 3, 2);
        assertEquals("""
                +------+
                |  ..++|
                |@@  @@|
                +------+
                """, art);
    }
}
