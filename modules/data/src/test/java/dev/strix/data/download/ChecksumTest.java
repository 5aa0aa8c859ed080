package dev.strix.data.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChecksumTest {
    @TempDir
    Path dir;

    @Test
    void computesKnownDigests() throws IOException {
        Path f = Files.writeString(dir.resolve("abc"), "abc");
        // FIPS 180-2 and RFC 1321 test vectors for "abc".
        Checksum sha = Checksum.sha256("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", sha.hex());
        assertTrue(sha.matches(f));
        assertTrue(Checksum.md5("900150983cd24fb0d6963f7d28e17f72").matches(f));
        Files.writeString(f, "abd");
        assertFalse(sha.matches(f));
    }

    @Test
    void refusesMalformedValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checksum.sha256("abc"));
        assertEquals("SHA-256 checksum must be 64 hexadecimal digits, got \"abc\"", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Checksum.md5("zz0150983cd24fb0d6963f7d28e17f72"));
        assertThrows(IllegalArgumentException.class, () -> new Checksum("NOPE-1", "00"));
    }

    @Test
    void remoteFileNamesArePlain() {
        Checksum c = Checksum.md5("900150983cd24fb0d6963f7d28e17f72");
        assertThrows(IllegalArgumentException.class, () -> new RemoteFile("../evil", c, 1));
        assertThrows(IllegalArgumentException.class, () -> new RemoteFile("a/b", c, 1));
        assertThrows(IllegalArgumentException.class, () -> new RemoteFile("", c, 1));
    }
}
