package dev.strix.mnist.report;

/**
 * A test digit the model got wrong: its 28x28 pixels (row-major uint8, ink bright as in MNIST), the
 * true and predicted classes, and the probability the model gave its prediction.
 */
public record Misclassified(byte[] pixels, int trueLabel, int predicted, double confidence) {
    public static final int SIDE = 28;

    public Misclassified {
        if (pixels.length != SIDE * SIDE) {
            throw new IllegalArgumentException("a misclassified digit needs " + SIDE * SIDE + " pixels, got " + pixels.length);
        }
    }
}
