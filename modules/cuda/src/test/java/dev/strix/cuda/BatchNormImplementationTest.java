package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code -Dstrix.cuda.batchNorm}: which batch norm the CUDA backend offers (host logic only, no GPU). */
class BatchNormImplementationTest {
    @Test
    void unsetOrKernelsMeansOurKernelsAndCudnnMeansCudnn() {
        assertEquals(BatchNormImplementation.KERNELS, BatchNormImplementation.parse(null));
        assertEquals(BatchNormImplementation.KERNELS, BatchNormImplementation.parse("kernels"));
        assertEquals(BatchNormImplementation.CUDNN, BatchNormImplementation.parse("cudnn"));
    }

    @Test
    void anythingElseIsRefusedNamingTheValueAndBothChoices() {
        for (String bad : new String[] {"", "cuDNN", "CUDNN", " cudnn", "kernel", "fused"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BatchNormImplementation.parse(bad), "'" + bad + "'");
            assertTrue(e.getMessage().startsWith("-Dstrix.cuda.batchNorm=" + bad + " is not a batch norm"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("'kernels'") && e.getMessage().contains("'cudnn'"), e.getMessage());
        }
    }

    @Test
    void theSystemPropertyIsReadWhenAsked() {
        String before = System.getProperty(BatchNormImplementation.PROPERTY);
        try {
            System.setProperty(BatchNormImplementation.PROPERTY, "cudnn");
            assertEquals(BatchNormImplementation.CUDNN, BatchNormImplementation.fromSystemProperty());
            System.setProperty(BatchNormImplementation.PROPERTY, "kernels");
            assertEquals(BatchNormImplementation.KERNELS, BatchNormImplementation.fromSystemProperty());
            System.setProperty(BatchNormImplementation.PROPERTY, "both");
            assertThrows(IllegalArgumentException.class, BatchNormImplementation::fromSystemProperty);
            System.clearProperty(BatchNormImplementation.PROPERTY);
            assertEquals(BatchNormImplementation.KERNELS, BatchNormImplementation.fromSystemProperty());
        } finally {
            if (before == null) {
                System.clearProperty(BatchNormImplementation.PROPERTY);
            } else {
                System.setProperty(BatchNormImplementation.PROPERTY, before);
            }
        }
    }
}
