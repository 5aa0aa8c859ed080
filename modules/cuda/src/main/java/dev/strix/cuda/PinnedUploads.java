package dev.strix.cuda;

import static dev.strix.cuda.CudaErrors.check;

import dev.strix.bindings.cuda.CudaDriver;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Small host-to-device copies through a ring of page-locked slots, so that they never wait for the
 * stream. A copy from pageable memory may make the driver wait for the stream before staging it;
 * a training step uploads its optimizer scalars (a few bytes) before launching the step's graph,
 * and such a wait would stop the host from queueing step n + 1 while the GPU runs step n.
 *
 * <p>Each upload copies its bytes into the next slot, queues the page-locked copy and records an
 * event behind it. A slot is written again only after its event has passed, which costs a wait only
 * when the GPU is {@link #SLOTS} uploads behind the host.
 */
final class PinnedUploads implements AutoCloseable {
    /** Uploads in flight before the host waits. */
    static final int SLOTS = 64;
    /** The largest upload that goes through a slot; larger ones take the pageable path. */
    static final long SLOT_BYTES = 256;

    private final CudaContext context;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment pinned;
    private final MemorySegment[] events = new MemorySegment[SLOTS];
    private final boolean[] used = new boolean[SLOTS];
    private int next;

    PinnedUploads(CudaContext context) {
        this.context = context;
        context.makeCurrent();
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        check(CudaDriver.cuMemAllocHost_v2(out, SLOTS * SLOT_BYTES), "cuMemAllocHost_v2");
        this.pinned = out.get(ValueLayout.ADDRESS, 0).reinterpret(SLOTS * SLOT_BYTES);
        for (int i = 0; i < SLOTS; i++) {
            check(CudaDriver.cuEventCreate(out, CudaDriver.CU_EVENT_DISABLE_TIMING()), "cuEventCreate");
            events[i] = out.get(ValueLayout.ADDRESS, 0);
        }
    }

    /**
     * Queues the copy of {@code bytes} bytes of {@code src} to device address {@code dst} on the
     * stream and returns true, or returns false (doing nothing) when it is too large for a slot.
     */
    synchronized boolean upload(MemorySegment src, long dst, long bytes) {
        if (bytes > SLOT_BYTES) {
            return false;
        }
        int k = next;
        next = (next + 1) % SLOTS;
        context.makeCurrent();
        if (used[k]) {
            check(CudaDriver.cuEventSynchronize(events[k]), "cuEventSynchronize");
        }
        MemorySegment slot = pinned.asSlice(k * SLOT_BYTES, bytes);
        MemorySegment.copy(src, 0, slot, 0, bytes);
        check(CudaDriver.cuMemcpyHtoDAsync_v2(dst, slot, bytes, context.stream()), "cuMemcpyHtoDAsync_v2");
        context.queued();
        check(CudaDriver.cuEventRecord(events[k], context.stream()), "cuEventRecord");
        used[k] = true;
        return true;
    }

    @Override
    public synchronized void close() {
        context.makeCurrent();
        for (MemorySegment e : events) {
            check(CudaDriver.cuEventDestroy_v2(e), "cuEventDestroy_v2");
        }
        check(CudaDriver.cuMemFreeHost(pinned), "cuMemFreeHost");
        arena.close();
    }
}
