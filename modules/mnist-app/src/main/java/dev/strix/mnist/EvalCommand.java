package dev.strix.mnist;

import dev.strix.data.mnist.MnistData;
import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Sequential;
import dev.strix.mnist.train.EvaluationResult;
import dev.strix.mnist.train.Evaluator;
import dev.strix.mnist.train.ModelCheckpoint;
import dev.strix.tensor.Backend;
import java.io.PrintWriter;
import java.nio.file.Path;
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

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ModelCheckpoint.Info info = ModelCheckpoint.info(checkpoint);
        Backend backend = device.resolve(out);
        MnistData mnist = data.load(out);
        try (Sequential model = ModelCheckpoint.loadModel(info, backend, convAlgorithm)) {
            EvaluationResult result = Evaluator.evaluate(model, mnist.test(), info.normalization(), 0);
            out.printf(Locale.ROOT, "checkpoint %s: model '%s' after epoch %d%n", info.file(), info.architecture().id(),
                    info.epoch());
            out.printf(Locale.ROOT, "test accuracy %.2f%% (%d/%d), test loss %.4f%n", 100 * result.accuracy(),
                    result.confusion().correct(), result.confusion().total(), result.meanLoss());
            out.println();
            out.print(result.confusion().format());
            out.flush();
        }
        return 0;
    }
}
