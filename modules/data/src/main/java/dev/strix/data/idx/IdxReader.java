package dev.strix.data.idx;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads an IDX file (the format of MNIST and Fashion-MNIST), raw or gzip-compressed; which of the
 * two is decided by the file's first bytes, not its name.
 *
 * <p>Everything that can be checked is checked before the data array is allocated: the magic
 * number (two zero bytes, the element type, the dimension count), every dimension size, and the
 * promised data size against the file: the file length for a raw file; for a gzip file the
 * uncompressed length its trailer records and the most that deflate can expand its bytes to. When
 * those disagree the stream is decompressed once into a small scratch buffer to count what it
 * really holds, so a lying header gets an exact "file has N" message and never a huge allocation.
 *
 * <pre>{@code
 * try (IdxReader r = IdxReader.open(path)) {
 *     IdxHeader h = r.header();      // validated
 *     byte[] pixels = r.readData();  // exactly h.dataBytes() bytes
 * }
 * }</pre>
 */
public final class IdxReader implements AutoCloseable {
    /** The largest data block read: one Java array. Headers that promise more are refused. */
    public static final long MAX_DATA_BYTES = Integer.MAX_VALUE - 64;
    /** Deflate cannot expand input by more than about 1032:1; a header promising more is lying. */
    private static final long MAX_DEFLATE_RATIO = 1032;
    private static final int GZIP_BUFFER = 1 << 16;
    private static final int READ_CHUNK = 1 << 20;

    private final Path file;
    private final String name;
    private final long fileBytes;
    private final IdxHeader header;
    private InputStream in;

    private IdxReader(Path file, String name, long fileBytes, IdxHeader header, InputStream in) {
        this.file = file;
        this.name = name;
        this.fileBytes = fileBytes;
        this.header = header;
        this.in = in;
    }

