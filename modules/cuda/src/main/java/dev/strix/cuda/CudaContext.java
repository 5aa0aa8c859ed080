package dev.strix.cuda;

import static dev.strix.cuda.CudaErrors.check;

import dev.strix.bindings.cuda.CudaDriver;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Device 0's primary context (the one the runtime API, cuBLAS and cuDNN also use) and the single
 * non-blocking stream every op of the backend is issued on, so ops run in issue order.
 *
 * <p>A context is current per thread: {@link #makeCurrent()} binds it on each calling thread once.
 */
final class CudaContext implements AutoCloseable {
    private final int device;
    private final MemorySegment context;
    private final MemorySegment stream;
    private final String deviceName;
    private final int computeMajor;
    private final int computeMinor;
    private final long totalMemory;
    private final int driverVersion;
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> Boolean.FALSE);
    /** Stream synchronisations so far (a diagnostic: steady-state training should add none per step). */
    private long waits;
    /** Work queued on the stream so far (a diagnostic: {@link dev.strix.tensor.Backend#deviceLaunches}). */
    private long launches;
    /** Set while a CUDA graph records the stream: what is issued then is recorded, not queued. */
    private boolean recording;

    CudaContext(int device) {
        check(CudaDriver.cuInit(0), "cuInit");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment number = arena.allocate(ValueLayout.JAVA_LONG);
            check(CudaDriver.cuDeviceGet(number, device), "cuDeviceGet");
            this.device = number.get(ValueLayout.JAVA_INT, 0);
            check(CudaDriver.cuDevicePrimaryCtxRetain(out, this.device), "cuDevicePrimaryCtxRetain");
            this.context = out.get(ValueLayout.ADDRESS, 0);
            check(CudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            current.set(Boolean.TRUE);
            check(CudaDriver.cuStreamCreate(out, CudaDriver.CU_STREAM_NON_BLOCKING()), "cuStreamCreate");
            this.stream = out.get(ValueLayout.ADDRESS, 0);

            MemorySegment name = arena.allocate(256);
            check(CudaDriver.cuDeviceGetName(name, 256, this.device), "cuDeviceGetName");
            this.deviceName = name.getString(0);
            this.computeMajor = attribute(arena, CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR());
            this.computeMinor = attribute(arena, CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR());
            check(CudaDriver.cuDeviceTotalMem_v2(number, this.device), "cuDeviceTotalMem_v2");
            this.totalMemory = number.get(ValueLayout.JAVA_LONG, 0);
            check(CudaDriver.cuDriverGetVersion(number), "cuDriverGetVersion");
            this.driverVersion = number.get(ValueLayout.JAVA_INT, 0);
        }
    }

    private int attribute(Arena arena, int attribute) {
        MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
        check(CudaDriver.cuDeviceGetAttribute(value, attribute, device), "cuDeviceGetAttribute");
        return value.get(ValueLayout.JAVA_INT, 0);
    }

    /** Binds the context to the calling thread (once per thread). */
    void makeCurrent() {
        if (!current.get()) {
            check(CudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            current.set(Boolean.TRUE);
        }
    }

    /** How often {@link #synchronize} has waited. */
    long waits() {
        return waits;
    }

    /**
     * Counts one piece of work issued on the stream (a kernel launch, a library call, a copy or
     * memset, a graph launch), unless a graph is recording. Called after the issuing call succeeded.
     */
    void queued() {
        if (!recording) {
            launches++;
        }
    }

    /** Work queued so far (see {@link #queued}). */
    long launches() {
        return launches;
    }

    /** Whether a CUDA graph is recording the stream, so that {@link #queued} counts nothing. */
    void recording(boolean on) {
        recording = on;
    }

    /** The major compute capability: 8 for Ampere, 9 for Hopper. */
    int computeMajor() {
        return computeMajor;
    }

    MemorySegment stream() {
        return stream;
    }

    /** Waits for everything issued on the stream. */
    void synchronize() {
        waits++;
        makeCurrent();
        check(CudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    /** "NVIDIA H200 (compute 9.0, 139.8 GiB, driver 13.0, {@code libraries})". */
    String describe(String libraries) {
        return String.format("%s (compute %d.%d, %.1f GiB, driver %d.%d, %s)", deviceName, computeMajor, computeMinor,
                totalMemory / (double) (1L << 30), driverVersion / 1000, driverVersion % 1000 / 10, libraries);
    }

    @Override
    public void close() {
        makeCurrent();
        check(CudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
        check(CudaDriver.cuStreamDestroy_v2(stream), "cuStreamDestroy_v2");
        check(CudaDriver.cuDevicePrimaryCtxRelease_v2(device), "cuDevicePrimaryCtxRelease_v2");
    }
}
