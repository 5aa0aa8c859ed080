package dev.strix.mnist.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Reads PNG, JPEG (and whatever else ImageIO knows) or PGM files as {@link GrayImage}s. */
public final class ImageFiles {
    private ImageFiles() {
    }

    /**
     * Reads {@code file} as grayscale. Colour is converted to luminance (Rec. 601 weights
     * {@code 0.299 R + 0.587 G + 0.114 B}); transparency is composited onto white, so a digit drawn
     * on a transparent background reads as dark ink on paper.
     */
    public static GrayImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such image file");
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(2);
        }
        if (PgmReader.looksLikePgm(head)) {
            return PgmReader.read(file);
        }
        BufferedImage image;
        try {
            image = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + ": cannot decode image: " + e.getMessage(), e);
        }
        if (image == null) {
            throw new IOException(file + ": not a PNG, JPEG or PGM image (format not recognised)");
        }
        return toGray(image);
    }

    /** Luminance of {@code image}, gray rasters read directly (no colour-space round trip). */
    public static GrayImage toGray(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        float[] lum = new float[w * h];
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        if (bands <= 2 && image.getColorModel().getNumColorComponents() == 1) {
            // getRGB would pass gray through a linear-to-sRGB conversion and brighten it; read samples instead.
            float max = (1 << raster.getSampleModel().getSampleSize(0)) - 1;
            float alphaMax = bands == 2 ? (1 << raster.getSampleModel().getSampleSize(1)) - 1 : 1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = raster.getSample(x, y, 0) / max;
                    float a = bands == 2 ? raster.getSample(x, y, 1) / alphaMax : 1f;
                    lum[y * w + x] = v * a + (1 - a);
                }
            }
            return new GrayImage(w, h, lum);
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int argb = image.getRGB(x, y);
                float a = (argb >>> 24) / 255f;
                float v = (0.299f * (argb >> 16 & 0xff) + 0.587f * (argb >> 8 & 0xff) + 0.114f * (argb & 0xff)) / 255f;
                lum[y * w + x] = v * a + (1 - a);
            }
        }
        return new GrayImage(w, h, lum);
    }
}
