package dev.strix.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The step scalars the optimizers write before each update (host arithmetic only). */
class OptimizerStepsTest {
    @Test
    void adamScalarsAreTheBiasCorrectionsAndTheAdamWShrink() {
        float[] adam = new float[OptimizerSteps.ADAM_SCALARS];
        OptimizerSteps.adamScalars(0.01f, 0.9f, 0.999f, 0.1f, false, 1, adam);
        assertEquals((float) (0.01f / (1 - (double) 0.9f)), adam[0], "lr / (1 - beta1^1) in double, rounded once");
        assertEquals((float) Math.sqrt(1 - (double) 0.999f), adam[1], "sqrt(1 - beta2^1)");
        assertEquals(1f, adam[2], "Adam (L2 decay) does not shrink the parameter");

        float[] adamW = new float[OptimizerSteps.ADAM_SCALARS];
        OptimizerSteps.adamScalars(0.01f, 0.9f, 0.999f, 0.1f, true, 2, adamW);
        assertEquals((float) (0.01f / (1 - Math.pow(0.9f, 2))), adamW[0]);
        assertEquals((float) Math.sqrt(1 - Math.pow(0.999f, 2)), adamW[1]);
        assertEquals(1f - 0.01f * 0.1f, adamW[2], "AdamW shrinks by 1 - lr * decay, in float");

        float[] late = new float[OptimizerSteps.ADAM_SCALARS];
        OptimizerSteps.adamScalars(0.01f, 0.9f, 0.999f, 0f, false, 100_000, late);
        assertEquals(0.01f, late[0], "the bias corrections vanish");
        assertEquals(1f, late[1]);
    }

    @Test
    void sgdScalarsAreTheRate() {
        float[] sgd = new float[OptimizerSteps.SGD_SCALARS];
        OptimizerSteps.sgdScalars(0.125f, sgd);
        assertEquals(0.125f, sgd[0]);
    }

    @Test
    void adamCountsStepsFromOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OptimizerSteps.adamScalars(0.01f, 0.9f, 0.999f, 0f, false, 0, new float[3]));
        assertEquals("adam step counts from 1, got 0", e.getMessage());
    }
}
