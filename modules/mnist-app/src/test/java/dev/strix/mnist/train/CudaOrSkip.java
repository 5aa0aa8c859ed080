package dev.strix.mnist.train;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.spi.BackendProvider;
import org.junit.jupiter.api.Assumptions;

/** The CUDA backend for a test, or the test skipped with the reason printed (never a silent pass). */
final class CudaOrSkip {
    private CudaOrSkip() {
    }

    /** The CUDA backend; where it is unavailable, prints "[strix] {@code what} skipped: ..." and skips. */
    static Backend backend(String what) {
        BackendProvider cuda = Backends.providers().stream().filter(p -> p.name().equals("cuda")).findFirst()
                .orElse(null);
        String reason = cuda == null ? "no cuda backend on the class path" : cuda.availability().reason();
        boolean available = cuda != null && cuda.availability().available();
        if (!available) {
            System.out.println("[strix] " + what + " skipped: CUDA backend unavailable: " + reason);
        }
        Assumptions.assumeTrue(available, "CUDA backend unavailable: " + reason);
        return Backends.named("cuda");
    }
}
