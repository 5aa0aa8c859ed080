package dev.strix.mnist;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every {@code strix-mnist} command line of the GPU check bundle's script (tools/device-bundle-run.sh)
 * names a command and options that exist, and so does every call of the PyTorch reference scripts. That script runs only on a GPU machine, rarely, against a
 * budget of minutes; a renamed option there would cost a whole GPU session (its rerun gate once
 * called {@code summary --device} before {@code summary} had that option, which skipped every GPU
 * stage of a rerun). Option values are left to the script's CPU trial run (STRIX_BUNDLE_DEVICE=cpu).
 */
class DeviceBundleCommandLinesTest {
    /** {@code strix_mnist COMMAND ...} up to the end of the (joined) line. */
    private static final Pattern INVOCATION = Pattern.compile("\\bstrix_mnist[ \\t]+([a-z][a-z-]*)([^\\n]*)");
    /** {@code NAME_args=(...)} and {@code local common=(...)}: option lists handed to a command. */
    private static final Pattern ARRAY = Pattern.compile("\\b(train_args|fast_args|recipe_args|epoch_args|bench_args|common)=\\(([^)]*)\\)");
    private static final Map<String, String> ARRAY_COMMAND = Map.of("train_args", "train", "fast_args", "train",
            "recipe_args", "train", "epoch_args", "train", "bench_args", "bench", "common", "train");
    private static final Pattern OPTION = Pattern.compile("(?<![\\w$-])(--[a-z][a-z0-9-]*)");

    @Test
    void everyCommandAndOptionTheBundleUsesExists() throws IOException {
        String script = joinedLines(script());
        CommandLine cli = StrixMnist.commandLine();
        List<String> problems = new ArrayList<>();
        int invocations = 0;
        Matcher m = INVOCATION.matcher(script);
        while (m.find()) {
            invocations++;
            check(cli, m.group(1), options(m.group(2)), "strix_mnist " + m.group(1) + m.group(2), problems);
        }
        int arrays = 0;
        Matcher a = ARRAY.matcher(script);
        while (a.find()) {
            arrays++;
            check(cli, ARRAY_COMMAND.get(a.group(1)), options(a.group(2)), a.group(0), problems);
        }
        assertTrue(invocations >= 20, "found only " + invocations + " strix_mnist command lines; did the script change form?");
        assertTrue(arrays >= 10, "found only " + arrays + " option arrays");
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void everyOptionItPassesToTheReferenceScriptsExists() throws IOException {
        String script = joinedLines(script());
        Path reference = bundleScript().getParent().resolve("reference");
        Matcher m = Pattern.compile("reference/([a-z_]+\\.py)\"?([^\\n]*)").matcher(script);
        List<String> problems = new ArrayList<>();
        int calls = 0;
        while (m.find()) {
            if (m.start() > 0 && script.charAt(script.lastIndexOf('\n', m.start()) + 1) == '#') {
                continue;   // the header's list of stages
            }
            calls++;
            Path python = reference.resolve(m.group(1));
            String source = Files.isRegularFile(python) ? Files.readString(python) : "";
            if (source.isEmpty()) {
                problems.add("no " + python);
                continue;
            }
            List<String> named = new ArrayList<>(options(m.group(2)));
            if (m.group(1).equals("pytorch_mnist.py")) {
                Matcher torchArgs = Pattern.compile("\\btorch_args=\\(([^)]*)\\)").matcher(script);
                while (torchArgs.find()) {
                    named.addAll(options(torchArgs.group(1)));
                }
            }
            for (String option : named) {
                if (!source.contains("add_argument(\"" + option + "\"")) {
                    problems.add(m.group(1) + " has no option " + option + ": " + m.group(0).strip());
                }
            }
        }
        assertTrue(calls >= 3, "found only " + calls + " calls of the reference scripts");
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /** The options named before the line leaves the command (a redirection, ||, &&, ;). */
    private static List<String> options(String rest) {
        String command = rest.split(">|\\|\\||&&|;", 2)[0];
        List<String> found = new ArrayList<>();
        Matcher o = OPTION.matcher(command);
        while (o.find()) {
            found.add(o.group(1));
        }
        return found;
    }

    private static void check(CommandLine cli, String command, List<String> options, String where, List<String> problems) {
        CommandLine sub = cli.getSubcommands().get(command);
        if (sub == null) {
            problems.add("no command '" + command + "': " + where.strip());
            return;
        }
        for (String option : options) {
            if (!exists(sub, option)) {
                problems.add("'" + command + "' has no option " + option + ": " + where.strip());
            }
        }
    }

    /** {@code option} names an option of {@code command}, or negates a negatable one ({@code --no-augment}). */
    private static boolean exists(CommandLine command, String option) {
        if (command.getCommandSpec().findOption(option) != null) {
            return true;
        }
        if (option.startsWith("--no-")) {
            CommandLine.Model.OptionSpec positive = command.getCommandSpec().findOption("--" + option.substring(5));
            return positive != null && positive.negatable();
        }
        return false;
    }

    /** The script with its backslash-continued lines joined. */
    private static String joinedLines(String text) {
        return text.replaceAll("\\\\\\n\\s*", " ");
    }

    private static String script() throws IOException {
        return Files.readString(bundleScript());
    }

    private static Path bundleScript() {
        Path found = null;
        for (Path p = Path.of("").toAbsolutePath(); p != null && found == null; p = p.getParent()) {
            Path candidate = p.resolve("tools/device-bundle-run.sh");
            if (Files.isRegularFile(candidate)) {
                found = candidate;
            }
        }
        assertNotNull(found, "tools/device-bundle-run.sh not found above " + Path.of("").toAbsolutePath());
        return found;
    }
}
