/** Layers, models, losses and checkpoints. */
module dev.strix.layers {
    requires transitive dev.strix.tensor;

    exports dev.strix.layers;
    exports dev.strix.layers.checkpoint;
    exports dev.strix.layers.loss;
}
