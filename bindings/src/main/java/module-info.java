/** FFM bindings to the CUDA driver API, cuBLAS and cuDNN (jextract output), and the loader that finds them. */
module dev.strix.bindings {
}
