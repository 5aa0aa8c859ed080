package dev.strix.cuda;

import static dev.strix.cuda.CudaErrors.check;

import dev.strix.bindings.cuda.CudaDriver;
import dev.strix.tensor.Timeline;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link Timeline} on the GPU: each mark records a timing event on the backend's stream, so marking
 * never waits; {@link #intervals()} synchronizes once and asks the driver for the time between
 * consecutive events ({@code cuEventElapsedTime}, about half a microsecond of resolution). Events
 * are created as marks first need them and reused by later rounds.
 */
final class CudaEventTimeline implements Timeline {
    private final CudaBackend backend;
    private final CudaContext context;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
    private final MemorySegment milliseconds = arena.allocate(ValueLayout.JAVA_FLOAT);
    private final List<MemorySegment> events = new ArrayList<>();
    private int marks;
    private boolean closed;

    CudaEventTimeline(CudaBackend backend, CudaContext context) {
        this.backend = backend;
        this.context = context;
    }

    @Override
    public synchronized void mark() {
        backend.refuseWhileCapturing("a timeline mark");
        context.makeCurrent();
        if (marks == events.size()) {
            check(CudaDriver.cuEventCreate(out, CudaDriver.CU_EVENT_DEFAULT()), "cuEventCreate");
            events.add(out.get(ValueLayout.ADDRESS, 0));
        }
        check(CudaDriver.cuEventRecord(events.get(marks++), context.stream()), "cuEventRecord");
    }

    @Override
    public synchronized double[] intervals() {
        double[] ms = new double[Math.max(0, marks - 1)];
        if (ms.length == 0) {
            return ms;
        }
        backend.synchronize();
        for (int i = 0; i < ms.length; i++) {
            check(CudaDriver.cuEventElapsedTime_v2(milliseconds, events.get(i), events.get(i + 1)),
                    "cuEventElapsedTime_v2");
            ms[i] = milliseconds.get(ValueLayout.JAVA_FLOAT, 0);
        }
        return ms;
    }

    @Override
    public synchronized void reset() {
        marks = 0;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // A recorded event may still be pending on the stream: let it pass before destroying it.
        backend.synchronize();
        for (MemorySegment e : events) {
            check(CudaDriver.cuEventDestroy_v2(e), "cuEventDestroy_v2");
        }
        arena.close();
    }
}
