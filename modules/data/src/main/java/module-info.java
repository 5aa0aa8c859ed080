/**
 * Data for strix: IDX files (raw or gzip) read with every size checked before allocating, MNIST
 * and Fashion-MNIST downloads verified by checksum into a cache, seeded batching into reusable
 * tensors, and random affine augmentation.
 */
module dev.strix.data {
    requires transitive dev.strix.tensor;
    requires java.net.http;

    exports dev.strix.data;
    exports dev.strix.data.augment;
    exports dev.strix.data.download;
    exports dev.strix.data.idx;
    exports dev.strix.data.mnist;
}
