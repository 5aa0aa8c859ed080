package dev.strix.mnist.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Sequential;
import dev.strix.layers.loss.SoftmaxCrossEntropy;
import dev.strix.optim.Adam;
import dev.strix.optim.Optimizer;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The step profile: one row per pass in forward order, the loss and the optimizer, medians, shares. */
class StepProfileTest {
    @Test
    void theTableAlignsMediansAndSharesAndSumsTheStep() {
        StepProfile p = new StepProfile(List.of(
                new StepProfile.Row("layers 0-2: conv + ReLU + pool", 1.0, 2.5),
                new StepProfile.Row("layer 3: Flatten", 0.0, 0.25),
                new StepProfile.Row("loss: softmax cross-entropy", 0.125, 0.125),
                new StepProfile.Row("optimizer step: Adam", Double.NaN, 1.0)), 3);
        String nl = System.lineSeparator();
        assertEquals("profile: median of 3 steps run op by op (on a GPU: device time between events, launch gaps"
                + " included)" + nl
                + "  pass                            forward ms  backward ms   share" + nl
                + "  layers 0-2: conv + ReLU + pool       1.000        2.500   70.0%" + nl
                + "  layer 3: Flatten                     0.000        0.250    5.0%" + nl
                + "  loss: softmax cross-entropy          0.125        0.125    5.0%" + nl
                + "  optimizer step: Adam                     -        1.000   20.0%" + nl
                + "  step (sum of the medians)            1.125        3.875  100.0%" + nl, p.table());
    }

    @Test
    void aCpuStepHasEveryPassOnceInForwardOrderThenTheLossAndTheOptimizer() {
        Backend cpu = Backends.cpu();
        try (Sequential net = Architectures.REFERENCE.build(cpu, ConvAlgorithm.IM2COL_GEMM, 1);
             SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(cpu);
             Optimizer adam = new Adam(net.parameters(), 1e-3);
             Tensor images = Tensor.zeros(cpu, dev.strix.tensor.DType.F32, 8, 1, 28, 28);
             Tensor labels = Tensor.ofInts(cpu, new int[] {0, 1, 2, 3, 4, 5, 6, 7}, 8)) {
            StepProfile p = StepProfile.measure(cpu, net, loss, adam, images, labels, 3);
            List<String> names = p.rows().stream().map(StepProfile.Row::what).toList();
            // Reference network on the CPU: two fused conv + ReLU + pool blocks, Flatten, dense + ReLU, dense.
            assertEquals(7, names.size(), names.toString());
            assertTrue(names.get(0).startsWith("layers 0-2: ") && names.get(1).startsWith("layers 3-5: ")
                    && names.get(2).equals("layer 6: Flatten") && names.get(3).startsWith("layers 7-8: ")
                    && names.get(4).startsWith("layer 9: Dense"), names.toString());
            assertEquals(List.of("loss: softmax cross-entropy", "optimizer step: Adam"), names.subList(5, 7));
            for (StepProfile.Row r : p.rows()) {
                boolean optimizer = r.what().startsWith("optimizer");
                assertTrue(optimizer ? Double.isNaN(r.forwardMs()) : r.forwardMs() >= 0, r.toString());
                assertTrue(r.backwardMs() >= 0, r.toString());
            }
            assertTrue(p.table().contains("step (sum of the medians)"), p.table());
            assertThrows(IllegalArgumentException.class, () -> StepProfile.measure(cpu, net, loss, adam, images, labels, 0));
        }
    }
}
