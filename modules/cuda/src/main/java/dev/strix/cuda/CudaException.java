package dev.strix.cuda;

/**
 * A failed call into the CUDA driver, cuBLAS or cuDNN: names the function and the library's own
 * error name, e.g. {@code cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)}.
 */
public final class CudaException extends RuntimeException {
    private final String function;
    private final int code;
    private final String errorName;

    public CudaException(String function, int code, String errorName, String description) {
        super(function + " failed: " + errorName + (description == null || description.isEmpty() ? "" : " (" + description + ")"));
        this.function = function;
        this.code = code;
        this.errorName = errorName;
    }

    /** The C function that failed, by its exported name. */
    public String function() {
        return function;
    }

    /** The numeric status it returned. */
    public int code() {
        return code;
    }

    /** The library's name for that status, e.g. {@code CUDA_ERROR_INVALID_VALUE}. */
    public String errorName() {
        return errorName;
    }
}
