/** IDX files, MNIST download and cache, batching, augmentation. */
module dev.strix.data {
    requires transitive dev.strix.tensor;
}
