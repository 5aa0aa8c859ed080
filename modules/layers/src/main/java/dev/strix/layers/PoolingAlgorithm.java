package dev.strix.layers;

/** How {@link MaxPool2D} pools and routes its gradient; both give the same numbers for distinct values. */
public enum PoolingAlgorithm {
    /**
     * The forward pass records each window's argmax ({@link dev.strix.tensor.Pooling}, our kernels
     * on CUDA); the backward pass routes each gradient there alone. Can be fused with a preceding
     * convolution and ReLU in a {@link Sequential}.
     */
    ARGMAX,
    /**
     * One library call each way with no argmax kept ({@link dev.strix.tensor.DirectPooling}: cuDNN's
     * max pooling on CUDA, the reference loops on the CPU); the backward pass finds each window's
     * maximum again from the layer's input and output.
     */
    CUDNN
}
