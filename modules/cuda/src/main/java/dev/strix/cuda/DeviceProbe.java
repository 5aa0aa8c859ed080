package dev.strix.cuda;

import dev.strix.bindings.cuda.CudaDriver;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Asks a loaded driver whether there is a GPU; only reached once libcuda was loaded. */
final class DeviceProbe {
    private DeviceProbe() {
    }

    /** Null when device 0 is usable, else the reason in one line. */
    static String problem() {
        int init = CudaDriver.cuInit(0);
        if (init != 0) {
            String name = CudaErrors.driverErrorName(init);
            return init == CudaDriver.CUDA_ERROR_NO_DEVICE()
                    ? "CUDA driver found but no GPU: " + name
                    : "CUDA driver found but cuInit failed: " + name;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            int r = CudaDriver.cuDeviceGetCount(count);
            if (r != 0) {
                return "CUDA driver found but cuDeviceGetCount failed: " + CudaErrors.driverErrorName(r);
            }
            if (count.get(ValueLayout.JAVA_INT, 0) == 0) {
                return "CUDA driver found but no GPU: cuDeviceGetCount reports 0 devices";
            }
        }
        return null;
    }
}
