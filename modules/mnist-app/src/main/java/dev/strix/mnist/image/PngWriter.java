package dev.strix.mnist.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Encodes 8-bit grayscale images as PNG (signature, IHDR, one zlib IDAT with filter 0 rows, IEND)
 * without AWT, for the report gallery and for saving what the model sees.
 */
public final class PngWriter {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private PngWriter() {
    }

    /** PNG bytes for {@code pixels} (row-major, 0 black, 255 white). */
    public static byte[] gray8(int width, int height, byte[] pixels) {
        if (width <= 0 || height <= 0 || (long) width * height != pixels.length) {
            throw new IllegalArgumentException(width + "x" + height + " image with " + pixels.length + " pixels");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SIGNATURE);
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8) // bit depth
                .put((byte) 0) // colour type: grayscale
                .put((byte) 0) // deflate
                .put((byte) 0) // filter method 0
                .put((byte) 0); // no interlace
        chunk(out, "IHDR", ihdr.array());
        byte[] raw = new byte[height * (width + 1)];
        for (int y = 0; y < height; y++) {
            // Each row starts with its filter type; 0 = none.
            System.arraycopy(pixels, y * width, raw, y * (width + 1) + 1, width);
        }
        chunk(out, "IDAT", deflate(raw));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** PNG bytes for values in {@code [0, 1]} (clamped; 1 white), e.g. a preprocessed digit. */
    public static byte[] gray8(int width, int height, float[] values) {
        return gray8(width, height, toBytes(values));
    }

    /** Writes {@link #gray8(int, int, byte[])} to {@code file}. */
    public static void write(Path file, int width, int height, byte[] pixels) throws IOException {
        Files.write(file, gray8(width, height, pixels));
    }

    /** {@code round(clamp(v, 0, 1) * 255)} for each value. */
    public static byte[] toBytes(float[] values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) Math.round(Math.clamp(values[i], 0f, 1f) * 255f);
        }
        return b;
    }

    private static byte[] deflate(byte[] raw) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
        try {
            d.setInput(raw);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
