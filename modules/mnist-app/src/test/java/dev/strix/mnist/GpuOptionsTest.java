package dev.strix.mnist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --tf32} and {@code --cuda-graph} on {@code train} and {@code bench}: defaults, parsing, the CPU's answer. */
class GpuOptionsTest {
    @Test
    void trainDefaultsToStrictFloat32WithCudaGraphs() {
        TrainCommand train = new TrainCommand();
        new CommandLine(train).parseArgs();
        assertFalse(train.tf32, "strict float32 unless asked");
        assertTrue(train.cudaGraph, "graphs on by default");
        new CommandLine(train).parseArgs("--tf32", "--no-cuda-graph");
        assertTrue(train.tf32);
        assertFalse(train.cudaGraph);
    }

    @Test
    void benchTakesTheSameOptions() {
        BenchCommand bench = new BenchCommand();
        new CommandLine(bench).parseArgs();
        assertFalse(bench.tf32);
        assertTrue(bench.cudaGraph);
        new CommandLine(bench).parseArgs("--tf32", "--no-cuda-graph");
        assertTrue(bench.tf32);
        assertFalse(bench.cudaGraph);
    }

    @Test
    void onTheCpuTf32SaysInOneLineThatItHasNoEffectAndStepsRunEagerly() {
        CliRun r = CliRun.of("bench", "--device", "cpu", "--tf32", "--batch-size", "4", "--steps", "2", "--warmup",
                "1", "--inference-batch-size", "4");
        assertEquals(0, r.status(), r.out() + r.err());
        String[] lines = r.out().split("\\R");
        assertEquals("device: using cpu", lines[0]);
        assertEquals("--tf32: no effect on the cpu backend, which computes in strict float32", lines[1]);
        assertEquals("bench: model 'reference', cpu, batch 4, conv IM2COL_GEMM, TF32 allowed, eager steps", lines[2]);
        assertEquals("fused: layers 0-2 conv + ReLU + 2x2 max pool (implicit GEMM); layers 3-5 conv + ReLU + 2x2 max"
                + " pool (implicit GEMM); layers 7-8 dense + ReLU", lines[3]);
        assertTrue(lines[4].startsWith("training: ") && lines[4].endsWith(", 0 as CUDA graph launches)"), lines[4]);
    }
}
