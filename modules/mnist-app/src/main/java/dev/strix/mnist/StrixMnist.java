package dev.strix.mnist;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code strix-mnist} command: trains, evaluates and runs CNNs on MNIST with strix. */
@Command(name = "strix-mnist", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Train and run convolutional neural networks on MNIST with strix.",
        subcommands = {TrainCommand.class, EvalCommand.class, PredictCommand.class, SummaryCommand.class, BenchCommand.class,
            InspectImageCommand.class, CommandLine.HelpCommand.class})
public final class StrixMnist implements Runnable {
    @Spec
    CommandSpec spec;

    /** Without a subcommand, show what there is. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * The configured command line. Errors from a command are one line on stderr ("strix-mnist:
     * error: ..."), exit status 1, instead of a stack trace; bad usage gives picocli's status 2.
     */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new StrixMnist());
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            PrintWriter err = line.getErr();
            err.println("strix-mnist: error: " + ErrorMessages.describe(e));
            err.flush();
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
