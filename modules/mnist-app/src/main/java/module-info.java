/** The strix-mnist command-line trainer: commands, image preprocessing, progress display and reports. */
module dev.strix.mnist {
    requires dev.strix.tensor;
    requires dev.strix.layers;
    requires dev.strix.optim;
    requires dev.strix.data;
    requires transitive java.desktop; // ImageFiles.toGray takes a BufferedImage
    requires info.picocli;

    exports dev.strix.mnist.image;
    exports dev.strix.mnist.progress;
    exports dev.strix.mnist.report;

    // picocli creates the commands and sets their annotated fields by reflection.
    opens dev.strix.mnist to info.picocli;
}
