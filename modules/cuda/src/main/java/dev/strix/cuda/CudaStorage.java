package dev.strix.cuda;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Storage;
import java.lang.foreign.MemorySegment;

/**
 * Device memory from cuMemAlloc. The segment is zero-length: its address is the device pointer,
 * which Java code must never dereference.
 */
final class CudaStorage implements Storage {
    private final CudaBackend backend;
    private final MemorySegment segment;
    private final long byteSize;
    private volatile boolean freed;

    CudaStorage(CudaBackend backend, long pointer, long byteSize) {
        this.backend = backend;
        this.segment = MemorySegment.ofAddress(pointer);
        this.byteSize = byteSize;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    /** The device pointer. */
    long address() {
        return segment.address();
    }

    @Override
    public boolean isHost() {
        return false;
    }

    @Override
    public synchronized void free() {
        if (!freed) {
            // Marked only once freed: a refused free (during a graph capture) leaves the tensor usable.
            backend.freeDevice(segment.address());
            freed = true;
        }
    }

    @Override
    public boolean isFreed() {
        return freed;
    }
}
