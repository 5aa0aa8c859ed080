package dev.strix.jmh;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link CudaConvBenchmark} and writes its results as one Markdown table
 * ({@link ConvComparisonTable}) to the file named by {@code -Dstrix.jmh.markdown}.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
 *     -Dstrix.jmh.markdown=conv.md -cp benchmarks.jar dev.strix.jmh.CudaConvReport [JMH options]
 * </pre>
 *
 * Checks first that the CUDA backend works, and exits with status 3 and the loader's reason when
 * it does not, without running anything. Defaults, each overridden by its JMH option: no fork
 * ({@code -f 0}: the whole run shares one CUDA context, saving each benchmark a CUDA start-up, so
 * this JVM needs the native-access and vector options above), 2 warm-up iterations of 0.2 s and 3
 * measured ones of 0.3 s, fail on the first error ({@code -foe}).
 */
public final class CudaConvReport {
    private CudaConvReport() {
    }

    public static void main(String[] args) throws IOException, RunnerException {
        try {
            CudaConvBenchmark.cudaOrFail();
        } catch (IllegalStateException e) {
            System.err.println("conv benchmark not run: " + e.getMessage());
            System.exit(3);
            return;
        }
        CommandLineOptions command = MarkdownReport.parse(args);
        OptionsBuilder options = MarkdownReport.withDefaults(command, 0, 2, TimeValue.milliseconds(200), 3,
                TimeValue.milliseconds(300));
        if (command.getIncludes().isEmpty()) {
            options.include(CudaConvBenchmark.class.getSimpleName());
        }
        if (!command.shouldFailOnError().hasValue()) {
            options.shouldFailOnError(true);
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        String markdown = ConvComparisonTable.markdown(measurements(results),
                "GPU convolutions at the reference network's shapes: µs per pass, the device synchronised after each;"
                        + " ratios > 1: slower than cuDNN");
        System.out.print(markdown);
        MarkdownReport.writeIfAsked(markdown);
    }

    private static List<ConvComparisonTable.Measurement> measurements(Collection<RunResult> results) {
        List<ConvComparisonTable.Measurement> list = new ArrayList<>();
        for (RunResult run : results) {
            BenchmarkParams p = run.getParams();
            String method = p.getBenchmark().substring(p.getBenchmark().lastIndexOf('.') + 1);
            ReferenceConvShape layer = ReferenceConvShape.valueOf(p.getParam("layer"));
            Result<?> r = run.getPrimaryResult();
            list.add(new ConvComparisonTable.Measurement(layer.name() + " " + layer.describe(),
                    Integer.parseInt(p.getParam("batch")), method, Boolean.parseBoolean(p.getParam("tf32")),
                    p.getParam("algorithm"), r.getScore(), r.getScoreError()));
        }
        return list;
    }
}
