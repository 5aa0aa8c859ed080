/** Optimizers and learning-rate schedules. */
module dev.strix.optim {
    requires transitive dev.strix.tensor;
    requires transitive dev.strix.layers;
}
