package dev.strix.cuda;

import static dev.strix.cuda.CudaErrors.check;

import dev.strix.bindings.cuda.CudaDriver;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Checks of tensor contents that only the GPU can make without copying the tensors back: class
 * labels outside {@code [0, K)}, argmax indices outside their pooling window, dataset indices outside
 * the dataset. A kernel that meets a bad value records it in its kind's 64-bit device word
 * ({@code strix_report_bad} in strix_common.cuh: position in the high half, value in the low half,
 * the smallest position winning) and leaves the affected results NaN or untouched, never writing
 * out of bounds.
 *
 * <p>Reading a word means waiting for the stream, so an op does not read it: it only notes with
 * {@link #pending} that its kernels may have reported, and the words are read at the next point
 * where the host waits anyway, {@link #reportDeferred} (the backend's synchronize and copyToHost),
 * which throws the problem in the words of the CPU backend. A training loop therefore runs without
 * host waits between the steps where it reads its loss, and a bad label still fails the run at the
 * next read. One word per {@link Kind}, so a report is described by an op of its own kind: the first
 * such op since the last read (later ones of the same kind would only repeat its inputs in training).
 * While the stream is capturing a CUDA graph nothing may wait for it, and the read is put off again.
 */
final class DeviceChecks implements AutoCloseable {
    /** A word when nothing was reported: all ones. */
    static final long CLEAR = -1L;

    /** What a reported (position, value) means; one device word each. */
    enum Kind {
        /** A class label outside [0, classes): position = row. Details: classes. */
        LABEL,
        /** An argmax outside its window: position = flat output index. Details: channels, oh, ow, h, w, kh, kw, sh, sw. */
        ARGMAX,
        /** A dataset index outside [0, count): position = batch position. Details: count. */
        INDEX
    }

    private static final int KINDS = Kind.values().length;
    private static final Kind[] ALL = Kind.values();
    /** The most details a kind's message needs (see {@link Kind}). */
    private static final int DETAILS = 9;

    private final CudaContext context;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment host = arena.allocate(ValueLayout.JAVA_LONG, KINDS);
    private final MemorySegment captureStatus = arena.allocate(ValueLayout.JAVA_INT);
    private final long words;
    private final String[] pendingOp = new String[KINDS];
    private final int[][] pendingDetails = new int[KINDS][DETAILS];
    private boolean anyPending;

    DeviceChecks(CudaContext context) {
        this.context = context;
        context.makeCurrent();
        MemorySegment out = arena.allocate(ValueLayout.JAVA_LONG);
        check(CudaDriver.cuMemAlloc_v2(out, 8L * KINDS), "cuMemAlloc_v2");
        this.words = out.get(ValueLayout.JAVA_LONG, 0);
        check(CudaDriver.cuMemsetD32Async(words, -1, 2L * KINDS, context.stream()), "cuMemsetD32Async");
        context.queued();
    }

    /** The device word of {@code kind}, the kernels' {@code unsigned long long* status}. */
    long pointer(Kind kind) {
        return words + 8L * kind.ordinal();
    }

    /** {@link #pending(Kind, String, int, int, int, int, int, int, int, int, int)} for a kind with one detail. */
    void pending(Kind kind, String op, int detail) {
        pending(kind, op, detail, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /**
     * Notes that {@code op} has launched kernels that may report into {@code kind}'s word;
     * {@code d0..d8} are what its message needs (see {@link Kind}; unused ones 0). Allocates nothing
     * and does not wait: the first op of each kind since the last read is remembered.
     */
    synchronized void pending(Kind kind, String op, int d0, int d1, int d2, int d3, int d4, int d5, int d6, int d7,
                              int d8) {
        int k = kind.ordinal();
        if (pendingOp[k] != null) {
            return;
        }
        pendingOp[k] = op;
        int[] d = pendingDetails[k];
        d[0] = d0;
        d[1] = d1;
        d[2] = d2;
        d[3] = d3;
        d[4] = d4;
        d[5] = d5;
        d[6] = d6;
        d[7] = d7;
        d[8] = d8;
        anyPending = true;
    }

    /**
     * The ops noted pending since the last read, taken out: what a CUDA graph recorded while it was
     * captured (its kernels did not run then), for {@link #notePending} to note again at each launch.
     * Allocates; called once per capture.
     */
    synchronized Recorded takePending() {
        String[] ops = pendingOp.clone();
        int[][] details = new int[KINDS][];
        for (int k = 0; k < KINDS; k++) {
            details[k] = pendingDetails[k].clone();
            pendingOp[k] = null;
        }
        anyPending = false;
        return new Recorded(ops, details);
    }

    /** Notes the recorded ops as pending again (a graph's launch), as each of them would; allocates nothing. */
    synchronized void notePending(Recorded recorded) {
        for (int k = 0; k < KINDS; k++) {
            String op = recorded.ops[k];
            if (op != null) {
                int[] d = recorded.details[k];
                pending(ALL[k], op, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8]);
            }
        }
    }

    /** The ops (and their message details) of each kind that a captured graph holds; null: none. */
    record Recorded(String[] ops, int[][] details) {
    }

    /**
     * Reads the words of the pending ops (one small copy and a wait, only when some op is pending)
     * and throws, as {@link IllegalArgumentException} with the CPU backend's message, the first
     * problem found; the words and the pending ops are cleared either way. Does nothing while a
     * graph is being captured.
     */
    synchronized void reportDeferred() {
        if (!anyPending || capturing()) {
            return;
        }
        context.makeCurrent();
        check(CudaDriver.cuMemcpyDtoHAsync_v2(host, words, 8L * KINDS, context.stream()), "cuMemcpyDtoHAsync_v2");
        context.queued();
        context.synchronize();
        String problem = null;
        boolean dirty = false;
        for (int k = 0; k < KINDS; k++) {
            long w = host.getAtIndex(ValueLayout.JAVA_LONG, k);
            if (w != CLEAR) {
                dirty = true;
                if (problem == null) {
                    problem = describe(ALL[k], pendingOp[k], pendingDetails[k], w);
                }
            }
            pendingOp[k] = null;
        }
        anyPending = false;
        if (dirty) {
            check(CudaDriver.cuMemsetD32Async(words, -1, 2L * KINDS, context.stream()), "cuMemsetD32Async");
            context.queued();
        }
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** The CPU backend's message for word {@code w} of {@code kind}, reported by {@code op}. */
    static String describe(Kind kind, String op, int[] d, long w) {
        long position = position(w);
        int value = value(w);
        if (op == null) {
            return "a kernel reported value " + value + " at position " + position + " as out of range";
        }
        return switch (kind) {
            case LABEL -> dev.strix.tensor.spi.LossShapes.badLabel(position, value, d[0]);
            case ARGMAX -> CudaPooling.outsideTheWindow(position, value, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7],
                    d[8]);
            case INDEX -> CudaDataOps.outsideTheDataset(op, position, value, d[0]);
        };
    }

    private boolean capturing() {
        context.makeCurrent();
        check(CudaDriver.cuStreamIsCapturing(context.stream(), captureStatus), "cuStreamIsCapturing");
        return captureStatus.get(ValueLayout.JAVA_INT, 0) != CudaDriver.CU_STREAM_CAPTURE_STATUS_NONE();
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
        check(CudaDriver.cuMemFree_v2(words), "cuMemFree_v2");
        arena.close();
    }
}
