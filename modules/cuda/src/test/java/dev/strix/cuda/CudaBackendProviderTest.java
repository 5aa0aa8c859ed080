package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backends;
import dev.strix.tensor.spi.BackendProvider;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Registration and the availability answer; runs on every machine, with or without a GPU. */
class CudaBackendProviderTest {
    @Test
    void registeredAboveTheCpu() {
        List<BackendProvider> providers = Backends.providers();
        BackendProvider cuda = providers.stream().filter(p -> p.name().equals("cuda")).findFirst().orElseThrow(
                () -> new AssertionError("no cuda provider among " + providers.stream().map(BackendProvider::name).toList()));
        assertTrue(cuda.priority() > 0, "priority " + cuda.priority());
        assertEquals("cuda", providers.getFirst().name(), "highest priority first");
    }

    @Test
    void availabilityExplainsItselfAndBestFallsBackToTheCpu() {
        BackendProvider.Availability a = new CudaBackendProvider().availability();
        assertNotNull(a.reason());
        assertFalse(a.reason().isBlank());
        Backends.Choice choice = Backends.choose();
        if (a.available()) {
            assertEquals("cuda", choice.backend().name());
        } else {
            System.out.println("[strix] CUDA unavailable here: " + a.reason());
            assertEquals("cpu", choice.backend().name());
            assertTrue(choice.reason().contains("cuda unavailable: " + a.reason()), choice.reason());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> new CudaBackendProvider().create());
            assertEquals("CUDA backend unavailable: " + a.reason(), e.getMessage());
            IllegalStateException named = assertThrows(IllegalStateException.class, () -> Backends.named("cuda"));
            assertTrue(named.getMessage().contains(a.reason()), named.getMessage());
        }
    }

    @Test
    void aMissingDriverIsNamedWithThePlacesTried() {
        BackendProvider.Availability a = new CudaBackendProvider().availability();
        if (a.reason().startsWith("libcuda.so.1")) {
            assertTrue(a.reason().startsWith("libcuda.so.1 not found (CUDA driver; tried: ")
                    || a.reason().startsWith("libcuda.so.1 found but not loadable: "), a.reason());
            assertTrue(a.reason().contains("(system loader)") || a.reason().contains("(LD_LIBRARY_PATH)")
                    || a.reason().contains("(CUDA_HOME)"), a.reason());
        } else {
            // The driver loaded: the answer is about the GPU, the kernels or cuBLAS, or a yes.
            assertTrue(a.available() || a.reason().startsWith("CUDA driver found") || a.reason().startsWith("kernels not built")
                    || a.reason().startsWith("libcublas.so.13"), a.reason());
        }
    }

    @Test
    void theBuildEmbedsTheKernelsWhenItHasNvcc() throws IOException {
        String cudaHome = System.getenv("CUDA_HOME");
        boolean nvcc = Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc"))
                || (cudaHome != null && Files.isExecutable(Path.of(cudaHome, "bin", "nvcc")));
        // The tests may run elsewhere than the build (the device bundle), so only a machine with nvcc can tell.
        org.junit.jupiter.api.Assumptions.assumeTrue(nvcc, "no nvcc on this machine");
        assertTrue(CudaKernels.built(), "the build had nvcc, so the fatbin must be embedded");
        {
            try (InputStream in = CudaKernels.class.getResourceAsStream(CudaKernels.FATBIN)) {
                byte[] head = in.readNBytes(4);
                // Fatbin container magic 0xBA55ED50, little-endian.
                assertEquals(List.of((byte) 0x50, (byte) 0xED, (byte) 0x55, (byte) 0xBA),
                        List.of(head[0], head[1], head[2], head[3]));
            }
        }
    }
}
