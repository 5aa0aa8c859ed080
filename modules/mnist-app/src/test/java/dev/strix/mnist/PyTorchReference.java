package dev.strix.mnist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.spi.BackendProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the PyTorch comparison tests share: a python3 that imports torch (or a skip with the reason),
 * the device under test (or a skip), and running one of tools/reference's scripts to a verdict.
 * {@code -Dstrix.reference.dir=DIR} says where the scripts lie (the GPU bundle's reference/); by
 * default tools/reference above the working directory.
 */
final class PyTorchReference {
    private static String python;
    private static boolean looked;

    private PyTorchReference() {
    }

    /** python3 on PATH, else /usr/bin/python3 (Debian's, where python3-torch installs); skips the test if neither imports torch. */
    static synchronized String pythonOrSkip() {
        if (!looked) {
            python = pythonWithTorch();
            looked = true;
        }
        assumeTrue(python != null, "no python3 (on PATH or /usr/bin) imports torch and numpy; Debian: python3-torch");
        return python;
    }

    private static String pythonWithTorch() {
        for (String candidate : List.of("python3", "/usr/bin/python3")) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import torch, numpy")
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return candidate;
                }
                p.destroyForcibly();
            } catch (IOException e) {
                // not there: try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    /** The backend called {@code device}; skips the test, with the reason, where it is unavailable. */
    static Backend backendOrSkip(String device) {
        if (device.equals("cpu")) {
            return Backends.cpu();
        }
        BackendProvider provider = Backends.providers().stream().filter(p -> p.name().equals(device)).findFirst()
                .orElse(null);
        assumeTrue(provider != null, "no backend named " + device);
        BackendProvider.Availability a = provider.availability();
        assumeTrue(a.available(), device + " backend unavailable: " + a.reason());
        return Backends.named(device);
    }

    /**
     * Runs tools/reference/{@code script} with {@code args}, prints its output under {@code what}, and
     * returns that output once the script has exited 0 (a test failure otherwise).
     */
    static String run(String script, String what, List<String> args) throws IOException, InterruptedException {
        String python = pythonOrSkip();
        List<String> command = new ArrayList<>(List.of(python, script(script).toString()));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), script + " did not finish:\n" + out);
        System.out.println("[strix] " + python + " " + script + ", " + what + ":\n" + out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static Path script(String name) {
        String dir = System.getProperty("strix.reference.dir");
        if (dir != null) {
            return Path.of(dir, name);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("tools/reference").resolve(name);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError("tools/reference/" + name + " not found above " + Path.of("").toAbsolutePath());
    }
}
