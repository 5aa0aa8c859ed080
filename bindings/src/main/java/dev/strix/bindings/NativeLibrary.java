package dev.strix.bindings;

import java.util.List;

/**
 * The NVIDIA libraries the CUDA backend loads, with the siblings each one needs loaded first.
 *
 * <p>Siblings are loaded from the same directory before the library itself, so that the dynamic
 * linker resolves the library's own dependencies (libcublasLt for cuBLAS, libcudnn_graph and the
 * per-family sub-libraries that libcudnn opens lazily for cuDNN) to that directory, whatever
 * LD_LIBRARY_PATH says.
 *
 * <p>A library may come in more than one {@link Edition}, tried in order: cuBLAS 13 first, then
 * cuBLAS 12, whose twelve functions that strix calls (handle, stream, workspace, math mode, status
 * strings, SGEMM and strided-batched SGEMM) have the same signatures and constants, and which a CUDA
 * 13 driver runs. That covers a Python environment whose PyTorch (and so whose {@code nvidia-*}
 * packages) was built for CUDA 12.
 */
public enum NativeLibrary {
    /** The driver API (part of the NVIDIA driver, never of a toolkit or Python package). */
    CUDA_DRIVER("CUDA driver", List.of(new Edition("libcuda.so.1", List.of())), List.of(), false),
    CUBLAS("cuBLAS", List.of(new Edition("libcublas.so.13", List.of("libcublasLt.so.13")),
            new Edition("libcublas.so.12", List.of("libcublasLt.so.12"))), List.of(), true),
    CUDNN("cuDNN", List.of(new Edition("libcudnn.so.9", List.of("libcudnn_graph.so.9"))),
            List.of("libcudnn_engines_precompiled.so.9", "libcudnn_engines_runtime_compiled.so.9",
                    "libcudnn_heuristic.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9", "libcudnn_adv.so.9"),
            true);

    /** One build of a library strix can use: its soname and the siblings that must sit beside it. */
    public record Edition(String fileName, List<String> requiredSiblings) {
    }

    private final String title;
    private final List<Edition> editions;
    private final List<String> optionalSiblings;
    private final boolean shippedByPythonPackages;

    NativeLibrary(String title, List<Edition> editions, List<String> optionalSiblings,
                  boolean shippedByPythonPackages) {
        this.title = title;
        this.editions = editions;
        this.optionalSiblings = optionalSiblings;
        this.shippedByPythonPackages = shippedByPythonPackages;
    }

    /** Human name: "CUDA driver", "cuBLAS", "cuDNN". */
    public String title() {
        return title;
    }

    /** The editions looked for, preferred first. */
    public List<Edition> editions() {
        return editions;
    }

    /** The preferred edition's file, by its soname: "libcuda.so.1", "libcublas.so.13", "libcudnn.so.9". */
    public String fileName() {
        return editions.getFirst().fileName();
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
