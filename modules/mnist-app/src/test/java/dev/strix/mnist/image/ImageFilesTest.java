package dev.strix.mnist.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFilesTest {
    @TempDir
    Path dir;

    @Test
    void grayPngValuesAreReadWithoutGammaChanges() throws IOException {
        byte[] pixels = {0, 64, (byte) 128, (byte) 255};
        Path f = Files.write(dir.resolve("g.png"), PngWriter.gray8(2, 2, pixels));
        GrayImage img = ImageFiles.read(f);
        assertArrayEquals(new float[] {0, 64 / 255f, 128 / 255f, 1}, img.luminance(), 1e-6f);
    }

    @Test
    void colourIsConvertedToLuminance() throws IOException {
        BufferedImage rgb = new BufferedImage(3, 1, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(0, 0, 0xff0000);
        rgb.setRGB(1, 0, 0x00ff00);
        rgb.setRGB(2, 0, 0x0000ff);
        Path f = dir.resolve("rgb.png");
        ImageIO.write(rgb, "png", f.toFile());
        assertArrayEquals(new float[] {0.299f, 0.587f, 0.114f}, ImageFiles.read(f).luminance(), 1e-6f);
    }

    @Test
    void transparencyIsCompositedOntoWhite() throws IOException {
        BufferedImage argb = new BufferedImage(3, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x00000000); // fully transparent: paper
        argb.setRGB(1, 0, 0xff000000); // opaque black ink
        argb.setRGB(2, 0, 0x80000000); // half-transparent black
        Path f = dir.resolve("argb.png");
        ImageIO.write(argb, "png", f.toFile());
        assertArrayEquals(new float[] {1, 0, 1 - 128 / 255f}, ImageFiles.read(f).luminance(), 1e-6f);
    }

    @Test
    void jpegIsRead() throws IOException {
        BufferedImage gray = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(8, 8, 0, 200);
        Path f = dir.resolve("x.jpg");
        ImageIO.write(gray, "jpeg", f.toFile());
        GrayImage img = ImageFiles.read(f);
        assertEquals(16, img.width());
        assertTrue(img.at(8, 8) > img.at(0, 0), "the bright pixel survives compression");
    }

    @Test
    void unknownFormatsAndMissingFilesAreClearErrors() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.txt"), "hello");
        IOException e = assertThrows(IOException.class, () -> ImageFiles.read(text));
        assertEquals(text + ": not a PNG, JPEG or PGM image (format not recognised)", e.getMessage());
        Path missing = dir.resolve("missing.png");
        NoSuchFileException n = assertThrows(NoSuchFileException.class, () -> ImageFiles.read(missing));
        assertTrue(n.getMessage().contains(missing.toString()), n.getMessage());
    }
}
