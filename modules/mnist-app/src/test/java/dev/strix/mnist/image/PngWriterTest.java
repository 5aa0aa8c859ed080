package dev.strix.mnist.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PngWriterTest {
    @Test
    void imageIoDecodesExactlyThePixelsWritten() throws IOException {
        byte[] pixels = new byte[28 * 28];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 7 % 256);
        }
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(PngWriter.gray8(28, 28, pixels)));
        assertEquals(28, img.getWidth());
        assertEquals(28, img.getHeight());
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, img.getType());
        int[] decoded = img.getRaster().getPixels(0, 0, 28, 28, (int[]) null);
        for (int i = 0; i < pixels.length; i++) {
            assertEquals(pixels[i] & 0xff, decoded[i], "pixel " + i);
        }
    }

    @Test
    void fileStartsWithTheSignatureAndAChecksummedHeader() {
        byte[] png = PngWriter.gray8(3, 2, new byte[6]);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(png, 8));
        ByteBuffer b = ByteBuffer.wrap(png);
        assertEquals(13, b.getInt(8), "IHDR length");
        assertArrayEquals("IHDR".getBytes(), Arrays.copyOfRange(png, 12, 16));
        assertEquals(3, b.getInt(16), "width");
        assertEquals(2, b.getInt(20), "height");
        assertArrayEquals(new byte[] {8, 0, 0, 0, 0}, Arrays.copyOfRange(png, 24, 29), "8-bit gray, deflate, no interlace");
        CRC32 crc = new CRC32();
        crc.update(png, 12, 17);
        assertEquals((int) crc.getValue(), b.getInt(29), "IHDR CRC");
        assertArrayEquals(new byte[] {0, 0, 0, 0, 'I', 'E', 'N', 'D', (byte) 0xae, 0x42, 0x60, (byte) 0x82},
                Arrays.copyOfRange(png, png.length - 12, png.length), "IEND with its fixed CRC");
    }

    @Test
    void floatsAreClampedAndRounded() {
        assertArrayEquals(new byte[] {0, 0, (byte) 128, (byte) 255, (byte) 255, 1},
                PngWriter.toBytes(new float[] {-0.5f, 0f, 0.5f, 1f, 7f, 0.003f}));
    }

    @Test
    void refusesAPixelCountThatDoesNotMatch() {
        assertThrows(IllegalArgumentException.class, () -> PngWriter.gray8(28, 28, new byte[10]));
    }
}
