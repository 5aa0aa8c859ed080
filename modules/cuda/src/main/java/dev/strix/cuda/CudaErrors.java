package dev.strix.cuda;

import dev.strix.bindings.cublas.Cublas;
import dev.strix.bindings.cuda.CudaDriver;
import dev.strix.bindings.cudnn.Cudnn;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Turns status codes of the driver, cuBLAS and cuDNN into {@link CudaException}s with their names. */
final class CudaErrors {
    private CudaErrors() {
    }

    /** Fails unless a driver call returned CUDA_SUCCESS (0). */
    static void check(int result, String function) {
        if (result != 0) {
            throw new CudaException(function, result, driverErrorName(result), driverErrorString(result));
        }
    }

    /** Fails unless a cuBLAS call returned CUBLAS_STATUS_SUCCESS (0). */
    static void checkCublas(int status, String function) {
        if (status != 0) {
            throw new CudaException(function, status, cString(Cublas.cublasGetStatusName(status)),
                    cString(Cublas.cublasGetStatusString(status)));
        }
    }

    /**
     * Fails unless a cuDNN call returned CUDNN_STATUS_SUCCESS (0). The message carries cuDNN's own
     * account of the failure ({@code cudnnGetLastErrorString}, e.g. real cuDNN's
     * {@code (strideA[i] == 0) && (dimA[i] != 1)}), which says far more than the status name.
     */
    static void checkCudnn(int status, String function) {
        if (status != 0) {
            throw new CudaException(function, status, cString(Cudnn.cudnnGetErrorString(status)), lastCudnnError());
        }
    }

    /** This thread's last cuDNN error message, which reading clears; empty when there is none. */
    static String lastCudnnError() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment message = arena.allocate(1024);
            Cudnn.cudnnGetLastErrorString(message, message.byteSize());
            return message.getString(0).strip();
        }
    }

    /** {@code CUDA_ERROR_NO_DEVICE} and the like, or the number when the driver does not know it. */
    static String driverErrorName(int result) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            if (CudaDriver.cuGetErrorName(result, out) != 0) {
                return "CUresult " + result;
            }
            return cString(out.get(ValueLayout.ADDRESS, 0));
        }
    }

    private static String driverErrorString(int result) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            if (CudaDriver.cuGetErrorString(result, out) != 0) {
                return "";
            }
            return cString(out.get(ValueLayout.ADDRESS, 0));
        }
    }

    /** A NUL-terminated string owned by the library (static storage). */
    static String cString(MemorySegment pointer) {
        if (pointer.equals(MemorySegment.NULL)) {
            return "";
        }
        return pointer.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
