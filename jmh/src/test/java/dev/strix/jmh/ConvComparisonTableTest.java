package dev.strix.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The GPU convolution table: one row per shape and pass, algorithms (and cuDNN in NHWC) as columns, ratios to cuDNN. */
class ConvComparisonTableTest {
    private static ConvComparisonTable.Measurement m(String pass, String algorithm, double micros, double error) {
        return new ConvComparisonTable.Measurement("CONV1 1->32 on 28x28", 128, pass, false, algorithm, micros, error);
    }

    @Test
    void rowsPerShapeAndPassWithRatiosAgainstCudnn() {
        String table = ConvComparisonTable.markdown(List.of(
                m("forward", "CUDNN", 20, 0.5),
                m("forward", "IM2COL_GEMM", 30, 1.25),
                m("forward", "STRIDED_VIEW", 250, Double.NaN),
                m("backwardData", "IM2COL_GEMM", 40, 2)), "heading");
        assertEquals("""
                heading

                | layer | batch | pass | maths | STRIDED_VIEW (µs) | IM2COL_GEMM (µs) | CUDNN (µs) \
                | STRIDED_VIEW / CUDNN | IM2COL_GEMM / CUDNN |
                | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |
                | CONV1 1->32 on 28x28 | 128 | forward | FP32 | 250.0 | 30.00 ± 1.25 | 20.00 ± 0.50 | 12.50 | 1.50 |
                | CONV1 1->32 on 28x28 | 128 | backwardData | FP32 | - | 40.00 ± 2.00 | - | - | - |
                """, table);
    }

    @Test
    void theBatchMatrixFormIsAColumnAfterThePerSampleOne() {
        String table = ConvComparisonTable.markdown(List.of(
                m("forward", "IM2COL_BATCH_MATRIX", 15, 0.5),
                m("forward", "CUDNN", 20, 0.5),
                m("forward", "IM2COL_GEMM", 30, 1.25)), "heading");
        assertEquals("""
                heading

                | layer | batch | pass | maths | IM2COL_GEMM (µs) | IM2COL_BATCH_MATRIX (µs) | CUDNN (µs) \
                | IM2COL_GEMM / CUDNN | IM2COL_BATCH_MATRIX / CUDNN |
                | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |
                | CONV1 1->32 on 28x28 | 128 | forward | FP32 | 30.00 ± 1.25 | 15.00 ± 0.50 | 20.00 ± 0.50 | 1.50 | 0.75 |
                """, table);
    }

    @Test
    void cudnnInNhwcIsAColumnBesideCudnnWithItsRatioAndUnmeasuredColumnsAreLeftOut() {
        String table = ConvComparisonTable.markdown(List.of(
                m("forward", "CUDNN", 20, 0.5),
                m("forward", "CUDNN_NHWC", 15, 0.25),
                m("backwardFilter", "CUDNN", 40, 1),
                m("backwardFilter", "CUDNN_NHWC", 50, 2)), "heading");
        assertEquals("""
                heading

                | layer | batch | pass | maths | CUDNN (µs) | CUDNN_NHWC (µs) | CUDNN_NHWC / CUDNN |
                | --- | ---: | --- | --- | ---: | ---: | ---: |
                | CONV1 1->32 on 28x28 | 128 | forward | FP32 | 20.00 ± 0.50 | 15.00 ± 0.25 | 0.75 |
                | CONV1 1->32 on 28x28 | 128 | backwardFilter | FP32 | 40.00 ± 1.00 | 50.00 ± 2.00 | 1.25 |
                """, table);
    }
}
