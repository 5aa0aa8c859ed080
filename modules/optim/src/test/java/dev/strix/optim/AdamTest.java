package dev.strix.optim;

import static dev.strix.optim.Scalars.parameter;
import static dev.strix.optim.Scalars.setGradient;
import static dev.strix.optim.Scalars.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strix.layers.Parameter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Adam and AdamW against values worked out by hand from the update rule
 * (m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps))
 * with lr 0.1, betas (0.9, 0.999), eps 1e-8, starting from p = 1 and m = v = 0. The optimizer
 * computes in float32, so agreement to 1e-6 is a few float ulps of p. The second moment gets a
 * looser bound: 0.999f is 0.99900001287, so 1 - beta2 in float is 1.3e-5 (relative) off 0.001;
 * the bias correction cancels that error in p but not in v itself.
 */
class AdamTest {
    private static final double TOLERANCE = 1e-6;
    private static final double V_TOLERANCE = 3e-8;

    @Test
    void firstThreeStepsMatchTheHandComputedRule() {
        try (Parameter p = parameter("w", 1f); Adam adam = Adam.builder(List.of(p)).learningRate(0.1).build()) {
            // Step 1, g = 0.5: m = 0.1*0.5 = 0.05; v = 0.001*0.25 = 0.00025;
            // m_hat = 0.05/0.1 = 0.5; v_hat = 0.00025/0.001 = 0.25; sqrt = 0.5;
            // p = 1 - 0.1*0.5/(0.5 + 1e-8) = 0.90000000199999996
            setGradient(p, 0.5f);
            adam.step();
            assertEquals(0.90000000199999996, value(p), TOLERANCE, "p after step 1");
            assertEquals(0.05, adam.state().tensors().get("w.exp_avg").get(0), TOLERANCE, "m after step 1");
            assertEquals(0.00025, adam.state().tensors().get("w.exp_avg_sq").get(0), V_TOLERANCE, "v after step 1");

            // Step 2, g = -0.25: m = 0.9*0.05 + 0.1*(-0.25) = 0.045 - 0.025 = 0.02;
            // v = 0.999*0.00025 + 0.001*0.0625 = 0.00024975 + 0.0000625 = 0.00031225;
            // m_hat = 0.02/(1-0.81) = 0.02/0.19 = 0.10526315789473684;
            // v_hat = 0.00031225/(1-0.998001) = 0.00031225/0.001999 = 0.15620310155077539;
            // sqrt(v_hat) = 0.39522538070166418;
            // p = 0.90000000199999996 - 0.1*0.10526315789473684/(0.39522538070166418 + 1e-8)
            //   = 0.90000000199999996 - 0.02663370329215380 = 0.87336629870784616
            setGradient(p, -0.25f);
            adam.step();
            assertEquals(0.87336629870784616, value(p), TOLERANCE, "p after step 2");
            assertEquals(0.02, adam.state().tensors().get("w.exp_avg").get(0), TOLERANCE, "m after step 2");
            assertEquals(0.00031225, adam.state().tensors().get("w.exp_avg_sq").get(0), V_TOLERANCE, "v after step 2");

            // Step 3, g = 1: m = 0.9*0.02 + 0.1*1 = 0.018 + 0.1 = 0.118;
            // v = 0.999*0.00031225 + 0.001*1 = 0.00031193775 + 0.001 = 0.00131193775;
            // m_hat = 0.118/(1-0.729) = 0.118/0.271 = 0.43542435424354244;
            // v_hat = 0.00131193775/(1-0.997002999) = 0.00131193775/0.002997001 = 0.43775018760420834;
            // sqrt(v_hat) = 0.66162692478783566;
            // p = 0.87336629870784616 - 0.1*0.43542435424354244/(0.66162692478783566 + 1e-8)
            //   = 0.87336629870784616 - 0.06581115903075655 = 0.80755513967708962
            setGradient(p, 1f);
            adam.step();
            assertEquals(0.80755513967708962, value(p), TOLERANCE, "p after step 3");
            assertEquals(0.118, adam.state().tensors().get("w.exp_avg").get(0), TOLERANCE, "m after step 3");
            assertEquals(0.00131193775, adam.state().tensors().get("w.exp_avg_sq").get(0), V_TOLERANCE, "v after step 3");
            assertEquals(3, adam.stepCount());
        }
    }

