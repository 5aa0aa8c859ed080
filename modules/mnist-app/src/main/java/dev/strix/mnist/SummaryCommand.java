package dev.strix.mnist;

import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Sequential;
import dev.strix.mnist.train.Architectures;
import dev.strix.tensor.Backends;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code summary}: a model's layers, output shapes and parameter counts. */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Print a model's layers, output shapes and parameter counts.")
final class SummaryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "default|reference", defaultValue = "default",
            description = "architecture (default: ${DEFAULT-VALUE})")
    String model;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Sequential m = Architectures.byId(model).build(Backends.cpu(), ConvAlgorithm.IM2COL_GEMM, 0)) {
            out.print(m.summary());
        }
        out.flush();
        return 0;
    }
}
