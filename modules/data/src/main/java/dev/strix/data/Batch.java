package dev.strix.data;

import dev.strix.tensor.Tensor;

/**
 * One batch from a {@link BatchLoader}: images float32 [n, 1, rows, cols] and labels int32 [n].
 * The loader reuses this object and its tensors for every step, so a batch is valid until the
 * next call to the loader; copy what must outlive it.
 */
public final class Batch {
    private Tensor images;
    private Tensor labels;
    private int size;
    private int epoch;
    private int index;

    Batch() {
    }

    void set(Tensor images, Tensor labels, int size, int epoch, int index) {
        this.images = images;
        this.labels = labels;
        this.size = size;
        this.epoch = epoch;
        this.index = index;
    }

    /** Float32 [size, 1, rows, cols], normalised (and augmented when asked). */
    public Tensor images() {
        return images;
    }

    /** Int32 [size], the class of each image. */
    public Tensor labels() {
        return labels;
    }

    /** Images in this batch: the batch size, or fewer for a kept last batch. */
    public int size() {
        return size;
    }

    public int epoch() {
        return epoch;
    }

    /** Position of this batch within its epoch, from 0. */
    public int index() {
        return index;
    }

    @Override
    public String toString() {
        return "Batch(epoch " + epoch + ", index " + index + ", size " + size + ")";
    }
}
