package dev.strix.cuda;

import static dev.strix.cuda.CudaErrors.check;

import dev.strix.bindings.cuda.CudaDriver;
import dev.strix.tensor.CapturedGraph;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A CUDA graph of the backend's ops: {@link #capture} records what a piece of code issues on the
 * backend's stream (cuStreamBeginCapture in thread-local mode, cuStreamEndCapture), instantiates it
 * once (cuGraphInstantiateWithFlags), and {@link #launch} replays it on the same stream with one
 * cuGraphLaunch: every kernel, cuBLAS and cuDNN call and device copy with the arguments it had.
 *
 * <p>While recording, the backend refuses, with the reason, what a graph cannot hold or what would
 * break the capture: allocating or freeing device memory, copies from or to the host, and waits
 * for the device. The GPU-side checks of labels and indices ({@link DeviceChecks}) that the recorded
 * ops noted are noted again at each launch, so a bad label in a replayed step is still reported at
 * the next synchronisation.
 */
public final class CudaGraph implements CapturedGraph {
    private final CudaBackend backend;
    private final MemorySegment exec;
    private final DeviceChecks.Recorded checks;
    private boolean closed;

    private CudaGraph(CudaBackend backend, MemorySegment exec, DeviceChecks.Recorded checks) {
        this.backend = backend;
        this.exec = exec;
        this.checks = checks;
    }

    /**
     * Records the ops that {@code ops} issues on {@code backend} (none of them runs) into a graph.
     * First waits for the work already queued, so that problems it reports are not blamed on the graph.
     *
     * @throws IllegalStateException when {@code ops} failed while recording (e.g. it allocated) or
     *     the driver refused the capture or the instantiation; the backend is usable again then
     */
    public static CudaGraph capture(CudaBackend backend, Runnable ops) {
        CudaContext context = backend.context();
        backend.synchronize();
        context.makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            // Thread-local mode: what this thread must not do while capturing fails here, other threads go on.
            int begun = CudaDriver.cuStreamBeginCapture_v2(context.stream(),
                    CudaDriver.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL());
            if (begun != 0) {
                throw new IllegalStateException("CUDA graph capture failed: cuStreamBeginCapture_v2: "
                        + CudaErrors.driverErrorName(begun));
            }
            RuntimeException failure = null;
            int ended;
            backend.startCapture();
            try {
                ops.run();
            } catch (RuntimeException e) {
                failure = e;
            } finally {
                // Even when an Error escapes, the stream must leave capture mode to stay usable.
                backend.endCapture();
                ended = CudaDriver.cuStreamEndCapture(context.stream(), out);
            }
            MemorySegment graph = out.get(ValueLayout.ADDRESS, 0);
            DeviceChecks.Recorded recorded = backend.checks().takePending();
            if (failure != null || ended != 0) {
                destroyGraph(graph);
                String reason = failure != null ? failure.getMessage()
                        : "cuStreamEndCapture: " + CudaErrors.driverErrorName(ended);
                throw new IllegalStateException("CUDA graph capture failed: " + reason, failure);
            }
            int instantiated = CudaDriver.cuGraphInstantiateWithFlags(out, graph, 0L);
            MemorySegment exec = out.get(ValueLayout.ADDRESS, 0);
            destroyGraph(graph);
            if (instantiated != 0) {
                throw new IllegalStateException("CUDA graph instantiation failed: cuGraphInstantiateWithFlags: "
                        + CudaErrors.driverErrorName(instantiated));
            }
            return new CudaGraph(backend, exec, recorded);
        }
    }

    private static void destroyGraph(MemorySegment graph) {
        if (!graph.equals(MemorySegment.NULL)) {
            check(CudaDriver.cuGraphDestroy(graph), "cuGraphDestroy");
        }
    }

    /** Queues one replay on the backend's stream; returns at once. */
    @Override
    public void launch() {
        if (closed) {
            throw new IllegalStateException("this CUDA graph was closed");
        }
        backend.requireOpen("launching a CUDA graph");
        backend.context().makeCurrent();
        check(CudaDriver.cuGraphLaunch(exec, backend.context().stream()), "cuGraphLaunch");
        backend.context().queued();
        backend.checks().notePending(checks);
    }

    /** Destroys the executable graph; a replay still queued finishes first (the driver frees it then). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (backend.isClosed()) {
            return;
        }
        backend.context().makeCurrent();
        check(CudaDriver.cuGraphExecDestroy(exec), "cuGraphExecDestroy");
    }
}