    @Test
    void l2WeightDecayEntersTheGradientWhileAdamWShrinksTheParameter() {
        try (Parameter a = parameter("w", 1f); Parameter b = parameter("w", 1f);
             Adam adam = Adam.builder(List.of(a)).learningRate(0.1).weightDecay(0.1).build();
             Adam adamW = Adam.adamW(List.of(b)).learningRate(0.1).weightDecay(0.1).build()) {
            // Adam (L2), step 1, g = 0.5: g' = 0.5 + 0.1*1 = 0.6; m = 0.06; v = 0.00036;
            // m_hat = 0.6; v_hat = 0.36; p = 1 - 0.1*0.6/(0.6 + 1e-8) = 0.90000000166666664
            // AdamW, step 1, g = 0.5: p = 1*(1 - 0.1*0.1) = 0.99, then the undecayed step:
            // p = 0.99 - 0.1*0.5/(0.5 + 1e-8) = 0.89000000199999996
            setGradient(a, 0.5f);
            setGradient(b, 0.5f);
            adam.step();
            adamW.step();
            assertEquals(0.90000000166666664, value(a), TOLERANCE, "Adam with L2 decay, step 1");
            assertEquals(0.89000000199999996, value(b), TOLERANCE, "AdamW, step 1");

            // Adam (L2), step 2, g = -0.25: g' = -0.25 + 0.1*0.90000000166666664 = -0.15999999983333334;
            // m = 0.9*0.06 + 0.1*g' = 0.054 - 0.015999999983 = 0.038000000016666666;
            // v = 0.999*0.00036 + 0.001*g'^2 = 0.00035964 + 0.0000255999999 = 0.00038523999994666667;
            // m_hat = m/0.19 = 0.20000000008771930; v_hat = v/0.001999 = 0.19271635815240954;
            // p = 0.90000000166666664 - 0.1*0.20000000008771930/(0.43899471312580695 + 1e-8)
            //   = 0.90000000166666664 - 0.04555863420490441 = 0.85444136746176223
            // AdamW, step 2, g = -0.25: p = 0.89000000199999996*(1 - 0.01) = 0.88110000198;
            // m = 0.02, v = 0.00031225 as for plain Adam, so the step is 0.02663370329215380 again:
            // p = 0.88110000198 - 0.02663370329215380 = 0.85446629868784616
            setGradient(a, -0.25f);
            setGradient(b, -0.25f);
            adam.step();
            adamW.step();
            assertEquals(0.85444136746176223, value(a), TOLERANCE, "Adam with L2 decay, step 2");
            assertEquals(0.85446629868784616, value(b), TOLERANCE, "AdamW, step 2");
        }
    }

    @Test
    void settingsOutsidePyTorchsRangesAreRefused() {
        try (Parameter p = parameter("w", 1f)) {
            List<Parameter> ps = List.of(p);
            assertThrows(IllegalArgumentException.class, () -> Adam.builder(ps).betas(1.0, 0.999).build());
            assertThrows(IllegalArgumentException.class, () -> Adam.builder(ps).betas(0.9, -0.1).build());
            assertThrows(IllegalArgumentException.class, () -> Adam.builder(ps).epsilon(-1e-8).build());
            assertThrows(IllegalArgumentException.class, () -> Adam.builder(ps).weightDecay(-0.1).build());
            assertThrows(IllegalArgumentException.class, () -> Adam.builder(ps).learningRate(-0.1).build());
            assertThrows(IllegalArgumentException.class, () -> Adam.builder(List.of()).build());
        }
    }
}
