package dev.strix.tensor.cpu;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Storage;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Off-heap host memory from its own shared arena, so each tensor can be freed on its own. */
final class CpuStorage implements Storage {
    /** Cache-line alignment keeps vector loads of row starts aligned. */
    static final long ALIGNMENT = 64;

    private final Backend backend;
    private final Arena arena;
    private final MemorySegment segment;
    private volatile boolean freed;

    CpuStorage(Backend backend, long byteSize) {
        this.backend = backend;
        this.arena = Arena.ofShared();
        this.segment = arena.allocate(Math.max(byteSize, 1), ALIGNMENT);
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public long byteSize() {
        return segment.byteSize();
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public boolean isHost() {
        return true;
    }

    @Override
    public synchronized void free() {
        if (!freed) {
            freed = true;
            arena.close();
        }
    }

    @Override
    public boolean isFreed() {
        return freed;
    }
}
