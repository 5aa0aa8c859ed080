package dev.strix.mnist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code bench}'s line of device launches per training step, beside its host waits. */
class BenchCommandTest {
    @Test
    void launchesLineSplitsAStepIntoDeviceOpsAndTheUploadAndAveragesTheMeasuredSteps() {
        assertEquals("launches: 41 per training step run op by op (40 device ops + 1 step-scalar upload),"
                + " 2.00 per measured step", BenchCommand.launchesLine(40, 1, 120, 60));
        assertEquals("launches: 34 per training step run op by op (33 device ops + 1 step-scalar upload),"
                + " 34.50 per measured step", BenchCommand.launchesLine(33, 1, 69, 2));
    }

    @Test
    void onTheCpuTheBenchPrintsNoDeviceLaunchesOrHostWaits() {
        CliRun r = CliRun.of("bench", "--device", "cpu", "--batch-size", "4", "--steps", "2", "--warmup", "1",
                "--inference-batch-size", "4");
        assertEquals(0, r.status(), r.out() + r.err());
        List<String> lines = Arrays.asList(r.out().split("\\R"));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("training: ")), "a training line in " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("inference: ")), "an inference line in " + lines);
        assertTrue(lines.stream().noneMatch(l -> l.startsWith("host waits: ") || l.startsWith("launches: ")),
                "device-only lines in " + lines);
    }

    @Test
    void cudnnPoolingIsNamedAndKeepsTheConvolutionBlocksUnfused() {
        CliRun r = CliRun.of("bench", "--device", "cpu", "--pool-algo", "CUDNN", "--batch-size", "4", "--steps",
                "2", "--warmup", "1", "--inference-batch-size", "4");
        assertEquals(0, r.status(), r.out() + r.err());
        List<String> lines = Arrays.asList(r.out().split("\\R"));
        assertTrue(lines.contains("bench: model 'reference', cpu, batch 4, conv IM2COL_GEMM, pool CUDNN, float32,"
                + " eager steps"), lines.toString());
        assertTrue(lines.contains("fused: layers 7-8 dense + ReLU"), lines.toString());
    }

    @Test
    void profilePrintsARowPerPassAndTheStep() {
        CliRun r = CliRun.of("bench", "--device", "cpu", "--profile", "--batch-size", "4", "--steps", "2", "--warmup",
                "1", "--inference-batch-size", "4");
        assertEquals(0, r.status(), r.out() + r.err());
        List<String> lines = Arrays.asList(r.out().split("\\R"));
        int header = lines.indexOf("profile: median of 2 steps run op by op (on a GPU: device time between events,"
                + " launch gaps included)");
        assertTrue(header > 0, r.out());
        // Column headings, five passes of the reference network, loss, optimizer, the step.
        assertTrue(lines.get(header + 1).matches("  pass +forward ms  backward ms   share"), r.out());
        assertTrue(lines.get(header + 2).startsWith("  layers 0-2: "), r.out());
        assertTrue(lines.get(header + 8).startsWith("  optimizer step: Adam "), r.out());
        assertTrue(lines.get(header + 9).matches("  step \\(sum of the medians\\) +\\d+\\.\\d{3} +\\d+\\.\\d{3} +100\\.0%"),
                r.out());
        assertTrue(lines.get(header + 10).startsWith("inference: "), r.out());
    }
}
