package dev.strix.data.download;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * An expected digest of a file: the algorithm ("SHA-256", or "MD5" where no SHA-256 is published)
 * and the value in hexadecimal.
 */
public record Checksum(String algorithm, String hex) {
    public Checksum {
        hex = hex.toLowerCase(Locale.ROOT);
        int expectedLength = 2 * newDigest(algorithm).getDigestLength();
        if (hex.length() != expectedLength || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException(algorithm + " checksum must be " + expectedLength
                    + " hexadecimal digits, got \"" + hex + "\"");
        }
    }

    public static Checksum sha256(String hex) {
        return new Checksum("SHA-256", hex);
    }

    public static Checksum md5(String hex) {
        return new Checksum("MD5", hex);
    }

    /** A fresh digest for this algorithm. */
    public MessageDigest newDigest() {
        return newDigest(algorithm);
    }

    private static MessageDigest newDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("unknown digest algorithm " + algorithm, e);
        }
    }

    /** The same algorithm's digest of {@code file}, in hexadecimal. */
    public String compute(Path file) throws IOException {
        MessageDigest digest = newDigest();
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int r; (r = in.read(buffer)) >= 0; ) {
                digest.update(buffer, 0, r);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** True when {@code digest} (raw bytes) is this checksum. */
    public boolean matches(byte[] digest) {
        return HexFormat.of().formatHex(digest).equals(hex);
    }

    /** True when {@code file}'s digest is this checksum. */
    public boolean matches(Path file) throws IOException {
        return compute(file).equals(hex);
    }

    @Override
    public String toString() {
        return algorithm + " " + hex;
    }
}
