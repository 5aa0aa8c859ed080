package dev.strix.cuda;

import dev.strix.bindings.cuda.CudaDriver;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.IntFunction;

/**
 * Asks a loaded driver whether there is a GPU that strix can use; only reached once libcuda was loaded.
 *
 * <p>Our fatbin is built by CUDA 13's nvcc and we link cuBLAS 13, so the driver must speak CUDA 13.0 or
 * newer (NVIDIA driver 580+). An older driver would load, initialise and then fail at the first kernel
 * module or library call with an error that does not say why; it is refused here by its version.
 */
final class DeviceProbe {
    /** CUDA 13.0 as cuDriverGetVersion reports it (1000 * major + 10 * minor). */
    static final int REQUIRED_DRIVER_VERSION = 13000;

    private DeviceProbe() {
    }

    /** Null when device 0 is usable, else the reason in one line. */
    static String problem() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment number = arena.allocate(ValueLayout.JAVA_INT);
            // cuDriverGetVersion is one of the few calls that work before (and without) cuInit.
            int version = CudaDriver.cuDriverGetVersion(number) == 0 ? number.get(ValueLayout.JAVA_INT, 0) : -1;
            int init = CudaDriver.cuInit(0);
            int countResult = -1;
            int count = 0;
            if (init == 0) {
                number.set(ValueLayout.JAVA_INT, 0, 0);
                countResult = CudaDriver.cuDeviceGetCount(number);
                count = number.get(ValueLayout.JAVA_INT, 0);
            }
            return judge(version, init, countResult, count, CudaDriver.CUDA_ERROR_NO_DEVICE(),
                    CudaErrors::driverErrorName);
        }
    }

    /**
     * The verdict on what the driver answered: {@code version} from cuDriverGetVersion (-1 when that
     * failed), {@code init} from cuInit, {@code countResult} and {@code count} from cuDeviceGetCount
     * (not asked when cuInit failed). Null when device 0 is usable.
     */
    static String judge(int version, int init, int countResult, int count, int noDevice,
                        IntFunction<String> errorName) {
        String driver = version > 0 ? "CUDA driver " + versionText(version) : "CUDA driver";
        if (init != 0) {
            return init == noDevice
                    ? driver + " found but no GPU: " + errorName.apply(init)
                    : driver + " found but cuInit failed: " + errorName.apply(init);
        }
        if (countResult != 0) {
            return driver + " found but cuDeviceGetCount failed: " + errorName.apply(countResult);
        }
        if (count == 0) {
            return driver + " found but no GPU: cuDeviceGetCount reports 0 devices";
        }
        if (version > 0 && version < REQUIRED_DRIVER_VERSION) {
            return driver + " found, but strix needs CUDA " + versionText(REQUIRED_DRIVER_VERSION)
                    + " or newer (NVIDIA driver 580 or newer): its kernels are built by CUDA 13's nvcc"
                    + " and it links cuBLAS 13";
        }
        return null;
    }

    /** 12020 -> "12.2", 13000 -> "13.0". */
    static String versionText(int version) {
        return version / 1000 + "." + version % 1000 / 10;
    }
}
