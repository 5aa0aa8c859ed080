package dev.strix.mnist.image;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Turns any image of one handwritten digit into what an MNIST model expects, following the
 * recipe that made MNIST itself:
 *
 * <ol>
 *   <li>ink: decide from the border pixels whether the background is light; if so invert, so ink
 *       is bright. Subtract the background level and stretch so the strongest ink is 1;</li>
 *   <li>crop to the bounding box of the ink (pixels above {@link #INK_THRESHOLD});</li>
 *   <li>scale to fit a 20x20 box keeping the aspect ratio (area averaging when shrinking);</li>
 *   <li>paste into a 28x28 field so the centre of mass lands on the centre {@code (14, 14)}
 *       (whole-pixel shift, so within half a pixel).</li>
 * </ol>
 *
 * An image whose ink differs from the background by less than {@link #MIN_CONTRAST} is reported
 * as {@link Preprocessed.Blank} rather than guessed at.
 */
public final class DigitPreprocessor {
    /** Side of the output image. */
    public static final int SIZE = 28;
    /** Side of the box the digit is scaled into. */
    public static final int BOX = 20;
    /** Least difference between ink and background (in [0, 1] luminance) for an image not to be blank. */
    public static final float MIN_CONTRAST = 0.25f;
    /** Stretched ink above this counts towards the bounding box. */
    public static final float INK_THRESHOLD = 0.3f;
    /** Stretched ink below this is background noise and is set to zero. */
    public static final float NOISE_FLOOR = 0.1f;

    /** Reads {@code file} (PNG, JPEG, PGM) and preprocesses it. */
    public Preprocessed process(Path file) throws IOException {
        return process(ImageFiles.read(file));
    }

    public Preprocessed process(GrayImage image) {
        int w = image.width();
        int h = image.height();
        float border = borderMean(image);
        boolean light = border >= 0.5f;
        float[] ink = new float[w * h];
        float peak = 0;
        for (int i = 0; i < ink.length; i++) {
            ink[i] = light ? 1 - image.luminance()[i] : image.luminance()[i];
            peak = Math.max(peak, ink[i]);
        }
        float background = light ? 1 - border : border;
        float contrast = peak - background;
        if (contrast < MIN_CONTRAST) {
            return new Preprocessed.Blank(String.format(java.util.Locale.ROOT,
                    "blank image: the strongest ink differs from the %s background by %.2f (need %.2f)",
                    light ? "light" : "dark", Math.max(0, contrast), MIN_CONTRAST));
        }
        int x0 = w;
        int y0 = h;
        int x1 = -1;
        int y1 = -1;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                float v = Math.clamp((ink[i] - background) / contrast, 0f, 1f);
                ink[i] = v < NOISE_FLOOR ? 0 : v;
                if (ink[i] > INK_THRESHOLD) {
                    x0 = Math.min(x0, x);
                    x1 = Math.max(x1, x);
                    y0 = Math.min(y0, y);
                    y1 = Math.max(y1, y);
                }
            }
        }
        Preprocessed.Box box = new Preprocessed.Box(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
        float[] crop = new float[box.width() * box.height()];
        for (int y = 0; y < box.height(); y++) {
            System.arraycopy(ink, (y0 + y) * w + x0, crop, y * box.width(), box.width());
        }
        double scale = (double) BOX / Math.max(box.width(), box.height());
        int sw = Math.clamp(Math.round(box.width() * scale), 1, BOX);
        int sh = Math.clamp(Math.round(box.height() * scale), 1, BOX);
        float[] scaled = Resampler.resize(crop, box.width(), box.height(), sw, sh);
        return centre(scaled, sw, sh, light, box);
    }

    /** Pastes the scaled digit so its centre of mass sits as close to (14, 14) as whole pixels allow. */
    private static Preprocessed.Digit centre(float[] scaled, int sw, int sh, boolean inverted, Preprocessed.Box box) {
        double mass = 0;
        double mx = 0;
        double my = 0;
        for (int y = 0; y < sh; y++) {
            for (int x = 0; x < sw; x++) {
                float v = scaled[y * sw + x];
                mass += v;
                mx += v * (x + 0.5);
                my += v * (y + 0.5);
            }
        }
        double cx = mx / mass;
        double cy = my / mass;
        int ox = Math.clamp(Math.round(SIZE / 2.0 - cx), 0, SIZE - sw);
        int oy = Math.clamp(Math.round(SIZE / 2.0 - cy), 0, SIZE - sh);
        float[] out = new float[SIZE * SIZE];
        for (int y = 0; y < sh; y++) {
            for (int x = 0; x < sw; x++) {
                out[(oy + y) * SIZE + ox + x] = Math.clamp(scaled[y * sw + x], 0f, 1f);
            }
        }
        return new Preprocessed.Digit(out, inverted, box, sw, sh, ox + cx, oy + cy);
    }

    /** Mean luminance of the outermost rows and columns. */
    private static float borderMean(GrayImage image) {
        int w = image.width();
        int h = image.height();
        double sum = 0;
        int n = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (x == 0 || y == 0 || x == w - 1 || y == h - 1) {
                    sum += image.at(x, y);
                    n++;
                }
            }
        }
        return (float) (sum / n);
    }
}
