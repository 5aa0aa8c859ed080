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
 * Runs {@link CudaConvBenchmark}, then its im2col batch-matrix form ({@code -p batchMatrix=true}:
 * column IM2COL_BATCH_MATRIX, the form training runs before a batch norm or a fused ReLU + pool),
 * then {@link CudnnLayoutBenchmark} (cuDNN on NHWC operands), and writes their results as one
 * Markdown table ({@link ConvComparisonTable}: the NHWC times are the CUDNN_NHWC column, beside
 * CUDNN's NCHW ones, with their ratio) to the file named by {@code -Dstrix.jmh.markdown}.
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
 * measured ones of 0.3 s for the algorithms and the batch-matrix form; for the NHWC rows, whose JVM
 * and GPU are warm by then, 1 warm-up and 3 measured iterations of 0.1 s, so they add a few seconds;
 * fail on the first error ({@code -foe}). Benchmarks named on the command line run in one pass with
 * the algorithms' defaults. The table is written after each pass; if a later pass fails, the table
 * keeps what the others measured, the reason is printed and the exit status is 1.
 */
public final class CudaConvReport {
    private static final String HEADING = "GPU convolutions at the reference network's shapes: µs per pass, the device"
            + " synchronised after each; IM2COL_GEMM is one GEMM per sample (NCHW), IM2COL_BATCH_MATRIX one GEMM over"
            + " the batch (channel-major Z and dL/dZ, the form training runs before a batch norm or a fused ReLU + pool);"
            + " CUDNN is cuDNN on NCHW tensors (the layer's path), CUDNN_NHWC the same calls on NHWC views;"
            + " ratios > 1: slower than CUDNN";

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
        boolean allPasses = command.getIncludes().isEmpty();
        OptionsBuilder options = MarkdownReport.withDefaults(command, 0, 2, TimeValue.milliseconds(200), 3,
                TimeValue.milliseconds(300));
        if (allPasses) {
            options.include(CudaConvBenchmark.class.getSimpleName());
        }
        failOnError(command, options);
        List<ConvComparisonTable.Measurement> list = measurements(new Runner(options.build()).run());
        if (!allPasses) {
            report(list);
            return;
        }
        MarkdownReport.writeIfAsked(ConvComparisonTable.markdown(list, HEADING));
        // The later passes add columns; one that fails leaves the table as it was and says why.
        OptionsBuilder batchMatrix = MarkdownReport.withDefaults(command, 0, 2, TimeValue.milliseconds(200), 3,
                TimeValue.milliseconds(300));
        batchMatrix.include(CudaConvBenchmark.class.getSimpleName())
                .param("algorithm", "IM2COL_GEMM")
                .param("batchMatrix", "true");
        OptionsBuilder layouts = MarkdownReport.withDefaults(command, 0, 1, TimeValue.milliseconds(100), 3,
                TimeValue.milliseconds(100));
        layouts.include(CudnnLayoutBenchmark.class.getSimpleName());
        boolean complete = true;
        for (Pass pass : List.of(new Pass("im2col batch-matrix rows", "batch-matrix", batchMatrix),
                new Pass("cuDNN NHWC rows", "layout", layouts))) {
            failOnError(command, pass.options());
            if (command.getResult().hasValue()) {
                // Another run would overwrite the first one's result file.
                pass.options().result(resultFile(command.getResult().get(), pass.resultSuffix()));
            }
            try {
                list.addAll(measurements(new Runner(pass.options().build()).run()));
                MarkdownReport.writeIfAsked(ConvComparisonTable.markdown(list, HEADING));
            } catch (RunnerException | RuntimeException e) {
                System.err.println(pass.what() + " not measured: " + e);
                complete = false;
            }
        }
        report(list);
        if (!complete) {
            System.exit(1);
        }
    }

    /** A run after the algorithms' one: what it measures, its result file's suffix, its options. */
    private record Pass(String what, String resultSuffix, OptionsBuilder options) {
    }

    private static void failOnError(CommandLineOptions command, OptionsBuilder options) {
        if (!command.shouldFailOnError().hasValue()) {
            options.shouldFailOnError(true);
        }
    }

    /** ("conv-jmh.json", "layout") -> "conv-jmh-layout.json". */
    static String resultFile(String file, String suffix) {
        int slash = file.lastIndexOf('/');
        int dot = file.lastIndexOf('.');
        return dot > slash + 1 ? file.substring(0, dot) + "-" + suffix + file.substring(dot) : file + "-" + suffix;
    }

    private static void report(List<ConvComparisonTable.Measurement> list) throws IOException {
        String markdown = ConvComparisonTable.markdown(list, HEADING);
        System.out.print(markdown);
        MarkdownReport.writeIfAsked(markdown);
    }

    /**
     * The table's column of a result: CudaConvBenchmark's algorithm (IM2COL_BATCH_MATRIX for its
     * batch-matrix form), or CUDNN_ and CudnnLayoutBenchmark's layout.
     */
    static String column(String algorithm, String layout, String batchMatrix) {
        if (layout != null) {
            return "CUDNN_" + layout;
        }
        return Boolean.parseBoolean(batchMatrix) ? "IM2COL_BATCH_MATRIX" : algorithm;
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
                    column(p.getParam("algorithm"), p.getParam("layout"), p.getParam("batchMatrix")), r.getScore(), r.getScoreError()));
        }
        return list;
    }
}
