package dev.strix.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** How the GPU convolution report files the layout benchmark's results (no GPU needed). */
class CudaConvReportTest {
    @Test
    void layoutResultsAreCudnnColumnsAndAlgorithmResultsKeepTheirName() {
        assertEquals("CUDNN_NHWC", CudaConvReport.column(null, "NHWC"));
        assertEquals("CUDNN_NCHW", CudaConvReport.column(null, "NCHW"));
        assertEquals("IM2COL_GEMM", CudaConvReport.column("IM2COL_GEMM", null));
    }

    @Test
    void theSecondPassWritesItsOwnResultFile() {
        assertEquals("/tmp/logs/conv-jmh-layout.json", CudaConvReport.layoutResultFile("/tmp/logs/conv-jmh.json"));
        assertEquals("results-layout", CudaConvReport.layoutResultFile("results"));
        assertEquals("./out.d/results-layout", CudaConvReport.layoutResultFile("./out.d/results"));
    }
}
