package dev.strix.mnist;

import dev.strix.data.ImageDataset;
import dev.strix.data.mnist.MnistData;
import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Sequential;
import dev.strix.layers.checkpoint.SafeTensorsWriter;
import dev.strix.mnist.train.EvaluationResult;
import dev.strix.mnist.train.Evaluator;
import dev.strix.mnist.train.ModelCheckpoint;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code eval}: test-set accuracy, per-class accuracy and confusion matrix of a checkpoint. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate a checkpoint on the test set: accuracy, per-class accuracy, confusion matrix.")
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    DataOptions data;

    @Mixin
    DeviceOption device;

    @Option(names = "--checkpoint", paramLabel = "FILE|DIR", defaultValue = "checkpoints",
            description = "model.safetensors, or the directory holding it (default: ${DEFAULT-VALUE})")
    Path checkpoint;

    @Option(names = "--conv-algo", defaultValue = "IM2COL_GEMM", description = "convolution algorithm (default: ${DEFAULT-VALUE})")
    ConvAlgorithm convAlgorithm;

    @Option(names = "--export-logits", paramLabel = "FILE",
            description = {"also write the test set's logits to FILE (safetensors: 'logits' F32 [count, classes],",
                "'labels' I32 [count]), for tools/reference/compare_checkpoint.py"})
    Path exportLogits;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ModelCheckpoint.Info info = ModelCheckpoint.info(checkpoint);
        Backend backend = device.resolve(out);
        MnistData mnist = data.load(out);
        try (Sequential model = ModelCheckpoint.loadModel(info, backend, convAlgorithm)) {
            ImageDataset test = mnist.test();
            float[] logits = exportLogits == null ? null : new float[test.count() * test.classes()];
            EvaluationResult result = Evaluator.evaluate(model, test, info.normalization(), 0, logits);
            out.printf(Locale.ROOT, "checkpoint %s: model '%s' after epoch %d%n", info.file(), info.architecture().id(),
                    info.epoch());
            out.printf(Locale.ROOT, "test accuracy %.2f%% (%d/%d), test loss %.4f%n", 100 * result.accuracy(),
                    result.confusion().correct(), result.confusion().total(), result.meanLoss());
            out.println();
            out.print(result.confusion().format());
            if (exportLogits != null) {
                writeLogits(exportLogits, test, logits, info, backend);
                out.println("logits: " + exportLogits);
            }
            out.flush();
        }
        return 0;
    }

    /** The logits and labels as a safetensors file, with where they came from in its metadata. */
    private void writeLogits(Path file, ImageDataset test, float[] logits, ModelCheckpoint.Info info, Backend backend)
            throws IOException {
        int[] labels = new int[test.count()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = test.label(i);
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("checkpoint", info.file().toString());
        metadata.put("architecture", info.architecture().id());
        metadata.put("epoch", Integer.toString(info.epoch()));
        metadata.put("backend", backend.name());
        metadata.put("conv_algorithm", convAlgorithm.name());
        metadata.put("dataset", test.name());
        Backend cpu = Backends.cpu();
        try (Tensor l = Tensor.of(cpu, logits, test.count(), test.classes());
             Tensor y = Tensor.ofInts(cpu, labels, test.count())) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("logits", l);
            tensors.put("labels", y);
            SafeTensorsWriter.save(file, tensors, metadata);
        }
    }
}
