package dev.strix.cuda;

import static dev.strix.cuda.CudaErrors.checkCudnn;

import dev.strix.bindings.CudaLibraries;
import dev.strix.bindings.NativeLibrary;
import dev.strix.bindings.cudnn.Cudnn;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The backend's one cuDNN handle, shared by its cuDNN convolutions, pooling and batch norm: made on
 * first use (so a machine without libcudnn runs every other op) and bound to the backend's stream,
 * so cuDNN's work is queued in order with our kernels. Also holds the host scalars 1 and 0 that
 * cuDNN's blend factors point at ({@code y = alpha * result + beta * y}).
 */
final class CudnnHandle implements AutoCloseable {
    private final CudaBackend backend;
    private Arena arena;
    private MemorySegment handle;
    private MemorySegment one;
    private MemorySegment zero;

    CudnnHandle(CudaBackend backend) {
        this.backend = backend;
    }

    /**
     * The handle, loading cuDNN and creating it on the first call; {@code user} (e.g. "cuDNN
     * pooling") names what needs it in the message when libcudnn is missing.
     */
    synchronized MemorySegment get(String user) {
        if (handle != null) {
            return handle;
        }
        CudaLibraries.Result r = CudaLibraries.load(NativeLibrary.CUDNN);
        if (!r.loaded()) {
            throw new IllegalStateException(user + " needs libcudnn: " + r.message());
        }
        // cudnnCreate allocates device memory: not something a CUDA graph can record.
        backend.refuseWhileCapturing("creating the cuDNN handle (for " + user + ")");
        backend.context().makeCurrent();
        Arena a = Arena.ofShared();
        MemorySegment out = a.allocate(ValueLayout.ADDRESS);
        checkCudnn(Cudnn.cudnnCreate(out), "cudnnCreate");
        MemorySegment h = out.get(ValueLayout.ADDRESS, 0);
        checkCudnn(Cudnn.cudnnSetStream(h, backend.context().stream()), "cudnnSetStream");
        one = a.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
        zero = a.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
        arena = a;
        handle = h;
        return h;
    }

    /** Host float 1, for an {@code alpha}; valid once {@link #get} has succeeded. */
    MemorySegment one() {
        return one;
    }

    /** Host float 0, for a {@code beta} that overwrites the destination; valid once {@link #get} has succeeded. */
    MemorySegment zero() {
        return zero;
    }

    @Override
    public synchronized void close() {
        if (handle == null) {
            return;
        }
        backend.context().makeCurrent();
        checkCudnn(Cudnn.cudnnDestroy(handle), "cudnnDestroy");
        handle = null;
        arena.close();
    }
}
