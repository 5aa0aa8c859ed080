package dev.strix.optim;

import static dev.strix.optim.Scalars.parameter;
import static dev.strix.optim.Scalars.setGradient;
import static dev.strix.optim.Scalars.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.layers.Parameter;
import dev.strix.optim.schedule.StepDecay;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SGD against values worked out by hand from PyTorch's rule (d = g + wd p; buf = d on the first
 * step, else momentum buf + (1 - dampening) d; d = nesterov ? d + momentum buf : buf; p -= lr d),
 * with lr 0.1, starting from p = 1, on the gradients 0.5, -0.25, 1.
 */
class SGDTest {
    private static final double TOLERANCE = 1e-6;
    private static final float[] GRADIENTS = {0.5f, -0.25f, 1f};

    private static void run(Optimizer optimizer, Parameter p, double[] expected) {
        for (int step = 0; step < expected.length; step++) {
            setGradient(p, GRADIENTS[step]);
            optimizer.step();
            assertEquals(expected[step], value(p), TOLERANCE, "p after step " + (step + 1));
        }
    }

    @Test
    void plainWithWeightDecay() {
        try (Parameter p = parameter("w", 1f); SGD sgd = SGD.builder(List.of(p)).learningRate(0.1).weightDecay(0.01).build()) {
            // Step 1: d = 0.5 + 0.01*1 = 0.51; p = 1 - 0.1*0.51 = 0.949
            // Step 2: d = -0.25 + 0.01*0.949 = -0.24051; p = 0.949 + 0.024051 = 0.973051
            run(sgd, p, new double[] {0.949, 0.973051});
            assertTrue(sgd.state().tensors().isEmpty(), "SGD without momentum keeps no state");
        }
    }

    @Test
    void momentumWithWeightDecay() {
        try (Parameter p = parameter("w", 1f);
             SGD sgd = SGD.builder(List.of(p)).learningRate(0.1).momentum(0.9).weightDecay(0.01).build()) {
            // Step 1: d = 0.5 + 0.01 = 0.51; buf = d = 0.51; p = 1 - 0.051 = 0.949
            // Step 2: d = -0.25 + 0.00949 = -0.24051; buf = 0.9*0.51 - 0.24051 = 0.459 - 0.24051 = 0.21849;
            //         p = 0.949 - 0.021849 = 0.927151
            // Step 3: d = 1 + 0.00927151 = 1.00927151; buf = 0.9*0.21849 + 1.00927151 = 0.196641 + 1.00927151
            //         = 1.20591251; p = 0.927151 - 0.120591251 = 0.806559749
            run(sgd, p, new double[] {0.949, 0.927151, 0.806559749});
            assertEquals(1.20591251, sgd.state().tensors().get("w.momentum_buffer").get(0), TOLERANCE, "buffer");
        }
    }

    @Test
    void nesterovWithWeightDecay() {
        try (Parameter p = parameter("w", 1f); SGD sgd = SGD.builder(List.of(p)).learningRate(0.1).momentum(0.9)
                .nesterov(true).weightDecay(0.01).build()) {
            // Step 1: d = 0.51; buf = 0.51; d = 0.51 + 0.9*0.51 = 0.969; p = 1 - 0.0969 = 0.9031
            // Step 2: d = -0.25 + 0.009031 = -0.240969; buf = 0.459 - 0.240969 = 0.218031;
            //         d = -0.240969 + 0.9*0.218031 = -0.240969 + 0.1962279 = -0.0447411;
            //         p = 0.9031 + 0.00447411 = 0.90757411
            // Step 3: d = 1 + 0.0090757411 = 1.0090757411; buf = 0.1962279 + 1.0090757411 = 1.2053036411;
            //         d = 1.0090757411 + 0.9*1.2053036411 = 1.0090757411 + 1.08477327699 = 2.09384901809;
            //         p = 0.90757411 - 0.209384901809 = 0.698189208191
            run(sgd, p, new double[] {0.9031, 0.90757411, 0.698189208191});
            assertEquals(1.2053036411, sgd.state().tensors().get("w.momentum_buffer").get(0), TOLERANCE, "buffer");
        }
    }

    @Test
    void dampeningSparesTheFirstStep() {
        try (Parameter p = parameter("w", 1f);
             SGD sgd = SGD.builder(List.of(p)).learningRate(0.1).momentum(0.9).dampening(0.5).build()) {
            // Step 1: buf = d = 0.5 (PyTorch copies the first d undamped); p = 1 - 0.05 = 0.95
            // Step 2: buf = 0.9*0.5 + 0.5*(-0.25) = 0.45 - 0.125 = 0.325; p = 0.95 - 0.0325 = 0.9175
            // Step 3: buf = 0.9*0.325 + 0.5*1 = 0.2925 + 0.5 = 0.7925; p = 0.9175 - 0.07925 = 0.83825
            run(sgd, p, new double[] {0.95, 0.9175, 0.83825});
        }
    }

    @Test
    void eachStepUsesTheSchedulesRateForItsIndex() {
        try (Parameter p = parameter("w", 0f);
             SGD sgd = SGD.builder(List.of(p)).schedule(new StepDecay(1.0, 2, 0.5)).build()) {
            // Rates 1, 1, 0.5, 0.5, 0.25 with gradient 1 every time: p = -(1 + 1 + 0.5 + 0.5 + 0.25) = -3.25
            double[] rates = {1, 1, 0.5, 0.5, 0.25};
            for (double rate : rates) {
                assertEquals(rate, sgd.learningRate(), 0, "rate before step " + sgd.stepCount());
                setGradient(p, 1f);
                sgd.step();
            }
            assertEquals(-3.25, value(p), 0, "sum of exact binary steps");
        }
    }

    @Test
    void settingsOutsidePyTorchsRangesAreRefused() {
        try (Parameter p = parameter("w", 1f)) {
            List<Parameter> ps = List.of(p);
            assertThrows(IllegalArgumentException.class, () -> SGD.builder(ps).nesterov(true).build(),
                    "Nesterov without momentum");
            assertThrows(IllegalArgumentException.class,
                    () -> SGD.builder(ps).momentum(0.9).dampening(0.1).nesterov(true).build(), "Nesterov with dampening");
            assertThrows(IllegalArgumentException.class, () -> SGD.builder(ps).momentum(-0.9).build());
            assertThrows(IllegalArgumentException.class, () -> SGD.builder(ps).weightDecay(-1).build());
            assertThrows(IllegalArgumentException.class, () -> new SGD(ps, Double.NaN));
            assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(p, p.renamed("w")), 0.1),
                    "duplicate parameter names");
        }
    }
}
