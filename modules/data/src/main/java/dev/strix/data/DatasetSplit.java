package dev.strix.data;

/** A training set and the validation set held out of it. */
public record DatasetSplit(ImageDataset training, ImageDataset validation) {
}
