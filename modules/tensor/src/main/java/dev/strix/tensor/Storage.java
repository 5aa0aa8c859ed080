package dev.strix.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A block of memory owned by one backend. Tensors are typed, strided views over it.
 *
 * <p>Host storage is an off-heap {@link MemorySegment} holding the bytes. Device storage is a
 * zero-length segment whose {@link MemorySegment#address() address} is the device pointer.
 */
public interface Storage {
    Backend backend();

    long byteSize();

    MemorySegment segment();

    /** True when {@link #segment()} can be read and written by Java code directly. */
    boolean isHost();

    /** Releases the memory; idempotent. Views over freed storage fail on use. */
    void free();

    boolean isFreed();
}
