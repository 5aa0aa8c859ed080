package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/** The verdicts on what a driver answers; the answers are those of real drivers (see each case). */
class DeviceProbeTest {
    private static final int NO_DEVICE = 100;
    private static final IntFunction<String> NAMES = code -> switch (code) {
        case 100 -> "CUDA_ERROR_NO_DEVICE";
        case 999 -> "CUDA_ERROR_UNKNOWN";
        case 3 -> "CUDA_ERROR_NOT_INITIALIZED";
        default -> "CUresult " + code;
    };

    @Test
    void aCuda13DriverWithAGpuIsUsable() {
        assertNull(DeviceProbe.judge(13000, 0, 0, 1, NO_DEVICE, NAMES));
        assertNull(DeviceProbe.judge(13010, 0, 0, 8, NO_DEVICE, NAMES));
    }

    @Test
    void aDriverWithoutAGpuSaysSoWithItsVersion() {
        // Debian bookworm's libcuda1 535.261.03 on a machine without a GPU: cuInit gives 100.
        assertEquals("CUDA driver 12.2 found but no GPU: CUDA_ERROR_NO_DEVICE",
                DeviceProbe.judge(12020, NO_DEVICE, -1, 0, NO_DEVICE, NAMES));
        assertEquals("CUDA driver 13.0 found but no GPU: cuDeviceGetCount reports 0 devices",
                DeviceProbe.judge(13000, 0, 0, 0, NO_DEVICE, NAMES));
    }

    @Test
    void otherFailuresAreNamed() {
        assertEquals("CUDA driver 13.0 found but cuInit failed: CUDA_ERROR_UNKNOWN",
                DeviceProbe.judge(13000, 999, -1, 0, NO_DEVICE, NAMES));
        assertEquals("CUDA driver 13.0 found but cuDeviceGetCount failed: CUDA_ERROR_NOT_INITIALIZED",
                DeviceProbe.judge(13000, 0, 3, 0, NO_DEVICE, NAMES));
        assertEquals("CUDA driver found but cuInit failed: CUDA_ERROR_UNKNOWN",
                DeviceProbe.judge(-1, 999, -1, 0, NO_DEVICE, NAMES), "no version: the message does without it");
    }

    @Test
    void aDriverOlderThanCuda13IsRefusedByItsVersion() {
        assertEquals("CUDA driver 12.8 found, but strix needs CUDA 13.0 or newer (NVIDIA driver 580 or newer): its"
                        + " kernels are built by CUDA 13's nvcc and it links cuBLAS 13",
                DeviceProbe.judge(12080, 0, 0, 1, NO_DEVICE, NAMES));
        assertEquals("CUDA driver 12.9 found, but strix needs CUDA 13.0 or newer (NVIDIA driver 580 or newer): its"
                        + " kernels are built by CUDA 13's nvcc and it links cuBLAS 13",
                DeviceProbe.judge(12090, 0, 0, 1, NO_DEVICE, NAMES));
    }

    @Test
    void versionsReadAsCudaWritesThem() {
        assertEquals("12.2", DeviceProbe.versionText(12020));
        assertEquals("13.0", DeviceProbe.versionText(13000));
        assertEquals("13.1", DeviceProbe.versionText(13010));
    }
}
