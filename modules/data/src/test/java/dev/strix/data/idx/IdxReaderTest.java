package dev.strix.data.idx;

import static dev.strix.data.idx.IdxFixtures.concat;
import static dev.strix.data.idx.IdxFixtures.gzip;
import static dev.strix.data.idx.IdxFixtures.header;
import static dev.strix.data.idx.IdxFixtures.idx;
import static dev.strix.data.idx.IdxFixtures.pixels;
import static dev.strix.data.idx.IdxFixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir
    Path dir;

    private static byte[] readAll(Path file) throws IOException {
        try (IdxReader r = IdxReader.open(file)) {
            return r.readData();
        }
    }

    private static String failure(Path file) {
        return assertThrows(IdxFormatException.class, () -> readAll(file)).getMessage();
    }

    @Test
    void readsRawImages() throws IOException {
        byte[] data = pixels(5, 3, 4);
        Path f = write(dir, "images-idx3-ubyte", idx(data, 5, 3, 4));
        try (IdxReader r = IdxReader.openImages(f)) {
            IdxHeader h = r.header();
            assertEquals(IdxElementType.UNSIGNED_BYTE, h.type());
            assertArrayEquals(new int[] {5, 3, 4}, h.dims());
            assertEquals(5, h.count());
            assertFalse(h.compressed());
            assertEquals(60, h.dataBytes());
            assertEquals("5 images of 3x4", h.describe());
            assertArrayEquals(data, r.readData());
        }
    }

    @Test
    void readsGzipImagesAndLabels() throws IOException {
        byte[] data = pixels(6, 28, 28);
        Path f = write(dir, "images-idx3-ubyte.gz", gzip(idx(data, 6, 28, 28)));
        try (IdxReader r = IdxReader.openImages(f)) {
            assertTrue(r.header().compressed());
            assertArrayEquals(data, r.readData());
        }
        byte[] labels = {3, 1, 4, 1, 5, 9};
        Path l = write(dir, "labels-idx1-ubyte.gz", gzip(idx(labels, 6)));
        try (IdxReader r = IdxReader.openLabels(l)) {
            assertEquals("6 labels", r.header().describe());
            assertArrayEquals(labels, r.readData());
        }
    }

    @Test
    void compressionIsDecidedByContentNotName() throws IOException {
        byte[] data = pixels(2, 2, 2);
        Path gzipNamedRaw = write(dir, "a-idx3-ubyte", gzip(idx(data, 2, 2, 2)));
        Path rawNamedGz = write(dir, "b-idx3-ubyte.gz", idx(data, 2, 2, 2));
        assertArrayEquals(data, readAll(gzipNamedRaw));
        assertArrayEquals(data, readAll(rawNamedGz));
    }

    @Test
    void emptyDimensionsGiveEmptyData() throws IOException {
        Path f = write(dir, "none-idx3-ubyte", idx(new byte[0], 0, 28, 28));
        assertArrayEquals(new byte[0], readAll(f));
    }

    @Test
    void wrongMagicNumber() {
        Path f = write(dir, "x-idx3-ubyte", concat(new byte[] {0x12, 0x34, 0x56, 0x78}, new byte[20]));
        assertEquals("x-idx3-ubyte: has the wrong magic number 12 34 56 78: an IDX file starts with 00 00,"
                + " an element-type byte (08 for unsigned bytes) and the number of dimensions", failure(f));
    }

    @Test
    void wrongMagicInsideGzip() {
        Path f = write(dir, "x-idx3-ubyte.gz", gzip(concat(new byte[] {1, 2, 3, 4}, new byte[40])));
        assertTrue(failure(f).startsWith("x-idx3-ubyte.gz: decompresses to data that has the wrong magic number 01 02 03 04"));
    }

    @Test
    void htmlErrorPageIsRecognised() {
        Path f = write(dir, "t10k-images-idx3-ubyte.gz",
                "<!DOCTYPE html><html><body>404 Not Found</body></html>".getBytes(StandardCharsets.US_ASCII));
        assertEquals("t10k-images-idx3-ubyte.gz: is an HTML or XML page, not an IDX file"
                + " (a server probably answered with an error page)", failure(f));
    }

    @Test
    void emptyFile() {
        Path f = write(dir, "empty-idx1-ubyte", new byte[0]);
        assertEquals("empty-idx1-ubyte: is empty", failure(f));
    }

    @Test
    void otherElementTypesAreRefusedByName() {
        Path f = write(dir, "floats-idx2", concat(header(0x0D, 2, 2), new byte[16]));
        assertEquals("floats-idx2: holds 32-bit float elements (type 0x0D); strix reads IDX files of unsigned"
                + " bytes (type 0x08), as MNIST and Fashion-MNIST use", failure(f));
        Path g = write(dir, "odd-idx1", concat(header(0x07, 4), new byte[4]));
        assertEquals("odd-idx1: magic number 00 00 07 01 names element type 0x07, which the IDX format does not define",
                failure(g));
    }

    @Test
    void zeroDimensions() {
        Path f = write(dir, "flat", header(0x08));
        assertEquals("flat: the header says the data has 0 dimensions", failure(f));
    }

    @Test
    void truncatedRawFile() {
        byte[] full = idx(pixels(10, 4, 4), 10, 4, 4);
        Path f = write(dir, "t10k-images-idx3-ubyte", Arrays.copyOf(full, 16 + 100));
        assertEquals("t10k-images-idx3-ubyte: truncated: header says 10 images of 4x4 (160 bytes), file has 100;"
                + " delete it and download it again", failure(f));
    }

    @Test
    void truncatedInsideHeader() {
        Path f = write(dir, "short-idx3-ubyte", Arrays.copyOf(header(0x08, 10, 28, 28), 9));
        assertEquals("short-idx3-ubyte: truncated: the file ends inside its header (9 of 16 bytes for 3 dimensions)",
                failure(f));
        Path g = write(dir, "tiny-idx3-ubyte", new byte[] {0, 0});
        assertEquals("tiny-idx3-ubyte: truncated: the file ends after 2 bytes, inside the 4-byte magic number",
                failure(g));
    }

    @Test
    void truncatedGzipFileCountsWhatItHolds() {
        // Incompressible pixels so the cut falls inside the image data, not the header.
        byte[] data = new byte[10 * 28 * 28];
        new java.util.Random(1).nextBytes(data);
        byte[] gz = gzip(idx(data, 10, 28, 28));
        Path f = write(dir, "t10k-images-idx3-ubyte.gz", Arrays.copyOf(gz, gz.length / 2));
        String m = failure(f);
        String prefix = "t10k-images-idx3-ubyte.gz: truncated: header says 10 images of 28x28 (7840 bytes), file has ";
        assertTrue(m.startsWith(prefix), m);
        long has = Long.parseLong(m.substring(prefix.length()).split(" ")[0]);
        assertTrue(has > 0 && has < 7840, m);
        assertTrue(m.endsWith("(its gzip stream ends early); delete it and download it again"), m);
    }

    @Test
    void gzipWithCorruptChecksumTrailer() {
        byte[] gz = gzip(idx(pixels(10, 4, 4), 10, 4, 4));
        gz[gz.length - 8] ^= 0x5A; // first byte of the CRC-32
        Path f = write(dir, "train-images-idx3-ubyte.gz", gz);
        assertEquals("train-images-idx3-ubyte.gz: gzip checksum (CRC-32) does not match the data: the file is corrupt;"
                + " delete it and download it again", failure(f));
    }

    @Test
    void gzipWithCorruptDeflateData() {
        byte[] data = new byte[10 * 28 * 28];
        new java.util.Random(2).nextBytes(data);
        byte[] gz = gzip(idx(data, 10, 28, 28));
        for (int i = gz.length / 3; i < gz.length / 3 + 64; i++) {
            gz[i] = (byte) 0xFF;
        }
        Path f = write(dir, "train-images-idx3-ubyte.gz", gz);
        String m = failure(f);
        assertTrue(m.startsWith("train-images-idx3-ubyte.gz: "), m);
        assertTrue(m.contains("corrupt"), m);
        assertTrue(m.endsWith("delete it and download it again"), m);
    }

    @Test
    void gzipWithCorruptHuffmanTables() {
        byte[] gz = gzip(idx(pixels(40, 28, 28), 40, 28, 28));
        for (int i = 20; i < 30; i++) {
            gz[i] = (byte) 0xFF;
        }
        Path f = write(dir, "train-images-idx3-ubyte.gz", gz);
        String m = failure(f);
        assertTrue(m.startsWith("train-images-idx3-ubyte.gz: gzip data is corrupt"), m);
        assertTrue(m.endsWith("; delete it and download it again"), m);
    }

    @Test
    void corruptGzipHeader() {
        byte[] gz = gzip(idx(pixels(1, 2, 2), 1, 2, 2));
        gz[2] = 9; // compression method: only 8 (deflate) exists
        Path f = write(dir, "bad-idx3-ubyte.gz", gz);
        assertTrue(failure(f).startsWith("bad-idx3-ubyte.gz: looks gzip-compressed but its gzip header is corrupt ("));
    }

    @Test
    void extraBytesAfterTheData() {
        Path f = write(dir, "long-idx1-ubyte", concat(idx(new byte[] {1, 2, 3}, 3), new byte[] {4, 5}));
        assertEquals("long-idx1-ubyte: has 2 bytes more than its header describes (3 labels, 3 bytes after a 8-byte"
                + " header): the header or the file is wrong", failure(f));
        Path g = write(dir, "long-idx1-ubyte.gz", gzip(concat(idx(new byte[] {1, 2, 3}, 3), new byte[] {4, 5})));
        assertEquals("long-idx1-ubyte.gz: has more data than its header describes (3 labels, 3 bytes; the file has 5):"
                + " the header or the file is wrong", failure(g));
    }

    @Test
    void rankIsCheckedForImagesAndLabels() {
        Path labels = write(dir, "train-labels-idx1-ubyte", idx(new byte[] {1, 2}, 2));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.openImages(labels));
        assertEquals("train-labels-idx1-ubyte: expected an image file (3 dimensions: count, rows, columns) but the"
                + " header has 1 dimension: 2 labels (it looks like a label file)", e.getMessage());
        Path images = write(dir, "train-images-idx3-ubyte", idx(pixels(1, 2, 2), 1, 2, 2));
        e = assertThrows(IdxFormatException.class, () -> IdxReader.openLabels(images));
        assertEquals("train-images-idx3-ubyte: expected a label file (1 dimension: count) but the header has"
                + " 3 dimensions: 1 images of 2x2 (it looks like an image file)", e.getMessage());
    }

    @Test
    void missingFile() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> IdxReader.open(dir.resolve("nope")));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("IDX file not found"), e.getMessage());
    }

    @Test
    void dataCanBeReadOnlyOnce() throws IOException {
        Path f = write(dir, "l", idx(new byte[] {1}, 1));
        try (IdxReader r = IdxReader.open(f)) {
            r.readData();
            assertThrows(IllegalStateException.class, r::readData);
        }
    }
}
