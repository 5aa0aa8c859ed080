package dev.strix.mnist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cross-check that the GPU bundle runs (tools/reference/compare_checkpoint.py), here on the CPU:
 * a checkpoint strix wrote, loaded into the equivalent PyTorch {@code nn.Sequential}, predicts the
 * same classes as strix on the whole MNIST test set, with logits within 1e-4 (float32 sums in another
 * order give about 1e-5; the script's own bound is 1e-4 of the largest logit, and a wrong batch-norm
 * epsilon in the PyTorch model gives 1.9e-2). Runs where a python3 with torch and NumPy exists
 * (Debian: python3-torch); elsewhere it is skipped with the reason.
 */
class PyTorchCrossCheckTest {
    @TempDir
    static Path dir;

    @ParameterizedTest(name = "model {0}")
    @ValueSource(strings = {"default", "reference"})
    void pytorchPredictsWhatStrixPredicts(String model) throws Exception {
        Path data = TrainEvalPredictTest.sharedMnist();
        assumeTrue(data != null, "shared/data/mnist is not present next to the repository");
        PyTorchReference.pythonOrSkip();

        Path checkpoint = dir.resolve(model);
        CliRun train = CliRun.of("train", "--data-dir", data.toString(), "--device", "cpu", "--model", model,
                "--epochs", "1", "--limit", "8", "--no-test-each-epoch", "--checkpoint-dir", checkpoint.toString());
        assertEquals(0, train.status(), train.out() + train.err());
        Path logits = checkpoint.resolve("logits.safetensors");
        CliRun eval = CliRun.of("eval", "--data-dir", data.toString(), "--device", "cpu", "--checkpoint",
                checkpoint.toString(), "--export-logits", logits.toString());
        assertEquals(0, eval.status(), eval.out() + eval.err());

        String out = PyTorchReference.run("compare_checkpoint.py", "model " + model, List.of("--checkpoint",
                checkpoint.toString(), "--data-dir", data.toString(), "--strix-logits", logits.toString(), "--device", "cpu"));
        Matcher summary = Pattern.compile("compare: agreement_pct=([0-9.]+) max_abs_logit_diff=([0-9.e+-]+) .* result=PASS")
                .matcher(out);
        assertTrue(summary.find(), out);
        assertEquals(100.0, Double.parseDouble(summary.group(1)), 0.05, "agreement, in percent");
        assertTrue(Double.parseDouble(summary.group(2)) < 1e-4, "largest logit difference " + summary.group(2));
    }

}
