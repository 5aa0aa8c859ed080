package dev.strix.layers.checkpoint;

import dev.strix.tensor.DType;
import dev.strix.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * Writes tensors to a safetensors file (layout in {@link SafeTensorsHeader}), atomically: the bytes
 * go to a temporary file in the target's directory, are forced to disk, and the temporary file is
 * then renamed over the target with {@link StandardCopyOption#ATOMIC_MOVE}. A reader therefore sees
 * the old file or the complete new one, never a half-written one; on failure the temporary file is
 * deleted and the target is left as it was.
 *
 * <p>Tensors are written in the map's iteration order, each contiguous and little-endian whatever
 * its strides or backend. Instances are immutable and can be shared.
 */
public final class SafeTensorsWriter {
    /** Names PyTorch stores as int64: BatchNorm's batch counter. */
    public static final Predicate<String> PYTORCH_INT64_NAMES = name -> name.endsWith("num_batches_tracked");

    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Predicate<String> writeAsI64;

    /** A writer that stores every tensor with its own dtype. */
    public SafeTensorsWriter() {
        this(name -> false);
    }

    private SafeTensorsWriter(Predicate<String> writeAsI64) {
        this.writeAsI64 = writeAsI64;
    }

    /**
     * A writer that stores the int32 tensors whose names match {@code names} as I64 (for example
     * {@link #PYTORCH_INT64_NAMES}), so the file has the dtypes of a PyTorch {@code state_dict}.
     */
    public SafeTensorsWriter writeAsI64(Predicate<String> names) {
        return new SafeTensorsWriter(Objects.requireNonNull(names));
    }

    /** {@code new SafeTensorsWriter().write(file, tensors, metadata)}. */
    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        new SafeTensorsWriter().write(file, tensors, metadata);
    }

    /** Writes {@code tensors} and {@code metadata} to {@code file}, replacing it atomically. */
    public void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        List<SafeTensorsEntry> entries = layOut(tensors);
        byte[] header = SafeTensorsHeader.encode(entries, metadata);
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = newTemporaryFile(target);
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, ByteBuffer.wrap(header));
                writeData(file, ch, entries, tensors);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
        syncDirectory(dir);
    }

    /**
     * An empty, new file beside {@code target}. Unlike {@link Files#createTempFile}, which makes
     * owner-only files, it gets the permissions any new file gets (the umask), so the checkpoint
     * ends up with the permissions the user expects.
     */
    private static Path newTemporaryFile(Path target) throws IOException {
        while (true) {
            String suffix = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
            try {
                return Files.createFile(target.resolveSibling("." + target.getFileName() + "." + suffix + ".tmp"));
            } catch (FileAlreadyExistsException taken) {
                // another writer's temporary name; draw again
            }
        }
    }

    private List<SafeTensorsEntry> layOut(Map<String, Tensor> tensors) {
        List<SafeTensorsEntry> entries = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name.isEmpty() || name.equals(SafeTensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("invalid tensor name '" + name + "'");
            }
            SafeTensorsDType type = SafeTensorsDType.of(t.dtype());
            if (writeAsI64.test(name)) {
                t.requireDType(DType.I32, "writing tensor '" + name + "' as I64");
                type = SafeTensorsDType.I64;
            }
            long bytes = t.size() * type.byteSize();
            entries.add(new SafeTensorsEntry(name, type, t.shape(), offset, offset + bytes));
            offset += bytes;
        }
        return entries;
    }

    private static void writeData(Path file, FileChannel ch, List<SafeTensorsEntry> entries, Map<String, Tensor> tensors)
            throws IOException {
        long largest = 1;
        for (SafeTensorsEntry e : entries) {
            largest = Math.max(largest, e.byteLength());
        }
        // One host buffer for the tensor's elements and one for the file's bytes, reused for every tensor.
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(largest, 64);
            MemorySegment out = arena.allocate(largest, 64);
            for (SafeTensorsEntry e : entries) {
                Tensor t = tensors.get(e.name());
                long n = t.size();
                if (n == 0) {
                    continue;
                }
                try (Tensor src = t.contiguous()) {
                    src.backend().copyToHost(src, host);
                } catch (RuntimeException failure) {
                    throw new CheckpointException(file, "cannot read tensor '" + e.name() + "' " + t + " for writing: "
                            + failure.getMessage(), failure);
                }
                switch (e.dtype()) {
                    case F32 -> MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 0, out, FLOAT_LE, 0, n);
                    case I32 -> MemorySegment.copy(host, ValueLayout.JAVA_INT, 0, out, INT_LE, 0, n);
                    case U8 -> MemorySegment.copy(host, 0, out, 0, n);
                    case I64 -> {
                        for (long i = 0; i < n; i++) {
                            out.set(LONG_LE, i * 8, host.getAtIndex(ValueLayout.JAVA_INT, i));
                        }
                    }
                }
                writeFully(ch, out.asSlice(0, e.byteLength()).asByteBuffer());
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            ch.write(buffer);
        }
    }

    /**
     * Forces the rename itself to disk. Linux allows opening a directory for reading and syncing it;
     * platforms that refuse (Windows) make rename durable themselves, so a refusal is not an error.
     */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException refused) {
            // Not supported for directories on this platform; the file itself is already on disk.
        }
    }
}
