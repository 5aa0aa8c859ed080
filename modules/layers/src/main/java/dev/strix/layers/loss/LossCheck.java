package dev.strix.layers.loss;

import dev.strix.tensor.DType;
import dev.strix.tensor.Tensor;

/** Argument checks shared by the losses, with messages naming the loss and both shapes. */
final class LossCheck {
    private LossCheck() {
    }

    static void predictions(String loss, Tensor predictions) {
        if (predictions.rank() != 2 || predictions.dtype() != DType.F32) {
            throw new IllegalArgumentException(loss + ": predictions must be F32 [N, K], got " + predictions.dtype()
                    + predictions.shape());
        }
    }

    static void labels(String loss, Tensor predictions, Tensor labels) {
        if (labels.dtype() != DType.I32 || labels.rank() != 1 || labels.dim(0) != predictions.dim(0)) {
            throw new IllegalArgumentException(loss + ": labels must be I32 [" + predictions.dim(0)
                    + "] for predictions " + predictions.shape() + ", got " + labels.dtype() + labels.shape());
        }
    }

    static void forwardDone(String loss, Tensor kept) {
        if (kept == null) {
            throw new IllegalStateException(loss + ": backward called before forward");
        }
    }
}
