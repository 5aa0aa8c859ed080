package dev.strix.layers.checkpoint;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a safetensors file: {@link #open} reads and checks the header (nothing else is read and no
 * allocation depends on untrusted sizes before the checks pass), then {@link #readAll} creates
 * tensors on a backend or {@link #loadInto} fills existing tensors after checking that names,
 * shapes and dtypes match exactly.
 *
 * <p>I64 entries become int32 tensors (see {@link SafeTensorsDType}); a value outside the int range
 * is an error.
 */
public final class SafeTensorsReader implements AutoCloseable {
    /** Headers longer than this are refused: real ones are kilobytes, and the length is untrusted. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final FileChannel channel;
    private final SafeTensorsHeader header;
    private final long dataStart;

    private SafeTensorsReader(Path file, FileChannel channel, SafeTensorsHeader header, long dataStart) {
        this.file = file;
        this.channel = channel;
        this.header = header;
        this.dataStart = dataStart;
    }

    /** Opens {@code file} and checks its header; fails with a {@link CheckpointException} naming the problem. */
    public static SafeTensorsReader open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointException(file, "file is " + size + " bytes, too short for the 8-byte header length"
                        + " (truncated or not a safetensors file)");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(file, ch, lengthBytes, 0);
            long n = lengthBytes.flip().getLong();
            if (n < 0 || n > MAX_HEADER_BYTES) {
                throw new CheckpointException(file, "header length " + Long.toUnsignedString(n) + " is absurd (limit "
                        + MAX_HEADER_BYTES + " bytes); not a safetensors file?");
            }
            if (n > size - 8) {
                throw new CheckpointException(file, "header length " + n + " exceeds the " + (size - 8)
                        + " bytes after it (truncated or not a safetensors file)");
            }
            ByteBuffer json = ByteBuffer.allocate((int) n);
            readFully(file, ch, json, 8);
            SafeTensorsHeader header = SafeTensorsHeader.parse(file, json.array(), size - 8 - n);
            return new SafeTensorsReader(file, ch, header, 8 + n);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Reads every tensor of {@code file} onto {@code backend}; the caller owns (and closes) them. */
    public static Map<String, Tensor> read(Path file, Backend backend) throws IOException {
        try (SafeTensorsReader r = open(file)) {
            return r.readAll(backend);
        }
    }

    /** Fills {@code targets} from {@code file}; see {@link #loadInto}. */
    public static void load(Path file, Map<String, Tensor> targets) throws IOException {
        try (SafeTensorsReader r = open(file)) {
            r.loadInto(targets);
        }
    }

    public Path file() {
        return file;
    }

    public SafeTensorsHeader header() {
        return header;
    }

    /** The file's {@code __metadata__}. */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** Every tensor, in header order, as new contiguous tensors on {@code backend}. */
    public Map<String, Tensor> readAll(Backend backend) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            Buffers buffers = new Buffers(arena, header.entries());
            for (SafeTensorsEntry e : header.entries()) {
                Tensor t = backend.allocate(e.dtype().memoryType(), e.shape());
                out.put(e.name(), t);
                fill(e, t, buffers);
            }
        } catch (IOException | RuntimeException failure) {
            out.values().forEach(Tensor::close);
            throw failure;
        }
        return out;
    }

    /**
     * Copies each tensor of the file into the tensor of the same name in {@code targets} (any
     * strides, any backend). The names must match exactly, and each pair must agree in shape and
     * in-memory dtype; otherwise nothing is written and the error lists every missing, unexpected
     * and mismatched tensor with both shapes.
     */
    public void loadInto(Map<String, Tensor> targets) throws IOException {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Tensor> t : targets.entrySet()) {
            SafeTensorsEntry e = header.byName().get(t.getKey());
            Tensor target = t.getValue();
            if (e == null) {
                problems.add("missing tensor '" + t.getKey() + "' (expected " + target.dtype() + target.shape() + ")");
            } else if (!e.shape().equals(target.shape())) {
                problems.add("tensor '" + e.name() + "' has shape " + e.shape() + " in the file but " + target.shape()
                        + " in memory");
            } else if (e.dtype().memoryType() != target.dtype()) {
                problems.add("tensor '" + e.name() + "' has dtype " + e.dtype() + " in the file (read as "
                        + e.dtype().memoryType() + ") but " + target.dtype() + " in memory, shape " + e.shape());
            }
        }
        for (SafeTensorsEntry e : header.entries()) {
            if (!targets.containsKey(e.name())) {
                problems.add("unexpected tensor '" + e.name() + "' " + e.dtype() + e.shape() + " (nothing of that name to load into)");
            }
        }
        if (!problems.isEmpty()) {
            throw new CheckpointException(file, "checkpoint does not match: " + String.join("; ", problems));
        }
        try (Arena arena = Arena.ofConfined()) {
            Buffers buffers = new Buffers(arena, header.entries());
            for (SafeTensorsEntry e : header.entries()) {
                fill(e, targets.get(e.name()), buffers);
            }
        }
    }

    /** Host buffers for the largest entry: its bytes as stored, and as native in-memory elements. */
    private record Buffers(MemorySegment fileBytes, MemorySegment elements) {
        Buffers(Arena arena, List<SafeTensorsEntry> entries) {
            this(arena.allocate(largest(entries), 64), arena.allocate(largest(entries), 64));
        }

        private static long largest(List<SafeTensorsEntry> entries) {
            long max = 1;
            for (SafeTensorsEntry e : entries) {
                max = Math.max(max, e.byteLength());
            }
            return max;
        }
    }

    private void fill(SafeTensorsEntry e, Tensor target, Buffers buffers) throws IOException {
        long n = e.shape().size();
        if (n == 0) {
            return;
        }
        MemorySegment raw = buffers.fileBytes().asSlice(0, e.byteLength());
        readFully(file, channel, raw, dataStart + e.begin());
        MemorySegment elements = buffers.elements();
        switch (e.dtype()) {
            case F32 -> MemorySegment.copy(raw, FLOAT_LE, 0, elements, ValueLayout.JAVA_FLOAT, 0, n);
            case I32 -> MemorySegment.copy(raw, INT_LE, 0, elements, ValueLayout.JAVA_INT, 0, n);
            case U8 -> MemorySegment.copy(raw, 0, elements, 0, n);
            case I64 -> {
                for (long i = 0; i < n; i++) {
                    long v = raw.get(LONG_LE, i * 8);
                    if (v != (int) v) {
                        throw new CheckpointException(file, "tensor '" + e.name() + "' holds I64 value " + v + " at element "
                                + i + ", outside the int32 range it is read into");
                    }
                    elements.setAtIndex(ValueLayout.JAVA_INT, i, (int) v);
                }
            }
        }
        Backend backend = target.backend();
        if (target.isContiguous()) {
            backend.copyFromHost(elements, target);
            return;
        }
        try (Tensor tmp = backend.allocate(target.dtype(), target.shape())) {
            backend.copyFromHost(elements, tmp);
            backend.copy(tmp, target);
        }
    }

    private static void readFully(Path file, FileChannel ch, MemorySegment into, long position) throws IOException {
        // ByteBuffers address at most 2 GiB, so large tensors are read in slices.
        long chunk = 1L << 30;
        for (long done = 0; done < into.byteSize(); done += chunk) {
            readFully(file, ch, into.asSlice(done, Math.min(chunk, into.byteSize() - done)).asByteBuffer(), position + done);
        }
    }

    private static void readFully(Path file, FileChannel ch, ByteBuffer into, long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int read = ch.read(into, at);
            if (read < 0) {
                throw new CheckpointException(file, "unexpected end of file at byte " + at + " (file truncated while reading?)");
            }
            at += read;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
