package dev.strix.data.idx;

import java.nio.charset.StandardCharsets;

/**
 * Recognises what a file that is not IDX probably is, from its first bytes, so the error can say
 * "an HTML page" (a mirror that answered with an error page) instead of only "wrong magic".
 */
final class FileSignature {
    private FileSignature() {
    }

    static boolean isGzip(byte[] head, int length) {
        return length >= 2 && (head[0] & 0xFF) == 0x1F && (head[1] & 0xFF) == 0x8B;
    }

    /** A phrase for a file whose first {@code length} bytes are {@code head} and that is not IDX. */
    static String describeForeign(byte[] head, int length) {
        if (length == 0) {
            return "is empty";
        }
        String text = new String(head, 0, length, StandardCharsets.ISO_8859_1).stripLeading();
        if (text.startsWith("<")) {
            return "is an HTML or XML page, not an IDX file (a server probably answered with an error page)";
        }
        if (text.startsWith("PK\u0003\u0004")) {
            return "is a ZIP archive, not an IDX file; unpack it first";
        }
        if (text.startsWith("BZh")) {
            return "is bzip2-compressed; strix reads raw or gzip-compressed IDX files";
        }
        if (length >= 6 && (head[0] & 0xFF) == 0xFD && text.startsWith("7zXZ", 1)) {
            return "is xz-compressed; strix reads raw or gzip-compressed IDX files";
        }
        if (isPrintable(head, length)) {
            return "is a text file starting with \"" + text.strip() + "\", not an IDX file";
        }
        return "has the wrong magic number " + hex(head, Math.min(4, length))
                + ": an IDX file starts with 00 00, an element-type byte (08 for unsigned bytes)"
                + " and the number of dimensions";
    }

    private static boolean isPrintable(byte[] head, int length) {
        for (int i = 0; i < length; i++) {
            int b = head[i] & 0xFF;
            if (b < 0x20 && b != '\n' && b != '\r' && b != '\t' || b > 0x7E) {
                return false;
            }
        }
        return true;
    }

    static String hex(byte[] bytes, int length) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            if (i > 0) {
                s.append(' ');
            }
            s.append(String.format("%02X", bytes[i] & 0xFF));
        }
        return s.toString();
    }
}
