/** Optimizers (SGD, Adam, AdamW) and learning-rate schedules. */
module dev.strix.optim {
    requires transitive dev.strix.tensor;
    requires transitive dev.strix.layers;

    exports dev.strix.optim;
    exports dev.strix.optim.schedule;
}
