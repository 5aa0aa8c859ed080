package dev.strix.mnist.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgmReaderTest {
    @TempDir
    Path dir;

    private Path file(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private Path text(String name, String content) throws IOException {
        return file(name, content.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] concat(String header, int... data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
        for (int b : data) {
            out.write(b);
        }
        return out.toByteArray();
    }

    @Test
    void readsAsciiP2WithComments() throws IOException {
        GrayImage img = PgmReader.read(text("a.pgm", "P2\n# made by hand\n3 2 # width height\n4\n0 1 2\n3\t4  0\n"));
        assertEquals(3, img.width());
        assertEquals(2, img.height());
        assertArrayEquals(new float[] {0, 0.25f, 0.5f, 0.75f, 1, 0}, img.luminance());
    }

    @Test
    void readsBinaryP5EightBit() throws IOException {
        GrayImage img = PgmReader.read(file("b.pgm", concat("P5 2 2 255\n", 0, 255, 51, 204)));
        assertArrayEquals(new float[] {0, 1, 0.2f, 0.8f}, img.luminance(), 1e-7f);
    }

    @Test
    void readsBinaryP5SixteenBitBigEndian() throws IOException {
        GrayImage img = PgmReader.read(file("c.pgm", concat("P5\n2 1\n1000\n", 0x01, 0xf4, 0x03, 0xe8)));
        assertArrayEquals(new float[] {0.5f, 1f}, img.luminance(), 1e-7f);
    }

    @Test
    void binaryPixelDataThatLooksLikeACommentIsData() throws IOException {
        GrayImage img = PgmReader.read(file("d.pgm", concat("P5 2 1 255 ", '#', '\n')));
        assertArrayEquals(new float[] {'#' / 255f, '\n' / 255f}, img.luminance(), 1e-7f);
    }

    private void assertRefused(Path f, String part) {
        IOException e = assertThrows(IOException.class, () -> PgmReader.read(f));
        assertTrue(e.getMessage().startsWith(f + ": "), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(part), "expected \"" + part + "\" in: " + e.getMessage());
    }

    @Test
    void refusesMalformedFilesNamingTheFileAndTheProblem() throws IOException {
        assertRefused(text("magic.pgm", "P6 1 1 255\n"), "not a PGM file: magic P6, expected P2 or P5");
        assertRefused(text("short.pgm", "P"), "magic (too short)");
        assertRefused(text("nowidth.pgm", "P2\n"), "header width is missing");
        assertRefused(text("badheight.pgm", "P2 3 x 255\n"), "header height is 'x', expected a number");
        assertRefused(text("glued.pgm", "P2 3 2x 255\n"), "header height is '2x'");
        assertRefused(text("zero.pgm", "P2 0 2 255\n"), "image size 0x2 must be positive");
        assertRefused(text("maxzero.pgm", "P2 1 1 0\n0\n"), "maxval 0 outside 1..65535");
        assertRefused(text("maxbig.pgm", "P2 1 1 70000\n0\n"), "maxval 70000 outside 1..65535");
        assertRefused(text("huge.pgm", "P5 100000 100000 255\n"), "pixel data truncated: 100000x100000 needs");
        assertRefused(file("p5short.pgm", concat("P5 3 3 255\n", 1, 2, 3, 4)), "pixel data truncated");
        assertRefused(file("p5wide.pgm", concat("P5 2 1 1000\n", 0, 1, 0)), "pixel data truncated");
        assertRefused(file("p5above.pgm", concat("P5 2 1 100\n", 50, 101)), "pixel 1 has value 101 above maxval 100");
        assertRefused(text("p2few.pgm", "P2 2 2 255\n1 2 3          \n"), "pixel data truncated: expected 4 values, found 3");
        assertRefused(text("p2above.pgm", "P2 2 2 15\n1 2\n3 16\n"), "pixel (1, 1) has value 16 above maxval 15");
        assertRefused(text("p2word.pgm", "P2 2 1 15\n1 abc\n"), "pixel (1, 0) is 'abc', not a number");
    }

    @Test
    void aCompleteP2WithoutTrailingNewlineIsAccepted() throws IOException {
        GrayImage img = PgmReader.read(text("ok.pgm", "P2 3 3 255\n1 2 3 4 5 6 7 8 9"));
        assertEquals(9 / 255f, img.at(2, 2), 1e-7f);
    }
}
