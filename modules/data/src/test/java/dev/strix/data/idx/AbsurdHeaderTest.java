package dev.strix.data.idx;

import static dev.strix.data.idx.IdxFixtures.allocatedBytes;
import static dev.strix.data.idx.IdxFixtures.concat;
import static dev.strix.data.idx.IdxFixtures.gzip;
import static dev.strix.data.idx.IdxFixtures.header;
import static dev.strix.data.idx.IdxFixtures.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Headers that claim far more data than the file holds must fail with a clear message and
 * without allocating anything near the claimed size (checked with the thread's allocation counter).
 */
class AbsurdHeaderTest {
    private static final long ALLOCATION_LIMIT = 8L << 20;

    @TempDir
    Path dir;

    private String failureWithoutBigAllocation(Path file) {
        long before = allocatedBytes();
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> {
            try (IdxReader r = IdxReader.open(file)) {
                r.readData();
            }
        });
        long allocated = allocatedBytes() - before;
        assertTrue(allocated < ALLOCATION_LIMIT, "allocated " + allocated + " bytes for " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void sizeOverTheLimitIsRefused() {
        Path f = write(dir, "huge-idx3-ubyte", concat(header(0x08, 1_000_000_000, 28, 28), new byte[100]));
        assertEquals("huge-idx3-ubyte: the header claims an absurd size: 1000000000 images of 28x28 is more than "
                + IdxReader.MAX_DATA_BYTES + " bytes, the most strix reads from one IDX file; the header is corrupt",
                failureWithoutBigAllocation(f));
    }

    @Test
    void dimensionOverTwoToThe31IsRefused() {
        byte[] h = header(0x08, 5, 28, 28);
        ByteBuffer.wrap(h).putInt(4, 0xFFFF_FFFF);
        Path f = write(dir, "neg-idx3-ubyte.gz", gzip(concat(h, new byte[100])));
        assertEquals("neg-idx3-ubyte.gz: the header claims an absurd size: dimension 0 is 4294967295;"
                + " the header is corrupt", failureWithoutBigAllocation(f));
    }

    @Test
    void largeClaimInSmallRawFileIsTruncatedNotAllocated() {
        // 1.5 GB promised, just under the limit; the file holds 100 bytes of data.
        Path f = write(dir, "big-idx3-ubyte", concat(header(0x08, 2_000_000, 28, 28), new byte[100]));
        assertEquals("big-idx3-ubyte: truncated: header says 2000000 images of 28x28 (1568000000 bytes), file has 100;"
                + " delete it and download it again", failureWithoutBigAllocation(f));
    }

    @Test
    void largeClaimInSmallGzipFileIsTruncatedNotAllocated() {
        Path f = write(dir, "big-idx3-ubyte.gz", gzip(concat(header(0x08, 2_000_000, 28, 28), new byte[100])));
        assertEquals("big-idx3-ubyte.gz: truncated: header says 2000000 images of 28x28 (1568000000 bytes), file has 100;"
                + " delete it and download it again", failureWithoutBigAllocation(f));
    }

    @Test
    void forgedGzipTrailerCannotBuyAHugeAllocation() {
        // The trailer's size field agrees with the header, but no deflate stream of this length can
        // expand that far: the reader counts instead of allocating.
        byte[] gz = gzip(concat(header(0x08, 2_000_000, 28, 28), new byte[100]));
        ByteBuffer.wrap(gz).order(ByteOrder.LITTLE_ENDIAN).putInt(gz.length - 4, 16 + 1_568_000_000);
        Path f = write(dir, "forged-idx3-ubyte.gz", gz);
        String m = failureWithoutBigAllocation(f);
        assertTrue(m.startsWith("forged-idx3-ubyte.gz: "), m);
        assertTrue(m.contains("truncated") || m.contains("corrupt"), m);
    }
}
