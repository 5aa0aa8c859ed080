package dev.strix.data.mnist;

import dev.strix.data.ImageDataset;

/** The training and test sets of an MNIST-format dataset, and where they came from. */
public record MnistData(DatasetSource source, ImageDataset training, ImageDataset test) {
}
