/** The strix-mnist command-line trainer. */
module dev.strix.mnist {
    requires dev.strix.tensor;
    requires dev.strix.layers;
    requires dev.strix.optim;
    requires dev.strix.data;
}
