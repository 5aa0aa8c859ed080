package dev.strix.cuda;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.spi.BackendProvider;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;

/**
 * The gate of every test that needs a GPU: on a machine without one, prints the provider's reason
 * (the loader's message, or the driver's) once per suite and aborts each test as skipped with
 * that reason, so the report counts the skipped tests and says why instead of passing silently.
 * Called from {@code @BeforeEach} (an aborted {@code @BeforeAll} would hide the tests from the count).
 */
final class CudaTestSupport {
    private static final Set<String> ANNOUNCED = new HashSet<>();

    private CudaTestSupport() {
    }

    /** The CUDA backend, or a skip carrying the reason it is unavailable. */
    static synchronized Backend cudaOrSkip(String suite) {
        BackendProvider.Availability a = new CudaBackendProvider().availability();
        if (ANNOUNCED.add(suite)) {
            System.out.println("[strix] " + suite + (a.available()
                    ? " runs on " + ((CudaBackend) Backends.named("cuda")).describe()
                    : " skipped: CUDA backend unavailable: " + a.reason()));
        }
        Assumptions.assumeTrue(a.available(), "CUDA backend unavailable: " + a.reason());
        return Backends.named("cuda");
    }
}
