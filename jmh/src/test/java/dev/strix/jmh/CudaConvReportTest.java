package dev.strix.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** How the GPU convolution report files the later passes' results (no GPU needed). */
class CudaConvReportTest {
    @Test
    void layoutResultsAreCudnnColumnsAndAlgorithmResultsKeepTheirName() {
        assertEquals("CUDNN_NHWC", CudaConvReport.column(null, "NHWC", null));
        assertEquals("CUDNN_NCHW", CudaConvReport.column(null, "NCHW", null));
        assertEquals("IM2COL_GEMM", CudaConvReport.column("IM2COL_GEMM", null, "false"));
        assertEquals("IM2COL_BATCH_MATRIX", CudaConvReport.column("IM2COL_GEMM", null, "true"));
    }

    @Test
    void laterPassesWriteTheirOwnResultFiles() {
        assertEquals("/tmp/logs/conv-jmh-layout.json", CudaConvReport.resultFile("/tmp/logs/conv-jmh.json", "layout"));
        assertEquals("/tmp/logs/conv-jmh-batch-matrix.json",
                CudaConvReport.resultFile("/tmp/logs/conv-jmh.json", "batch-matrix"));
        assertEquals("results-layout", CudaConvReport.resultFile("results", "layout"));
        assertEquals("./out.d/results-layout", CudaConvReport.resultFile("./out.d/results", "layout"));
    }
}
