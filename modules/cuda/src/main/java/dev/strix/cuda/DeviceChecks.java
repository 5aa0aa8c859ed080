package dev.strix.cuda;

import static dev.strix.cuda.CudaErrors.check;

import dev.strix.bindings.cuda.CudaDriver;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Checks of tensor contents that only the GPU can make without copying the tensors back: class
 * labels outside {@code [0, K)}, argmax indices outside the pooled plane. A kernel that meets a bad
 * value records it in one 64-bit device word ({@code strix_report_bad} in strix_common.cuh:
 * position in the high half, value in the low half, the smallest position winning) and leaves the
 * affected results NaN or untouched, never writing out of bounds.
 *
 * <p>After such a kernel the op calls {@link #reported}: it reads the word (a wait for the stream,
 * the price of throwing at the op that got the bad input, as the CPU backend does) and hands any
 * recorded problem back for the op to describe in its own words. While the stream is capturing a CUDA
 * graph nothing may wait for it, so the check is deferred to the next {@link #reportDeferred} (the
 * backend's synchronize and copyToHost), which throws a plainer message naming the op.
 */
final class DeviceChecks implements AutoCloseable {
    /** The word when nothing was reported: all ones. */
    static final long CLEAR = -1L;

    private final CudaContext context;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment host = arena.allocate(ValueLayout.JAVA_LONG);
    private final MemorySegment captureStatus = arena.allocate(ValueLayout.JAVA_INT);
    private final long word;
    private String deferredOp;

    DeviceChecks(CudaContext context) {
        this.context = context;
        context.makeCurrent();
        MemorySegment out = arena.allocate(ValueLayout.JAVA_LONG);
        check(CudaDriver.cuMemAlloc_v2(out, 8), "cuMemAlloc_v2");
        this.word = out.get(ValueLayout.JAVA_LONG, 0);
        clear();
    }

    /** The device word's address, the kernels' {@code unsigned long long* status}. */
    long pointer() {
        return word;
    }

    /**
     * The problem recorded by the kernels {@code op} just launched (read with {@link #position} and
     * {@link #value}), the word then cleared; {@link #CLEAR} when there is none, and while a graph is
     * being captured (the check is then left to {@link #reportDeferred}).
     */
    synchronized long reported(String op) {
        if (capturing()) {
            if (deferredOp == null) {
                deferredOp = op;
            }
            return CLEAR;
        }
        if (deferredOp != null) {
            reportDeferred();
        }
        return takeWord();
    }

    /** Throws a problem recorded while a graph was being captured (call when the stream may be waited on). */
    synchronized void reportDeferred() {
        if (deferredOp == null || capturing()) {
            return;
        }
        String op = deferredOp;
        deferredOp = null;
        long w = takeWord();
        if (w != CLEAR) {
            throw new IllegalArgumentException(op + " (in a captured CUDA graph): value " + value(w)
                    + " at position " + position(w) + " is out of range");
        }
    }

    private long takeWord() {
        context.makeCurrent();
        check(CudaDriver.cuMemcpyDtoHAsync_v2(host, word, 8, context.stream()), "cuMemcpyDtoHAsync_v2");
        context.synchronize();
        long w = host.get(ValueLayout.JAVA_LONG, 0);
        if (w != CLEAR) {
            clear();
        }
        return w;
    }

    private boolean capturing() {
        context.makeCurrent();
        check(CudaDriver.cuStreamIsCapturing(context.stream(), captureStatus), "cuStreamIsCapturing");
        return captureStatus.get(ValueLayout.JAVA_INT, 0) != CudaDriver.CU_STREAM_CAPTURE_STATUS_NONE();
    }

    private void clear() {
        check(CudaDriver.cuMemsetD32Async(word, -1, 2, context.stream()), "cuMemsetD32Async");
    }

    /** The position half of a recorded word (a row, or a flat output index). */
    static long position(long word) {
        return word >>> 32;
    }

    /** The value half of a recorded word (the bad label or index). */
    static int value(long word) {
        return (int) word;
    }

    @Override
    public void close() {
        context.makeCurrent();
        check(CudaDriver.cuMemFree_v2(word), "cuMemFree_v2");
        arena.close();
    }
}
