package dev.strix.mnist.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DigitPreprocessorTest {
    private final DigitPreprocessor preprocessor = new DigitPreprocessor();
    @TempDir
    Path dir;

    private Preprocessed.Digit digit(GrayImage image) {
        return assertInstanceOf(Preprocessed.Digit.class, preprocessor.process(image));
    }

    private static void assertCentredAndFitted(Preprocessed.Digit d) {
        double[] c = Drawings.centreOfMass(d.pixels());
        assertEquals(14, c[0], 0.5 + 1e-9, "centre of mass x");
        assertEquals(14, c[1], 0.5 + 1e-9, "centre of mass y");
        assertEquals(c[0], d.centreX(), 1e-4, "reported centre x");
        assertEquals(c[1], d.centreY(), 1e-4, "reported centre y");
        int[] box = Drawings.inkBox(d.pixels());
        assertTrue(box[2] - box[0] + 1 <= 20 && box[3] - box[1] + 1 <= 20, "ink fits 20x20");
        assertEquals(20, Math.max(box[2] - box[0] + 1, box[3] - box[1] + 1), "the longer side is scaled to 20");
        for (float v : d.pixels()) {
            assertTrue(v >= 0 && v <= 1, "pixel in [0, 1]: " + v);
        }
    }

    @Test
    void aBlackOnWhiteOneEndsUpCentredAndUpright() {
        Preprocessed.Digit d = digit(ImageFiles.toGray(Drawings.one(200, Color.BLACK, Color.WHITE)));
        assertTrue(d.inverted(), "light background is inverted");
        assertCentredAndFitted(d);
        int[] box = Drawings.inkBox(d.pixels());
        assertEquals(20, box[3] - box[1] + 1, "a 1 is tall: 20 rows");
        assertTrue(box[2] - box[0] + 1 <= 5, "and narrow: " + (box[2] - box[0] + 1) + " columns");
        assertEquals(1f, d.pixels()[14 * 28 + 14], 0.05f, "full ink on the stroke");
        assertEquals(0f, d.pixels()[14 * 28 + 5], "background left of the stroke");
        assertEquals(0f, d.pixels()[2 * 28 + 14], "background above it");
    }

    @Test
    void aBlackOnWhiteSevenHasItsBarOnTopAndItsFootLowerLeft() {
        Preprocessed.Digit d = digit(ImageFiles.toGray(Drawings.seven(200, Color.BLACK, Color.WHITE)));
        assertCentredAndFitted(d);
        int[] box = Drawings.inkBox(d.pixels());
        int top = box[1] + 1;
        int inkInTopRow = 0;
        for (int x = 0; x < 28; x++) {
            inkInTopRow += d.pixels()[top * 28 + x] > 0.5f ? 1 : 0;
        }
        assertTrue(inkInTopRow >= 12, "the bar spans the top: " + inkInTopRow + " strong pixels");
        int bottom = box[3] - 1;
        double footX = 0;
        double footMass = 0;
        for (int x = 0; x < 28; x++) {
            footX += d.pixels()[bottom * 28 + x] * (x + 0.5);
            footMass += d.pixels()[bottom * 28 + x];
        }
        assertTrue(footX / footMass < 14, "the foot is left of centre: " + footX / footMass);
    }

    @Test
    void inversionWorksBothWays() {
        Preprocessed.Digit dark = digit(ImageFiles.toGray(Drawings.seven(160, Color.BLACK, Color.WHITE)));
        Preprocessed.Digit light = digit(ImageFiles.toGray(Drawings.seven(160, Color.WHITE, Color.BLACK)));
        assertTrue(dark.inverted());
        assertFalse(light.inverted());
        for (int i = 0; i < 784; i++) {
            assertEquals(dark.pixels()[i], light.pixels()[i], 1e-5f, "pixel " + i);
        }
    }

    @Test
    void greyPaperAndGreyInkAreStretchedToFullContrast() {
        Preprocessed.Digit d = digit(ImageFiles.toGray(Drawings.one(100, new Color(80, 80, 80), new Color(200, 200, 200))));
        assertTrue(d.inverted());
        float max = 0;
        for (float v : d.pixels()) {
            max = Math.max(max, v);
        }
        assertEquals(1f, max, 1e-4f);
        assertEquals(0f, d.pixels()[0]);
    }

    @Test
    void scalingKeepsTheAspectRatio() {
        // A 120x40 black bar: 3:1, so it becomes 20x7 (40 * 20/120 = 6.67, rounded).
        Preprocessed.Digit d = digit(ImageFiles.toGray(Drawings.bar(300, 200, 90, 80, 120, 40)));
        assertEquals(new Preprocessed.Box(90, 80, 120, 40), d.inkBox());
        assertEquals(20, d.scaledWidth());
        assertEquals(7, d.scaledHeight());
        int[] box = Drawings.inkBox(d.pixels());
        assertEquals(20, box[2] - box[0] + 1);
        assertEquals(7, box[3] - box[1] + 1);
        assertEquals(4, box[0], "centred: (28 - 20) / 2");
        assertEquals(11, box[1], "centred: round(14 - 3.5)");
    }

    @Test
    void aTinyDigitIsEnlargedToTheBox() {
        Preprocessed.Digit d = digit(ImageFiles.toGray(Drawings.bar(40, 40, 18, 10, 5, 10)));
        assertEquals(10, d.scaledWidth());
        assertEquals(20, d.scaledHeight());
        assertCentredAndFitted(d);
    }

    @Test
    void blankImagesAreReportedNotGuessed() {
        float[] white = new float[50 * 50];
        java.util.Arrays.fill(white, 1f);
        assertInstanceOf(Preprocessed.Blank.class, preprocessor.process(new GrayImage(50, 50, white)));
        assertInstanceOf(Preprocessed.Blank.class, preprocessor.process(new GrayImage(50, 50, new float[2500])));
        float[] noise = new float[50 * 50];
        Random r = new Random(1);
        for (int i = 0; i < noise.length; i++) {
            noise[i] = 0.85f + 0.15f * r.nextFloat(); // paper texture, no ink
        }
        Preprocessed.Blank b = assertInstanceOf(Preprocessed.Blank.class, preprocessor.process(new GrayImage(50, 50, noise)));
        assertTrue(b.reason().startsWith("blank image: the strongest ink differs from the light background by 0."), b.reason());
    }

    @Test
    void readsFilesEndToEndPngAndPgm() throws IOException {
        Path png = dir.resolve("seven.png");
        ImageIO.write(Drawings.seven(120, Color.BLACK, Color.WHITE), "png", png.toFile());
        Preprocessed.Digit fromPng = assertInstanceOf(Preprocessed.Digit.class, preprocessor.process(png));

        GrayImage gray = ImageFiles.read(png);
        StringBuilder pgm = new StringBuilder("P2\n# the same seven\n120 120\n255\n");
        for (float v : gray.luminance()) {
            pgm.append(Math.round(v * 255)).append('\n');
        }
        Path p2 = Files.writeString(dir.resolve("seven.pgm"), pgm);
        Preprocessed.Digit fromPgm = assertInstanceOf(Preprocessed.Digit.class, preprocessor.process(p2));
        for (int i = 0; i < 784; i++) {
            assertEquals(fromPng.pixels()[i], fromPgm.pixels()[i], 1e-5f, "pixel " + i);
        }
    }
}
