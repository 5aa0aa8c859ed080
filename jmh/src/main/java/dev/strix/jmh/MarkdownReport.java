package dev.strix.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs JMH with the usual command line ({@code [regexp] [options]}) and defaults suited to a
 * small machine, then writes the results as a Markdown table to the file named by
 * {@code -Dstrix.jmh.markdown}: one row per benchmark and parameter set, with the primary score
 * and, for benchmarks that count them, images/s and GFLOP/s (the secondary results
 * {@code images} and {@code gflop} of {@link Counters}).
 *
 * <p>Defaults, each overridden by its JMH option: 1 fork ({@code -f}), 3 warm-up iterations of
 * 1 s ({@code -wi}, {@code -w}), 5 measured iterations of 1 s ({@code -i}, {@code -r}), and
 * {@code --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED} for the forked JVM
 * ({@code -jvmArgsPrepend}).
 */
public final class MarkdownReport {
    private MarkdownReport() {
    }

    public static void main(String[] args) throws IOException, RunnerException {
        CommandLineOptions command = parse(args);
        OptionsBuilder options = withDefaults(command, 1, 3, TimeValue.seconds(1), 5, TimeValue.seconds(1));
        if (!command.getJvmArgsPrepend().hasValue()) {
            options.jvmArgsPrepend("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED");
        }
        Options built = options.build();
        Collection<RunResult> results = new Runner(built).run();
        writeIfAsked(table(results));
    }

    /** JMH's command line, or exit status 2 with the reason. */
    static CommandLineOptions parse(String[] args) {
        try {
            return new CommandLineOptions(args);
        } catch (CommandLineOptionException e) {
            System.err.println("bad JMH option: " + e.getMessage());
            System.exit(2);
            return null;
        }
    }

    /** The command line's options, with these forks and iterations where it gives none. */
    static OptionsBuilder withDefaults(CommandLineOptions command, int forks, int warmups, TimeValue warmupTime,
                                       int measurements, TimeValue measurementTime) {
        OptionsBuilder options = new OptionsBuilder();
        options.parent(command);
        if (!command.getForkCount().hasValue()) {
            options.forks(forks);
        }
        if (!command.getWarmupIterations().hasValue()) {
            options.warmupIterations(warmups);
        }
        if (!command.getWarmupTime().hasValue()) {
            options.warmupTime(warmupTime);
        }
        if (!command.getMeasurementIterations().hasValue()) {
            options.measurementIterations(measurements);
        }
        if (!command.getMeasurementTime().hasValue()) {
            options.measurementTime(measurementTime);
        }
        return options;
    }

    /** Writes {@code markdown} to the file named by {@code -Dstrix.jmh.markdown}, if any. */
    static void writeIfAsked(String markdown) throws IOException {
        String target = System.getProperty("strix.jmh.markdown");
        if (target != null && !target.isBlank()) {
            Files.writeString(Path.of(target), markdown);
            System.out.println("Markdown table written to " + target);
        }
    }

    /** The results as a Markdown table. */
    static String table(Collection<RunResult> results) {
        List<String> lines = new ArrayList<>();
        lines.add("| benchmark | parameters | score | error (99.9%) | images/s | GFLOP/s |");
        lines.add("| --- | --- | ---: | ---: | ---: | ---: |");
        for (RunResult run : results) {
            BenchmarkParams params = run.getParams();
            String name = params.getBenchmark();
            name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
            List<String> values = new ArrayList<>();
            for (String key : params.getParamsKeys()) {
                String value = params.getParam(key);
                String shape = key.equals("shape") ? describeShape(value) : "";
                values.add(key + "=" + value + (shape.isEmpty() ? "" : " " + shape));
            }
            Result<?> primary = run.getPrimaryResult();
            Result<?> images = run.getSecondaryResults().get("images");
            Result<?> flops = run.getSecondaryResults().get("gflop");
            lines.add("| " + name + " | " + String.join(", ", values)
                    + " | " + format(primary.getScore()) + " " + primary.getScoreUnit()
                    + " | " + format(primary.getScoreError())
                    + " | " + (counted(images) ? String.format(Locale.ROOT, "%,.0f", images.getScore()) : "")
                    + " | " + (counted(flops) ? format(flops.getScore()) : "") + " |");
        }
        return String.join("\n", lines) + "\n";
    }

    /** Whether a benchmark counted this (a counter it never adds to reads zero). */
    private static boolean counted(Result<?> r) {
        return r != null && r.getScore() > 0;
    }

    private static String describeShape(String value) {
        for (GemmShape shape : GemmShape.values()) {
            if (shape.name().equals(value)) {
                return shape.describe();
            }
        }
        return "";
    }

    private static String format(double value) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, Math.abs(value) >= 100 ? "%.1f" : "%.2f", value);
    }
}
