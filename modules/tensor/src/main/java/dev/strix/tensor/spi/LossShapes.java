package dev.strix.tensor.spi;

import dev.strix.tensor.Tensor;

/**
 * The shape checks of {@link dev.strix.tensor.Losses}, shared by every backend so that all of them
 * refuse the same mistakes with the same words (each backend checks dtypes and placement itself).
 */
public final class LossShapes {
    private LossShapes() {
    }

    /** Predictions and a second operand: both {@code [N, K]}, the same shape. */
    public static void rows(String op, Tensor a, Tensor b) {
        if (a.rank() != 2 || !a.shape().equals(b.shape())) {
            throw new IllegalArgumentException(op + " needs [N, K] tensors of the same shape, got " + a.shape()
                    + " and " + b.shape());
        }
    }

    /** Labels {@code [N]} for predictions {@code [N, K]}. */
    public static void labels(String op, Tensor predictions, Tensor labels) {
        if (labels.rank() != 1 || labels.dim(0) != predictions.dim(0)) {
            throw new IllegalArgumentException(op + ": labels must be [" + predictions.dim(0) + "] for predictions "
                    + predictions.shape() + ", got " + labels.shape());
        }
    }

    /** The loss: one element. */
    public static void scalar(String op, Tensor loss) {
        if (loss.size() != 1) {
            throw new IllegalArgumentException(op + ": the loss must be a one-element tensor, got " + loss.shape());
        }
    }

    /** A running tally: {@code [2]} (loss sum, correct rows). */
    public static void tally(String op, Tensor tally) {
        if (tally.rank() != 1 || tally.dim(0) != 2) {
            throw new IllegalArgumentException(op + ": the tally must be a float32 [2] (loss sum, correct rows), got "
                    + tally.shape());
        }
    }

    /** The message for label {@code label} of row {@code row}, outside {@code [0, classes)}. */
    public static String badLabel(long row, int label, int classes) {
        return "label " + label + " of row " + row + " is not a class index in [0, " + classes + ")";
    }
}
