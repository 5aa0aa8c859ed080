package dev.strix.compare;

/**
 * One Java deep-learning stack training the reference network (conv 3x3 32 + ReLU, max-pool 2,
 * conv 3x3 64 + ReLU, max-pool 2, flatten 1600, dense 128 + ReLU, dense 10, softmax
 * cross-entropy; Adam, learning rate 1e-3; float32) on batches the harness hands it.
 */
interface TrainingStack extends AutoCloseable {
    /** The stack and the versions it runs, e.g. "DJL 0.36.0 + PyTorch 2.7.1 (cpu)". */
    String description();

    /**
     * One Adam step on {@code n} images ({@code n x 1 x 28 x 28} normalised pixels, row-major in
     * {@code images}) with class labels {@code labels[0..n)}.
     */
    void trainStep(float[] images, int[] labels, int n);

    /** The predicted class of each of {@code n} images, written to {@code predicted}. */
    void predict(float[] images, int n, int[] predicted);

    @Override
    void close();
}
