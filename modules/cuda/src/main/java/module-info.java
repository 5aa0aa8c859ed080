/** The CUDA backend: device memory, streams, cuBLAS / cuDNN / own-kernel dispatch. */
module dev.strix.cuda {
    requires dev.strix.tensor;
    requires dev.strix.bindings;
}
