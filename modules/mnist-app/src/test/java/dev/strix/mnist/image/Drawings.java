package dev.strix.mnist.image;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/** Test digits drawn with Java2D, as a user's scanned or drawn image would be. */
final class Drawings {
    private Drawings() {
    }

    /** A thick vertical "1" on a {@code size x size} canvas. */
    static BufferedImage one(int size, Color ink, Color paper) {
        return draw(size, ink, paper, g -> g.drawLine(size / 2, size * 3 / 20, size / 2, size * 17 / 20));
    }

    /** A thick "7": a top bar and a slanted stroke down to the lower left. */
    static BufferedImage seven(int size, Color ink, Color paper) {
        return draw(size, ink, paper, g -> {
            g.drawLine(size / 4, size / 5, size * 3 / 4, size / 5);
            g.drawLine(size * 3 / 4, size / 5, size * 2 / 5, size * 33 / 40);
        });
    }

    /** A horizontal bar {@code 3 : 1} wide: tests that scaling keeps the aspect ratio. */
    static BufferedImage bar(int width, int height, int x, int y, int w, int h) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.fillRect(x, y, w, h);
        g.dispose();
        return img;
    }

    private static BufferedImage draw(int size, Color ink, Color paper, java.util.function.Consumer<Graphics2D> strokes) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(paper);
        g.fillRect(0, 0, size, size);
        g.setColor(ink);
        g.setStroke(new BasicStroke(size / 10f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        strokes.accept(g);
        g.dispose();
        return img;
    }

    /** Centre of mass of a 28x28 image, pixel centres at {@code i + 0.5}: {x, y}. */
    static double[] centreOfMass(float[] pixels) {
        double m = 0;
        double mx = 0;
        double my = 0;
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                float v = pixels[y * 28 + x];
                m += v;
                mx += v * (x + 0.5);
                my += v * (y + 0.5);
            }
        }
        return new double[] {mx / m, my / m};
    }

    /** Bounding box {x0, y0, x1, y1} (inclusive) of the non-zero pixels of a 28x28 image. */
    static int[] inkBox(float[] pixels) {
        int[] box = {28, 28, -1, -1};
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                if (pixels[y * 28 + x] > 0) {
                    box[0] = Math.min(box[0], x);
                    box[1] = Math.min(box[1], y);
                    box[2] = Math.max(box[2], x);
                    box[3] = Math.max(box[3], y);
                }
            }
        }
        return box;
    }
}
