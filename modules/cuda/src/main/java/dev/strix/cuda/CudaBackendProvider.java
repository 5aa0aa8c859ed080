package dev.strix.cuda;

import dev.strix.bindings.CudaLibraries;
import dev.strix.bindings.NativeLibrary;
import dev.strix.tensor.Backend;
import dev.strix.tensor.spi.BackendProvider;

/**
 * Registers the CUDA backend. {@link #availability()} checks, in order and without ever throwing:
 * the driver library loads, the build embedded our kernels, the driver sees a GPU, cuBLAS loads.
 * The first missing piece is the reason given, e.g. {@code libcuda.so.1 not found (...; tried: ...)}
 * or {@code CUDA driver 12.2 found but no GPU: CUDA_ERROR_NO_DEVICE}. The answer is computed once.
 */
public final class CudaBackendProvider implements BackendProvider {
    /** Above the CPU's 0: a working GPU is preferred. */
    public static final int PRIORITY = 100;

    private static Availability cached;

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Availability availability() {
        synchronized (CudaBackendProvider.class) {
            if (cached == null) {
                cached = check();
            }
            return cached;
        }
    }

    private static Availability check() {
        try {
            CudaLibraries.Result driver = CudaLibraries.load(NativeLibrary.CUDA_DRIVER);
            if (!driver.loaded()) {
                return Availability.no(driver.message());
            }
            if (!CudaKernels.built()) {
                return Availability.no("kernels not built: " + CudaKernels.FATBIN
                        + " is missing from dev.strix.cuda (the build found no nvcc)");
            }
            // Only now may a binding class be touched: libcuda is loaded.
            String device = DeviceProbe.problem();
            if (device != null) {
                return Availability.no(device);
            }
            CudaLibraries.Result cublas = CudaLibraries.load(NativeLibrary.CUBLAS);
            if (!cublas.loaded()) {
                return Availability.no(cublas.message());
            }
            return Availability.yes();
        } catch (RuntimeException | LinkageError e) {
            return Availability.no("CUDA check failed: " + e);
        }
    }

    @Override
    public Backend create() {
        Availability a = availability();
        if (!a.available()) {
            throw new IllegalStateException("CUDA backend unavailable: " + a.reason());
        }
        return new CudaBackend();
    }
}
