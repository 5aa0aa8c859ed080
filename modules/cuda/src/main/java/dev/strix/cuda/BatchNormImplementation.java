package dev.strix.cuda;

/**
 * Which batch norm {@link CudaBackend#normalization()} is, chosen by the system property
 * {@value #PROPERTY} when the backend is created: {@code kernels} (the default) for our own kernels
 * ({@link CudaNormalization}, which also offer batch norm + ReLU in one pass), {@code cudnn} for
 * cuDNN's ({@link CudnnNormalization}, which has no ReLU flag, so the backend then offers no
 * {@link dev.strix.tensor.BatchNormRelu} and layers run batch norm and ReLU as separate ops).
 */
enum BatchNormImplementation {
    KERNELS,
    CUDNN;

    static final String PROPERTY = "strix.cuda.batchNorm";

    /** The property's value as read now. */
    static BatchNormImplementation fromSystemProperty() {
        return parse(System.getProperty(PROPERTY));
    }

    /** {@code null} (unset) or {@code kernels}, or {@code cudnn}; anything else is refused naming both choices. */
    static BatchNormImplementation parse(String value) {
        if (value == null || value.equals("kernels")) {
            return KERNELS;
        }
        if (value.equals("cudnn")) {
            return CUDNN;
        }
        throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + " is not a batch norm implementation:"
                + " use 'kernels' (our CUDA kernels, the default) or 'cudnn' (cuDNN's batch norm)");
    }
}
