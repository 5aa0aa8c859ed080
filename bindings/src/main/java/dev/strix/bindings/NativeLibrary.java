package dev.strix.bindings;

import java.util.List;

/**
 * The NVIDIA libraries the CUDA backend loads, with the siblings each one needs loaded first.
 *
 * <p>Siblings are loaded from the same directory before the library itself, so that the dynamic
 * linker resolves the library's own dependencies (libcublasLt for cuBLAS, libcudnn_graph and the
 * per-family sub-libraries that libcudnn opens lazily for cuDNN) to that directory, whatever
 * LD_LIBRARY_PATH says.
 */
public enum NativeLibrary {
    /** The driver API (part of the NVIDIA driver, never of a toolkit or Python package). */
    CUDA_DRIVER("CUDA driver", "libcuda.so.1", List.of(), List.of(), false),
    CUBLAS("cuBLAS", "libcublas.so.13", List.of("libcublasLt.so.13"), List.of(), true),
    CUDNN("cuDNN", "libcudnn.so.9", List.of("libcudnn_graph.so.9"),
            List.of("libcudnn_engines_precompiled.so.9", "libcudnn_engines_runtime_compiled.so.9",
                    "libcudnn_heuristic.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9", "libcudnn_adv.so.9"),
            true);

    private final String title;
    private final String fileName;
    private final List<String> requiredSiblings;
    private final List<String> optionalSiblings;
    private final boolean shippedByPythonPackages;

    NativeLibrary(String title, String fileName, List<String> requiredSiblings, List<String> optionalSiblings,
                  boolean shippedByPythonPackages) {
        this.title = title;
        this.fileName = fileName;
        this.requiredSiblings = requiredSiblings;
        this.optionalSiblings = optionalSiblings;
        this.shippedByPythonPackages = shippedByPythonPackages;
    }

    /** Human name: "CUDA driver", "cuBLAS", "cuDNN". */
    public String title() {
        return title;
    }

    /** The file looked for, by its soname: "libcuda.so.1", "libcublas.so.13", "libcudnn.so.9". */
    public String fileName() {
        return fileName;
    }

    /** Siblings that must sit in the same directory; loaded first, in order. */
    public List<String> requiredSiblings() {
        return requiredSiblings;
    }

    /** Siblings loaded first when present; cuDNN opens them on demand and finds them loaded. */
    public List<String> optionalSiblings() {
        return optionalSiblings;
    }

    /** Whether Python's nvidia-* wheels contain this library (they hold cuBLAS and cuDNN, not the driver). */
    public boolean shippedByPythonPackages() {
        return shippedByPythonPackages;
    }
}
