/**
 * The CUDA backend: device memory, one stream on the primary context, cuBLAS GEMM and our own
 * kernels (embedded as a fatbin), reached through the FFM bindings of {@code dev.strix.bindings}.
 *
 * <p>It registers itself as a {@link dev.strix.tensor.spi.BackendProvider}; on a machine without a
 * GPU its availability says why, and {@link dev.strix.tensor.Backends#best()} falls back to the CPU.
 */
module dev.strix.cuda {
    requires transitive dev.strix.tensor;
    requires dev.strix.bindings;

    exports dev.strix.cuda;

    provides dev.strix.tensor.spi.BackendProvider with dev.strix.cuda.CudaBackendProvider;
}
