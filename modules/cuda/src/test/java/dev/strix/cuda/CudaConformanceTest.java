package dev.strix.cuda;

import dev.strix.tensor.Backend;
import dev.strix.tensor.conformance.ActivationConformance;
import dev.strix.tensor.conformance.BatchNormReluConformance;
import dev.strix.tensor.conformance.BiasReluEpilogueConformance;
import dev.strix.tensor.conformance.ConvolutionConformance;
import dev.strix.tensor.conformance.ConvolutionSweepConformance;
import dev.strix.tensor.conformance.DataOpsConformance;
import dev.strix.tensor.conformance.DirectConvolutionConformance;
import dev.strix.tensor.conformance.DirectPoolingConformance;
import dev.strix.tensor.conformance.ElementwiseConformance;
import dev.strix.tensor.conformance.GemmConformance;
import dev.strix.tensor.conformance.LossesConformance;
import dev.strix.tensor.conformance.NormalizationConformance;
import dev.strix.tensor.conformance.OptimizerStepsConformance;
import dev.strix.tensor.conformance.PoolingConformance;
import dev.strix.tensor.conformance.ReductionConformance;
import dev.strix.tensor.conformance.StridedWalkConformance;
import dev.strix.tensor.conformance.ViewConformance;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;

/**
 * The whole conformance suite (strix-tensor's test jar), every op group, on the CUDA backend: the
 * same tests, the same naive double-precision references as on the CPU. Without a GPU the whole
 * class is reported as skipped, with the reason printed and attached to the skip.
 */
class CudaConformanceTest {
    private static Backend cuda;

    /** Runs before every test, nested ones included: each is skipped with the reason when there is no GPU. */
    @BeforeEach
    void requireGpu() {
        cuda = CudaTestSupport.cudaOrSkip("CUDA conformance suite");
    }

    @Nested
    class Views extends ViewConformance {
        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    @Nested
    class ConvolutionSweeps extends ConvolutionSweepConformance {
        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    @Nested
    class StridedWalks extends StridedWalkConformance {
        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    @Nested
    class Elementwise extends ElementwiseConformance {
        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    @Nested
    class Reductions extends ReductionConformance {
        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    @Nested
    class OptimizerSteps extends OptimizerStepsConformance {
        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    @Nested
    class Convolutions extends ConvolutionConformance {
        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    @Nested
    class Pooling extends PoolingConformance {
        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    @Nested
    class Normalization extends NormalizationConformance {
        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    /**
     * cuDNN's batch norm ({@link CudaBackend#cudnnNormalization()}), whichever batch norm the
     * backend offers; skipped with the reason where libcudnn is missing.
     */
    @Nested
    class CudnnNormalization extends NormalizationConformance {
        @BeforeEach
        void requireCudnn() {
            CudnnTestSupport.requireCudnn();
        }

        @Override
        protected Backend backend() {
            return cuda;
        }

        @Override
        protected dev.strix.tensor.Normalization normalization() {
            return ((CudaBackend) cuda).cudnnNormalization();
        }

        /** cuDNN does not document the precision of its statistics (it may sum in float32): 1e-5. */
        @Override
        protected double statisticsTolerance() {
            return 1e-5;
        }
    }

    @Nested
    class Activations extends ActivationConformance {
        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    @Nested
    class Losses extends LossesConformance {
        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    @Nested
    class Gemm extends GemmConformance {
        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    @Nested
    class Data extends DataOpsConformance {
        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    /** cuDNN's convolutions; skipped with the reason where libcudnn is missing. */
    @Nested
    class Direct extends DirectConvolutionConformance {
        @BeforeEach
        void requireCudnn() {
            CudnnTestSupport.requireCudnn();
        }

        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    @Nested
    class BiasReluEpilogue extends BiasReluEpilogueConformance {
        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    @Nested
    class BatchNormRelu extends BatchNormReluConformance {
        @Override
        protected Backend backend() {
            return cuda;
        }
    }

    /** cuDNN's pooling (the CUDA backend's {@code directPooling()}); skipped with the reason where libcudnn is missing. */
    @Nested
    class DirectPooling extends DirectPoolingConformance {
        @BeforeEach
        void requireCudnn() {
            CudnnTestSupport.requireCudnn();
        }

        @Override
        protected Backend backend() {
            return cuda;
        }
    }
}
