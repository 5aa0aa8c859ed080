package dev.strix.mnist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.mnist.image.PngWriter;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class StrixMnistTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = StrixMnist.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void versionNamesStrixJavaAndTheBackends() {
        assertEquals(0, run("--version"));
        String[] lines = out.toString().split("\\R");
        assertEquals("strix-mnist " + VersionProvider.strixVersion(), lines[0]);
        assertTrue(VersionProvider.strixVersion().matches("\\d+\\.\\d+\\.\\d+.*"), VersionProvider.strixVersion());
        assertTrue(lines[1].startsWith("Java " + Runtime.version()), lines[1]);
        assertTrue(lines[2].startsWith("backends: ") && lines[2].contains("cpu"), lines[2]);
    }

    @Test
    void withoutACommandItShowsTheUsage() {
        assertEquals(0, run());
        assertTrue(out.toString().startsWith("Usage: strix-mnist"), out.toString());
        assertTrue(out.toString().contains("inspect-image"), out.toString());
    }

    @Test
    void everyCommandsHelpRendersWithoutPicocliWarnings() {
        // picocli reports a bad format string in a description (a lone '%') on System.err and then
        // prints the raw text; the help must render cleanly for every command.
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            for (String command : StrixMnist.commandLine().getSubcommands().keySet()) {
                assertEquals(0, run(command, "--help"), command);
            }
        } finally {
            System.setErr(saved);
        }
        String warnings = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertFalse(warnings.contains("picocli WARN"), warnings);
        assertTrue(out.toString().contains("Defaults reach 99.6% MNIST test accuracy"), out.toString());
    }

    @Test
    void summaryWithADeviceSaysWhichBackendItGets() {
        CliRun plain = CliRun.of("summary", "--model", "reference");
        assertEquals(0, plain.status(), plain.err());
        assertTrue(plain.out().startsWith("Input: [-1, 1, 28, 28]"), plain.out());
        CliRun cpu = CliRun.of("summary", "--model", "reference", "--device", "cpu");
        assertEquals(0, cpu.status(), cpu.err());
        assertEquals("device: using cpu" + System.lineSeparator() + plain.out(), cpu.out());

        // What the GPU check bundle asks before its GPU stages: the backend, or why there is none.
        dev.strix.tensor.spi.BackendProvider cudaProvider = dev.strix.tensor.Backends.providers().stream()
                .filter(p -> p.name().equals("cuda")).findFirst().orElse(null);
        CliRun cuda = CliRun.of("summary", "--model", "reference", "--device", "cuda");
        if (cudaProvider == null) {
            assertEquals(2, cuda.status(), cuda.err());
            assertTrue(cuda.err().contains("no backend named 'cuda'"), cuda.err());
        } else if (cudaProvider.availability().available()) {
            assertEquals(0, cuda.status(), cuda.err());
            assertTrue(cuda.lines().getFirst().startsWith("device: using cuda, "), cuda.out());
            assertTrue(cuda.out().endsWith(plain.out()), cuda.out());
        } else {
            assertEquals(1, cuda.status(), cuda.out());
            assertEquals("strix-mnist: error: backend 'cuda' is not available: "
                    + cudaProvider.availability().reason(), cuda.err().strip());
        }
    }

    @Test
    void inspectImageShowsTheCentredDigit() throws Exception {
        BufferedImage img = new BufferedImage(120, 160, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 120, 160);
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(14)); // square caps: the line grows 7 px at each end
        g.drawLine(60, 20, 60, 140);
        g.dispose();
        Path png = dir.resolve("one.png");
        ImageIO.write(img, "png", png.toFile());
        Path seen = dir.resolve("seen.png");

        assertEquals(0, run("inspect-image", png.toString(), "--png", seen.toString()), err.toString());

        String[] lines = out.toString().split("\\R");
        assertEquals(png + ": 120x160", lines[0]);
        assertTrue(lines[1].startsWith("light background: inverted; ink 14x134 at (53, 13) scaled to 2x20; centre of mass ("),
                lines[1]);
        assertEquals("+" + "-".repeat(56) + "+", lines[2]);
        assertEquals("|" + " ".repeat(56) + "|", lines[3], "row 0 is background");
        assertEquals("|" + " ".repeat(26) + "@@@@" + " ".repeat(26) + "|", lines[3 + 14], "the stroke in the middle");
        assertEquals("+" + "-".repeat(56) + "+", lines[3 + 28]);
        assertEquals("wrote " + seen, lines[3 + 29]);
        BufferedImage written = ImageIO.read(seen.toFile());
        assertEquals(28, written.getWidth());
        assertEquals(255, written.getRaster().getSample(14, 14, 0));
    }

    @Test
    void aBlankImageIsRefusedWithExitStatusOne() throws Exception {
        byte[] white = new byte[32 * 32];
        java.util.Arrays.fill(white, (byte) 255);
        Path png = Files.write(dir.resolve("blank.png"), PngWriter.gray8(32, 32, white));
        assertEquals(1, run("inspect-image", png.toString()));
        assertTrue(err.toString().startsWith(png + ": blank image:"), err.toString());
    }

    @Test
    void aBadFileIsOneErrorLineWithExitStatusOne() throws Exception {
        Path pgm = Files.writeString(dir.resolve("bad.pgm"), "P2 2 2 255\n1 2\n");
        assertEquals(1, run("inspect-image", pgm.toString()));
        assertEquals("strix-mnist: error: " + pgm + ": pixel data truncated: 2x2 needs 4 values (at least 7 bytes) but only 5 bytes follow the header",
                err.toString().strip());
        assertFalse(err.toString().contains("\tat "), "no stack trace");
    }

    @Test
    void missingArgumentIsAUsageError() {
        assertEquals(2, run("inspect-image"));
        assertTrue(err.toString().contains("Missing required parameter: 'FILE'"), err.toString());
    }

    @Test
    void aMissingImageIsNamed() {
        Path missing = dir.resolve("missing.png");
        assertEquals(1, run("inspect-image", missing.toString()));
        assertEquals("strix-mnist: error: " + missing + ": no such image file", err.toString().strip());
    }

    @Test
    void predictWithoutACheckpointSaysHowToGetOne() throws Exception {
        Path png = Files.write(dir.resolve("blank.png"), PngWriter.gray8(4, 4, new byte[16]));
        Path none = dir.resolve("no-checkpoints");
        assertEquals(1, run("predict", "--device", "cpu", "--checkpoint", none.toString(), png.toString()));
        assertEquals("strix-mnist: error: " + none + ": no such checkpoint (train one with 'strix-mnist train', or name"
                + " a model.safetensors or its directory with --checkpoint)", err.toString().strip());
    }

    @Test
    void anUnwritableCheckpointDirectoryIsRefusedBeforeTraining() throws Exception {
        // A directory cannot be made inside a regular file, whoever runs the test (root included).
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Path target = file.resolve("checkpoints");
        assertEquals(1, run("train", "--device", "cpu", "--data-dir", dir.resolve("no-data").toString(),
                "--checkpoint-dir", target.toString()));
        assertTrue(err.toString().startsWith("strix-mnist: error: --checkpoint-dir " + target + ": cannot write there ("
                + file), err.toString());
        assertEquals("", out.toString(), "nothing loaded or trained before the refusal");
    }

    @Test
    void aRunRefusedBeforeTrainingLeavesNoCheckpointDirectory() {
        Path checkpoints = dir.resolve("runs/first/checkpoints");
        assertEquals(1, run("train", "--device", "cpu", "--data-dir", dir.resolve("no-data").toString(),
                "--checkpoint-dir", checkpoints.toString()));
        assertTrue(err.toString().contains("no-data"), err.toString());
        assertFalse(Files.exists(dir.resolve("runs")), "the directories made to test writing are gone");
    }
}
