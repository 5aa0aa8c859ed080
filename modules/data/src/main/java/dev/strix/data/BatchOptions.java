package dev.strix.data;

import dev.strix.data.augment.Augmentation;
import java.util.Objects;

/**
 * How {@link BatchLoader} cuts a dataset into batches.
 *
 * @param batchSize     images per batch, > 0
 * @param shuffle       whether each epoch visits the images in a new seeded order
 * @param seed          seed for the shuffling and augmentation; same seed, same batches
 * @param dropLast      whether a last batch smaller than batchSize is dropped (else it is kept)
 * @param normalization pixel to float conversion
 * @param augmentation  random affine augmentation ({@link Augmentation#NONE} for none)
 */
public record BatchOptions(int batchSize, boolean shuffle, long seed, boolean dropLast,
                           Normalization normalization, Augmentation augmentation) {
    public BatchOptions {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        Objects.requireNonNull(normalization, "normalization");
        Objects.requireNonNull(augmentation, "augmentation");
    }

    /** Training defaults: shuffled with seed 0, last partial batch kept, scaled to [0, 1], no augmentation. */
    public static BatchOptions training(int batchSize) {
        return new BatchOptions(batchSize, true, 0, false, Normalization.NONE, Augmentation.NONE);
    }

    /** Evaluation defaults: in order, every image once, scaled to [0, 1], no augmentation. */
    public static BatchOptions evaluation(int batchSize) {
        return new BatchOptions(batchSize, false, 0, false, Normalization.NONE, Augmentation.NONE);
    }

    public BatchOptions withShuffle(boolean value) {
        return new BatchOptions(batchSize, value, seed, dropLast, normalization, augmentation);
    }

    public BatchOptions withSeed(long value) {
        return new BatchOptions(batchSize, shuffle, value, dropLast, normalization, augmentation);
    }

    public BatchOptions withDropLast(boolean value) {
        return new BatchOptions(batchSize, shuffle, seed, value, normalization, augmentation);
    }

    public BatchOptions withNormalization(Normalization value) {
        return new BatchOptions(batchSize, shuffle, seed, dropLast, value, augmentation);
    }

    public BatchOptions withAugmentation(Augmentation value) {
        return new BatchOptions(batchSize, shuffle, seed, dropLast, normalization, value);
    }
}
