/**
 * FFM bindings to the CUDA driver API, cuBLAS and cuDNN (jextract output, one header class per
 * library), and the loader that finds those libraries.
 *
 * <p>The generated classes look their symbols up with {@link java.lang.foreign.SymbolLookup#loaderLookup()}:
 * nothing is loaded until {@link dev.strix.bindings.CudaLibraries#load} has found and loaded the
 * library by absolute path, so a machine without CUDA never sees a linkage error.
 */
module dev.strix.bindings {
    exports dev.strix.bindings;
    exports dev.strix.bindings.cuda;
    exports dev.strix.bindings.cublas;
    exports dev.strix.bindings.cudnn;
}
