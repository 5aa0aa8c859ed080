package dev.strix.mnist;

import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Sequential;
import dev.strix.mnist.train.Architectures;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code summary}: a model's layers, output shapes and parameter counts; with {@code --device}, first
 * which backend that choice gives (the device line of train and eval), so that it also answers "would
 * this machine train on the GPU, and if not, why not" without loading any data.
 */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Print a model's layers, output shapes and parameter counts.")
final class SummaryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "default|reference", defaultValue = "default",
            description = "architecture (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--device", paramLabel = "auto|cpu|cuda",
            description = {"build the model on this backend and say which it is and why, as train does",
                "(default: the CPU, without a device line)"})
    String device;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Backend backend = Backends.cpu();
        if (device != null) {
            DeviceOption option = new DeviceOption();
            option.device = device;
            backend = option.resolve(out);
        }
        try (Sequential m = Architectures.byId(model).build(backend, ConvAlgorithm.IM2COL_GEMM, 0)) {
            out.print(m.summary());
        }
        out.flush();
        return 0;
    }
}
