package dev.strix.layers.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.layers.GradientCheck;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LossGradientTest {
    private static final Backend CPU = Backends.cpu();
    private static final int[] LABELS = {2, 0, 4};

    private static float[] logits(SplittableRandom random) {
        float[] z = new float[3 * 5];
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) (random.nextDouble() * 4 - 2);
        }
        return z;
    }

    /** Rows of positive probabilities summing to one, none near zero. */
    private static float[] probabilities(SplittableRandom random) {
        float[] p = new float[3 * 5];
        for (int r = 0; r < 3; r++) {
            double sum = 0;
            for (int k = 0; k < 5; k++) {
                p[r * 5 + k] = (float) (0.5 + random.nextDouble());
                sum += p[r * 5 + k];
            }
            for (int k = 0; k < 5; k++) {
                p[r * 5 + k] /= (float) sum;
            }
        }
        return p;
    }

    @Test
    void softmaxCrossEntropyGradientMatchesCentralDifferences() {
        SplittableRandom random = new SplittableRandom(1);
        try (SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(CPU); Tensor z = Tensor.of(CPU, logits(random), 3, 5);
             Tensor t = Tensor.ofInts(CPU, LABELS, 3)) {
            loss.forward(z, t);
            float[] analytic = loss.backward().toFloatArray();
            double[] numeric = GradientCheck.numeric(z, () -> loss.forward(z, t).get());
            GradientCheck.compare("softmax cross-entropy", analytic, numeric);
        }
    }

    @Test
    void softmaxCrossEntropyIsTheMeanNegativeLogLikelihood() {
        float[] z = {1, 2, 3, /**/ 0, 0, 0};
        try (SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(CPU); Tensor tz = Tensor.of(CPU, z, 2, 3);
             Tensor t = Tensor.ofInts(CPU, new int[] {2, 1}, 2)) {
            double first = -(3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)));
            double second = Math.log(3);
            assertEquals((first + second) / 2, loss.forward(tz, t).get(), 1e-6);
        }
    }

    @Test
    void categoricalCrossEntropyGradientMatchesCentralDifferences() {
        SplittableRandom random = new SplittableRandom(2);
        float[] oneHot = new float[15];
        for (int r = 0; r < 3; r++) {
            oneHot[r * 5 + LABELS[r]] = 1;
        }
        try (CategoricalCrossEntropy loss = new CategoricalCrossEntropy(CPU);
             Tensor p = Tensor.of(CPU, probabilities(random), 3, 5); Tensor labels = Tensor.ofInts(CPU, LABELS, 3);
             Tensor targets = Tensor.of(CPU, oneHot, 3, 5)) {
            for (Tensor t : new Tensor[] {labels, targets}) {
                loss.forward(p, t);
                float[] analytic = loss.backward().toFloatArray();
                // Central differences with a step that suits probabilities near 0.2.
                double[] numeric = GradientCheck.numeric(p, () -> loss.forward(p, t).get());
                GradientCheck.compare("categorical cross-entropy with " + t.dtype() + " targets", analytic, numeric);
            }
        }
    }

    @Test
    void labelsOfTheWrongLengthNameTheLossAndBothShapes() {
        try (SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(CPU); Tensor z = Tensor.of(CPU, new float[6], 2, 3);
             Tensor t = Tensor.ofInts(CPU, new int[] {0, 1, 2}, 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loss.forward(z, t));
            assertTrue(e.getMessage().contains("SoftmaxCrossEntropy") && e.getMessage().contains("[2, 3]")
                    && e.getMessage().contains("[3]"), e.getMessage());
        }
    }

    @Test
    void backwardBeforeForwardFails() {
        try (CategoricalCrossEntropy loss = new CategoricalCrossEntropy(CPU)) {
            assertThrows(IllegalStateException.class, loss::backward);
        }
    }
}
