package dev.strix.mnist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
        String python = pythonWithTorch();
        assumeTrue(python != null, "no python3 (on PATH or /usr/bin) imports torch and numpy; Debian: python3-torch");

        Path checkpoint = dir.resolve(model);
        CliRun train = CliRun.of("train", "--data-dir", data.toString(), "--device", "cpu", "--model", model,
                "--epochs", "1", "--limit", "8", "--no-test-each-epoch", "--checkpoint-dir", checkpoint.toString());
        assertEquals(0, train.status(), train.out() + train.err());
        Path logits = checkpoint.resolve("logits.safetensors");
        CliRun eval = CliRun.of("eval", "--data-dir", data.toString(), "--device", "cpu", "--checkpoint",
                checkpoint.toString(), "--export-logits", logits.toString());
        assertEquals(0, eval.status(), eval.out() + eval.err());

        Process p = new ProcessBuilder(python, referenceScript("compare_checkpoint.py").toString(), "--checkpoint", checkpoint.toString(),
                "--data-dir", data.toString(), "--strix-logits", logits.toString(), "--device", "cpu")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "compare_checkpoint.py did not finish:\n" + out);
        System.out.println("[strix] " + python + " tools/reference/compare_checkpoint.py, model " + model + ":\n" + out);
        assertEquals(0, p.exitValue(), out);
        Matcher summary = Pattern.compile("compare: agreement_pct=([0-9.]+) max_abs_logit_diff=([0-9.e+-]+) .* result=PASS")
                .matcher(out);
        assertTrue(summary.find(), out);
        assertEquals(100.0, Double.parseDouble(summary.group(1)), 0.05, "agreement, in percent");
        assertTrue(Double.parseDouble(summary.group(2)) < 1e-4, "largest logit difference " + summary.group(2));
    }

    /** python3 on PATH, else /usr/bin/python3 (Debian's, where python3-torch installs), if it imports torch. */
    static String pythonWithTorch() {
        for (String candidate : List.of("python3", "/usr/bin/python3")) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import torch, numpy")
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return candidate;
                }
                p.destroyForcibly();
            } catch (IOException e) {
                // not there: try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    /** tools/reference/NAME, found above the working directory. */
    static Path referenceScript(String name) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("tools/reference").resolve(name);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError("tools/reference/" + name + " not found above " + Path.of("").toAbsolutePath());
    }
}
