package dev.strix.tensor.cpu;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.conformance.ElementwiseConformance;
import dev.strix.tensor.conformance.GemmConformance;
import dev.strix.tensor.conformance.ReductionConformance;
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
}
