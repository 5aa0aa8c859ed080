package dev.strix.mnist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.strix.optim.Optimizer;
import dev.strix.optim.SGD;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * strix's whole training step against PyTorch autograd (tools/reference/compare_step.py), tensor by
 * tensor: from the same weights and batch, the loss, every parameter's gradient, batch norm's running
 * statistics, and the parameters after two optimizer steps (Adam, Adam with L2, AdamW, SGD with Nesterov
 * momentum and weight decay), each within 1e-4 of the tensor's largest value.
 * The layer tests check each backward pass against finite differences; this checks the model as a
 * whole, fused passes included, against an independent implementation: on the CPU, and on CUDA (a
 * GPU, or the emulator) with our kernels and cuBLAS and with cuDNN's convolutions, always against
 * PyTorch on the CPU in strict float32. Runs where a python3 imports torch (Debian: python3-torch)
 * and, for the CUDA cases, where the CUDA backend is available; elsewhere each case is skipped with
 * the reason. {@code -Dstrix.reference.dir=DIR} says where compare_step.py lies (the GPU bundle's
 * reference/); by default tools/reference above the working directory.
 */
class PyTorchTrainingStepTest {
    private static final int BATCH = 32;

    @TempDir
    static Path dir;

    @ParameterizedTest(name = "model {0} on {1}, conv {2}, {3}")
    @CsvSource({"default, cpu, IM2COL_GEMM, adam", "reference, cpu, IM2COL_GEMM, adam",
            "reference, cpu, IM2COL_GEMM, adam-l2", "reference, cpu, IM2COL_GEMM, adamw",
            "default, cpu, IM2COL_GEMM, sgd", "default, cuda, IM2COL_GEMM, adam", "reference, cuda, IM2COL_GEMM, adam",
            "default, cuda, CUDNN, adam", "reference, cuda, STRIDED_VIEW, sgd"})
    void gradientsAndOptimizerStepsMatchPyTorch(String id, String device, ConvAlgorithm algorithm, String optimizer)
            throws Exception {
        PyTorchReference.pythonOrSkip();
        Backend backend = PyTorchReference.backendOrSkip(device);
        Backend cpu = Backends.cpu();
        Architectures architecture = Architectures.byId(id);
        String name = id + "-" + device + "-" + algorithm + "-" + optimizer;
        Path before = dir.resolve(name + "-before");
        Path stepFile = dir.resolve(name + "-step.safetensors");
        SplittableRandom random = new SplittableRandom(11);
        float[] pixels = new float[BATCH * 28 * 28];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) (random.nextGaussian());
        }
        int[] classes = random.ints(BATCH, 0, 10).toArray();
        Map<String, Tensor> step = new LinkedHashMap<>();
        try (Sequential model = architecture.build(backend, algorithm, 5);
             SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(backend);
             Tensor images = Tensor.of(backend, pixels, BATCH, 1, 28, 28);
             Tensor labels = Tensor.ofInts(backend, classes, BATCH)) {
            ModelCheckpoint.save(before, model, architecture, new Normalization(0f, 1f), 0, null, Map.of());
            Optimizer adam = optimizer(optimizer, model.parameters());
            step.put("images", copy(cpu, images));
            step.put("labels", Tensor.ofInts(cpu, classes, BATCH));
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
                step.put("after_steps." + p.name(), copy(cpu, p.value()));
            }
            SafeTensorsWriter.save(stepFile, step, Map.of("optimizer", optimizer));
        }

        String out = PyTorchReference.run("compare_step.py", "model " + id + " on " + backend.describe() + ", conv "
                + algorithm, List.of("--checkpoint", before.toString(), "--step", stepFile.toString()));
        Matcher summary = Pattern.compile("step: tensors=(\\d+) failed=0 .* result=PASS").matcher(out);
        assertTrue(summary.find(), out);
        int parameters = (int) step.keySet().stream().filter(k -> k.startsWith("grad.")).count();
        int buffers = (int) step.keySet().stream().filter(k -> k.startsWith("after_forward.")).count();
        assertEquals(1 + 2 * parameters + buffers, Integer.parseInt(summary.group(1)), "every tensor compared");
    }

    /** The optimizers compare_step.py knows, with the same settings. */
    private static Optimizer optimizer(String name, List<Parameter> parameters) {
        return switch (name) {
            case "adam" -> new Adam(parameters, 1e-3);
            case "adam-l2" -> Adam.builder(parameters).learningRate(1e-3).weightDecay(1e-2).build();
            case "adamw" -> Adam.builder(parameters).learningRate(1e-2).weightDecay(0.5).decoupled(true).build();
            case "sgd" -> SGD.builder(parameters).learningRate(5e-2).momentum(0.9).nesterov(true).weightDecay(1e-3)
                    .build();
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** A host copy that later steps cannot overwrite (layers reuse their buffers). */
    private static Tensor copy(Backend cpu, Tensor t) {
        int[] dims = t.shape().dims();
        return Tensor.of(cpu, t.toFloatArray(), dims.length == 0 ? new int[] {1} : dims);
    }
}
