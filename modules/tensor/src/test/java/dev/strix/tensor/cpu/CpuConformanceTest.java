package dev.strix.tensor.cpu;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.conformance.ActivationConformance;
import dev.strix.tensor.conformance.ConvolutionConformance;
import dev.strix.tensor.conformance.ConvolutionSweepConformance;
import dev.strix.tensor.conformance.DataOpsConformance;
import dev.strix.tensor.conformance.DirectConvolutionConformance;
import dev.strix.tensor.conformance.DirectPoolingConformance;
import dev.strix.tensor.conformance.ElementwiseConformance;
import dev.strix.tensor.conformance.BatchNormReluConformance;
import dev.strix.tensor.conformance.BiasReluEpilogueConformance;
import dev.strix.tensor.conformance.ImplicitGemmConvolutionConformance;
import dev.strix.tensor.conformance.OptimizerStepsConformance;
import dev.strix.tensor.conformance.LossesConformance;
import dev.strix.tensor.conformance.NormalizationConformance;
import dev.strix.tensor.conformance.PoolingConformance;
import dev.strix.tensor.conformance.GemmConformance;
import dev.strix.tensor.conformance.ReductionConformance;
import dev.strix.tensor.conformance.StridedWalkConformance;
import dev.strix.tensor.conformance.ViewConformance;
import org.junit.jupiter.api.Nested;

/** The whole conformance suite on the CPU backend. */
class CpuConformanceTest {
    @Nested
    class Views extends ViewConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class ConvolutionSweeps extends ConvolutionSweepConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class StridedWalks extends StridedWalkConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class Elementwise extends ElementwiseConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class Reductions extends ReductionConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class Gemm extends GemmConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class OptimizerSteps extends OptimizerStepsConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class Convolutions extends ConvolutionConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class Pooling extends PoolingConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class Normalization extends NormalizationConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class Activations extends ActivationConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class Losses extends LossesConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class Data extends DataOpsConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class Direct extends DirectConvolutionConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class ImplicitGemmConvolution extends ImplicitGemmConvolutionConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class BiasReluEpilogue extends BiasReluEpilogueConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class BatchNormRelu extends BatchNormReluConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }

    @Nested
    class DirectPooling extends DirectPoolingConformance {
        @Override
        protected Backend backend() {
            return Backends.cpu();
        }
    }
}
