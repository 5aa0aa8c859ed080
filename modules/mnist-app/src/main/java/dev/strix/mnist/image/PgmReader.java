package dev.strix.mnist.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads netpbm graymaps: P2 (ASCII) and P5 (binary, 8 or 16 bits per pixel, big-endian), with
 * {@code #} comments in the header. Only the first image of a multi-image P5 file is read.
 * Errors name the file and what is wrong.
 */
public final class PgmReader {
    /** Larger files are refused rather than read into memory. */
    static final long MAX_FILE_BYTES = 256L * 1024 * 1024;

    private final Path file;
    private final byte[] bytes;
    private int pos;

    private PgmReader(Path file, byte[] bytes) {
        this.file = file;
        this.bytes = bytes;
    }

    /** True when {@code head} starts with a P2 or P5 magic number. */
    public static boolean looksLikePgm(byte[] head) {
        return head.length >= 2 && head[0] == 'P' && (head[1] == '2' || head[1] == '5');
    }

    public static GrayImage read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw error(file, "file is " + size + " bytes, larger than the " + MAX_FILE_BYTES + " bytes accepted");
        }
        return new PgmReader(file, Files.readAllBytes(file)).parse();
    }

    private GrayImage parse() throws IOException {
        if (!looksLikePgm(bytes)) {
            String magic = bytes.length >= 2 ? printable(bytes[0]) + printable(bytes[1]) : "(too short)";
            throw error(file, "not a PGM file: magic " + magic + ", expected P2 or P5");
        }
        boolean binary = bytes[1] == '5';
        pos = 2;
        int width = headerNumber("width");
        int height = headerNumber("height");
        int maxValue = headerNumber("maxval");
        if (width <= 0 || height <= 0) {
            throw error(file, "image size " + width + "x" + height + " must be positive");
        }
        if (maxValue <= 0 || maxValue > 65535) {
            throw error(file, "maxval " + maxValue + " outside 1..65535");
        }
        long pixels = (long) width * height;
        // Each pixel needs at least one byte (P5) or two characters (P2), which bounds the allocation by the file size.
        long minimumBytes = binary ? pixels * (maxValue > 255 ? 2 : 1) : pixels * 2 - 1;
        if (pixels > Integer.MAX_VALUE || minimumBytes > bytes.length - pos) {
            throw error(file, "pixel data truncated: " + width + "x" + height + " needs "
                    + (binary ? minimumBytes + " bytes" : pixels + " values (at least " + minimumBytes + " bytes)") + " but only " + (bytes.length - pos)
                    + " bytes follow the header");
        }
        float[] lum = binary ? binaryPixels((int) pixels, maxValue) : asciiPixels(width, (int) pixels, maxValue);
        return new GrayImage(width, height, lum);
    }

    private float[] binaryPixels(int count, int maxValue) throws IOException {
        pos++; // the single whitespace character after maxval
        int width = maxValue > 255 ? 2 : 1;
        if ((long) count * width > bytes.length - pos) {
            throw error(file, "pixel data truncated: needs " + (long) count * width + " bytes, found " + (bytes.length - pos));
        }
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            int v = width == 1 ? bytes[pos + i] & 0xff
                    : (bytes[pos + 2 * i] & 0xff) << 8 | (bytes[pos + 2 * i + 1] & 0xff);
            if (v > maxValue) {
                throw error(file, "pixel " + i + " has value " + v + " above maxval " + maxValue);
            }
            out[i] = (float) v / maxValue;
        }
        return out;
    }

    private float[] asciiPixels(int width, int count, int maxValue) throws IOException {
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            skipSpaceAndComments();
            if (pos >= bytes.length) {
                throw error(file, "pixel data truncated: expected " + count + " values, found " + i);
            }
            int start = pos;
            long v = digits();
            if (pos == start) {
                throw error(file, "pixel (" + i % width + ", " + i / width + ") is '" + token(start) + "', not a number");
            }
            if (v > maxValue) {
                throw error(file, "pixel (" + i % width + ", " + i / width + ") has value " + v + " above maxval " + maxValue);
            }
            out[i] = (float) v / maxValue;
        }
        return out;
    }

    private int headerNumber(String what) throws IOException {
        skipSpaceAndComments();
        int start = pos;
        long v = digits();
        if (pos == start) {
            throw error(file, "header " + what + " is " + (pos >= bytes.length ? "missing" : "'" + token(start) + "'")
                    + ", expected a number");
        }
        if (pos < bytes.length && !isSpace(bytes[pos])) {
            throw error(file, "header " + what + " is '" + token(start) + "', expected a number");
        }
        return (int) Math.min(v, Integer.MAX_VALUE);
    }

    /** Reads decimal digits; saturates instead of overflowing so absurd values are reported as such. */
    private long digits() {
        long v = 0;
        while (pos < bytes.length && bytes[pos] >= '0' && bytes[pos] <= '9') {
            v = Math.min(v * 10 + (bytes[pos] - '0'), 1L << 40);
            pos++;
        }
        return v;
    }

    private void skipSpaceAndComments() {
        while (pos < bytes.length) {
            if (bytes[pos] == '#') {
                while (pos < bytes.length && bytes[pos] != '\n' && bytes[pos] != '\r') {
                    pos++;
                }
            } else if (isSpace(bytes[pos])) {
                pos++;
            } else {
                return;
            }
        }
    }

    private String token(int start) {
        int end = start;
        while (end < bytes.length && end - start < 20 && !isSpace(bytes[end])) {
            end++;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = start; i < end; i++) {
            sb.append(printable(bytes[i]));
        }
        return sb.toString();
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0b || b == 0x0c;
    }

    private static String printable(byte b) {
        return b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
    }

    private static IOException error(Path file, String problem) {
        return new IOException(file + ": " + problem);
    }
}
