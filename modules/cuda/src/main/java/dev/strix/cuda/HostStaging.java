package dev.strix.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A native host buffer for copies from and to Java heap memory; grows, never shrinks. */
final class HostStaging implements AutoCloseable {
    private Arena arena;
    private MemorySegment buffer = MemorySegment.NULL;

    MemorySegment buffer(long bytes) {
        if (buffer.byteSize() < bytes) {
            if (arena != null) {
                arena.close();
            }
            arena = Arena.ofShared();
            buffer = arena.allocate(bytes, 64);
        }
        return buffer.asSlice(0, bytes);
    }

    MemorySegment copyOf(MemorySegment src, long bytes) {
        MemorySegment b = buffer(bytes);
        MemorySegment.copy(src, 0, b, 0, bytes);
        return b;
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