    /** Opens {@code file} and validates its header and sizes; no data is read yet. */
    public static IdxReader open(Path file) throws IOException {
        String name = file.getFileName().toString();
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "IDX file not found");
        }
        try {
            long size = channel.size();
            byte[] head = new byte[2];
            int got = channel.read(ByteBuffer.wrap(head), 0);
            boolean gzip = FileSignature.isGzip(head, Math.max(got, 0));
            long trailerSize = gzip ? gzipTrailerSize(channel, size) : -1;
            InputStream in = stream(name, channel, gzip);
            IdxHeader header = readHeader(name, in, gzip);
            IdxReader reader = new IdxReader(file, name, size, header, in);
            reader.checkSizes(trailerSize);
            return reader;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Opens an unsigned-byte image file: three dimensions (count, rows, columns). */
    public static IdxReader openImages(Path file) throws IOException {
        return openExpecting(file, 3, "an image file (3 dimensions: count, rows, columns)");
    }

    /** Opens an unsigned-byte label file: one dimension (count). */
    public static IdxReader openLabels(Path file) throws IOException {
        return openExpecting(file, 1, "a label file (1 dimension: count)");
    }

    private static IdxReader openExpecting(Path file, int rank, String what) throws IOException {
        IdxReader r = open(file);
        if (r.header.rank() != rank) {
            r.close();
            String looks = r.header.rank() == 1 ? " (it looks like a label file)"
                    : r.header.rank() == 3 ? " (it looks like an image file)" : "";
            throw new IdxFormatException(r.name, "expected " + what + " but the header has " + r.header.rank()
                    + (r.header.rank() == 1 ? " dimension: " : " dimensions: ") + r.header.describe() + looks);
        }
        return r;
    }

    public IdxHeader header() {
        return header;
    }

    /** Size of the file on disk (compressed size for a gzip file). */
    public long fileBytes() {
        return fileBytes;
    }

    /**
     * Reads the data: {@link IdxHeader#dataBytes()} bytes, row-major. Fails when the file ends
     * early, holds extra bytes, or its gzip stream or CRC is corrupt. Call once.
     */
    public byte[] readData() throws IOException {
        if (in == null) {
            throw new IllegalStateException(name + ": data already read");
        }
        byte[] data = new byte[Math.toIntExact(header.dataBytes())];
        int filled = 0;
        try {
            while (filled < data.length) {
                // Bounded reads: a FileChannel copies a heap read through a temporary direct
                // buffer as large as the request, which the thread then keeps cached.
                int r = in.read(data, filled, Math.min(data.length - filled, READ_CHUNK));
                if (r < 0) {
                    break;
                }
                filled += r;
            }
            if (filled < data.length) {
                throw truncated(filled, "");
            }
            // Reading past the data also makes GZIPInputStream check the CRC-32 in its trailer.
            if (in.read() >= 0) {
                throw new IdxFormatException(name, "has more data than its header describes ("
                        + header.describe() + ", " + header.dataBytes() + " bytes): the header or the file is wrong");
            }
        } catch (EOFException e) {
            throw truncated(filled, " (its gzip stream ends early)");
        } catch (ZipException e) {
            throw corrupt(filled, e);
        } finally {
            close();
        }
        return data;
    }

    @Override
    public void close() throws IOException {
        if (in != null) {
            InputStream s = in;
            in = null;
            s.close();
        }
    }

    // ---------------------------------------------------------------- opening

    private static InputStream stream(String name, FileChannel channel, boolean gzip) throws IOException {
        InputStream raw = Channels.newInputStream(channel.position(0));
        if (!gzip) {
            return raw;
        }
        try {
            return new GZIPInputStream(raw, GZIP_BUFFER);
        } catch (ZipException | EOFException e) {
            throw new IdxFormatException(name, "looks gzip-compressed but its gzip header is corrupt ("
                    + e.getMessage() + "); delete it and download it again", e);
        }
    }

    /** The uncompressed size a gzip trailer records (modulo 2^32), or -1 if the file is too short. */
    private static long gzipTrailerSize(FileChannel channel, long size) throws IOException {
        if (size < 18) {
            return -1;
        }
        ByteBuffer b = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        channel.read(b, size - 4);
        return b.getInt(0) & 0xFFFF_FFFFL;
    }

    private static IdxHeader readHeader(String name, InputStream in, boolean gzip) throws IOException {
        byte[] magic = new byte[4];
        int got = readFully(name, in, magic, gzip);
        if (got < 4 || magic[0] != 0 || magic[1] != 0) {
            if (got > 0 && magic[0] == 0 && (got < 2 || magic[1] == 0)) {
                throw new IdxFormatException(name, "truncated: the file ends after " + got
                        + " bytes, inside the 4-byte magic number");
            }
            byte[] more = new byte[got < 4 ? 0 : 12];
            int moreGot = readFully(name, in, more, gzip);
            byte[] head = Arrays.copyOf(magic, got + moreGot);
            System.arraycopy(more, 0, head, got, moreGot);
            String what = FileSignature.describeForeign(head, head.length);
            throw new IdxFormatException(name, gzip ? "decompresses to data that " + what : what);
        }
        int code = magic[2] & 0xFF;
        IdxElementType type = IdxElementType.ofCode(code);
        if (type == null) {
            throw new IdxFormatException(name, String.format(
                    "magic number %s names element type 0x%02X, which the IDX format does not define",
                    FileSignature.hex(magic, 4), code));
        }
        if (type != IdxElementType.UNSIGNED_BYTE) {
            throw new IdxFormatException(name, String.format(
                    "holds %s elements (type 0x%02X); strix reads IDX files of unsigned bytes (type 0x08),"
                            + " as MNIST and Fashion-MNIST use", type.description(), code));
        }
        int rank = magic[3] & 0xFF;
        if (rank == 0) {
            throw new IdxFormatException(name, "the header says the data has 0 dimensions");
        }
        byte[] sizes = new byte[4 * rank];
        int read = readFully(name, in, sizes, gzip);
        if (read < sizes.length) {
            throw new IdxFormatException(name, "truncated: the file ends inside its header (" + (4 + read)
                    + " of " + (4 + sizes.length) + " bytes for " + rank + " dimensions)");
        }
        ByteBuffer b = ByteBuffer.wrap(sizes);
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            long d = b.getInt() & 0xFFFF_FFFFL;
            if (d > Integer.MAX_VALUE) {
                throw new IdxFormatException(name, "the header claims an absurd size: dimension " + i + " is " + d
                        + "; the header is corrupt");
            }
            dims[i] = (int) d;
        }
        return new IdxHeader(name, type, dims, gzip);
    }

    /** Reads until {@code buf} is full or the stream ends; returns the count read. */
    private static int readFully(String name, InputStream in, byte[] buf, boolean gzip) throws IOException {
        int n = 0;
        try {
            while (n < buf.length) {
                int r = in.read(buf, n, buf.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
        } catch (EOFException e) {
            return n;
        } catch (ZipException e) {
            throw new IdxFormatException(name, "gzip data is corrupt at its very start (" + e.getMessage()
                    + "); delete it and download it again", e);
        }
        return n;
    }

    // ---------------------------------------------------------------- size checks

    private void checkSizes(long trailerSize) throws IOException {
        long data = promisedBytes();
        if (!header.compressed()) {
            long present = fileBytes - header.headerBytes();
            if (present < data) {
                throw truncated(present, "");
            }
            if (present > data) {
                throw new IdxFormatException(name, "has " + (present - data) + " bytes more than its header describes ("
                        + header.describe() + ", " + data + " bytes after a " + header.headerBytes()
                        + "-byte header): the header or the file is wrong");
            }
            return;
        }
        long total = header.headerBytes() + data;
        boolean trailerAgrees = trailerSize == (total & 0xFFFF_FFFFL);
        boolean deflatePossible = total <= fileBytes * MAX_DEFLATE_RATIO + 1024;
        if (trailerAgrees && deflatePossible) {
            return;
        }
        // The header disagrees with the gzip trailer: count what the stream really holds, without
        // keeping it, then either report the difference or (multi-member gzip) read it again.
        long counted = countRemaining();
        if (counted < data) {
            throw truncated(counted, "");
        }
        if (counted > data) {
            throw new IdxFormatException(name, "has more data than its header describes (" + header.describe()
                    + ", " + data + " bytes; the file has " + counted + "): the header or the file is wrong");
        }
        in.close();
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        in = stream(name, channel, true);
        readHeader(name, in, true);
    }

    /** The data size the header promises, refused when absurd (over {@link #MAX_DATA_BYTES}). */
    private long promisedBytes() throws IdxFormatException {
        long n = header.type().byteSize();
        for (int d : header.dims()) {
            if (d == 0) {
                return 0;
            }
        }
        for (int d : header.dims()) {
            if (n > MAX_DATA_BYTES / d) {
                throw new IdxFormatException(name, "the header claims an absurd size: " + header.describe()
                        + " is more than " + MAX_DATA_BYTES + " bytes, the most strix reads from one IDX file;"
                        + " the header is corrupt");
            }
            n *= d;
        }
        return n;
    }

    private long countRemaining() throws IOException {
        byte[] scratch = new byte[GZIP_BUFFER];
        long n = 0;
        try {
            for (int r; (r = in.read(scratch)) >= 0; ) {
                n += r;
            }
        } catch (EOFException e) {
            throw truncated(n, " (its gzip stream ends early)");
        } catch (ZipException e) {
            throw corrupt(n, e);
        }
        return n;
    }

    private IdxFormatException truncated(long present, String why) {
        return new IdxFormatException(name, "truncated: header says " + header.describe() + " (" + header.dataBytes()
                + " bytes), file has " + present + why + "; delete it and download it again");
    }

    private IdxFormatException corrupt(long goodBytes, ZipException e) {
        String what = "Corrupt GZIP trailer".equals(e.getMessage())
                ? "gzip checksum (CRC-32) does not match the data: the file is corrupt"
                : "gzip data is corrupt (" + e.getMessage() + ") after " + goodBytes + " bytes of data";
        return new IdxFormatException(name, what + "; delete it and download it again", e);
    }
}
