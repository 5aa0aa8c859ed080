package dev.strix.mnist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strix.data.Normalization;
import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Mode;
import dev.strix.layers.Parameter;
import dev.strix.layers.Sequential;
import dev.strix.layers.checkpoint.SafeTensorsWriter;
import dev.strix.layers.loss.SoftmaxCrossEntropy;
import dev.strix.mnist.train.Architectures;
import dev.strix.mnist.train.ModelCheckpoint;
import dev.strix.optim.Adam;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * strix's whole training step against PyTorch autograd (tools/reference/compare_step.py), tensor by
 * tensor: from the same weights and batch, the loss, every parameter's gradient, batch norm's running
 * statistics, and the parameters after two Adam steps, each within 1e-4 of the tensor's largest value.
 * The layer tests check each backward pass against finite differences; this checks the model as a
 * whole, fused passes included, against an independent implementation. Runs where a python3 imports
 * torch (Debian: python3-torch); elsewhere it is skipped with the reason.
 */
class PyTorchTrainingStepTest {
    private static final int BATCH = 32;

    @TempDir
    static Path dir;

    @ParameterizedTest(name = "model {0}")
    @ValueSource(strings = {"default", "reference"})
    void gradientsAndAdamStepsMatchPyTorch(String id) throws Exception {
        String python = PyTorchCrossCheckTest.pythonWithTorch();
        assumeTrue(python != null, "no python3 (on PATH or /usr/bin) imports torch and numpy; Debian: python3-torch");
        Backend cpu = Backends.cpu();
        Architectures architecture = Architectures.byId(id);
        Path before = dir.resolve(id + "-before");
        Path stepFile = dir.resolve(id + "-step.safetensors");
        SplittableRandom random = new SplittableRandom(11);
        float[] pixels = new float[BATCH * 28 * 28];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) (random.nextGaussian());
        }
        int[] classes = random.ints(BATCH, 0, 10).toArray();
        Map<String, Tensor> step = new LinkedHashMap<>();
        try (Sequential model = architecture.build(cpu, ConvAlgorithm.IM2COL_GEMM, 5);
             SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(cpu);
             Tensor images = Tensor.of(cpu, pixels, BATCH, 1, 28, 28);
             Tensor labels = Tensor.ofInts(cpu, classes, BATCH)) {
            ModelCheckpoint.save(before, model, architecture, new Normalization(0f, 1f), 0, null, Map.of());
            Adam adam = new Adam(model.parameters(), 1e-3);
            step.put("images", copy(cpu, images));
            step.put("labels", labels);
            step.put("loss", copy(cpu, loss.forward(model.forward(images, Mode.TRAINING), labels)));
            model.backward(loss.backward());
            for (Parameter p : model.parameters()) {
                step.put("grad." + p.name(), copy(cpu, p.gradient()));
            }
            for (Map.Entry<String, Tensor> buffer : model.buffers().entrySet()) {
                step.put("after_forward." + buffer.getKey(), copy(cpu, buffer.getValue()));
            }
            adam.step();
            loss.forward(model.forward(images, Mode.TRAINING), labels);
            model.backward(loss.backward());
            adam.step();
            for (Parameter p : model.parameters()) {
                step.put("after_adam." + p.name(), copy(cpu, p.value()));
            }
            SafeTensorsWriter.save(stepFile, step, Map.of());
        }

        Process p = new ProcessBuilder(python, PyTorchCrossCheckTest.referenceScript("compare_step.py").toString(),
                "--checkpoint", before.toString(), "--step", stepFile.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "compare_step.py did not finish:\n" + out);
        System.out.println("[strix] " + python + " tools/reference/compare_step.py, model " + id + ":\n" + out);
        assertEquals(0, p.exitValue(), out);
        Matcher summary = Pattern.compile("step: tensors=(\\d+) failed=0 .* result=PASS").matcher(out);
        assertTrue(summary.find(), out);
        int parameters = (int) step.keySet().stream().filter(k -> k.startsWith("grad.")).count();
        int buffers = (int) step.keySet().stream().filter(k -> k.startsWith("after_forward.")).count();
        assertEquals(1 + 2 * parameters + buffers, Integer.parseInt(summary.group(1)), "every tensor compared");
    }

    /** A copy that later steps cannot overwrite (layers reuse their buffers). */
    private static Tensor copy(Backend cpu, Tensor t) {
        int[] dims = t.shape().dims();
        return Tensor.of(cpu, t.toFloatArray(), dims.length == 0 ? new int[] {1} : dims);
    }
}
