package dev.strix.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the loader says when a library is missing or broken; nothing here needs a GPU. */
class CudaLibrariesTest {
    @TempDir
    Path temp;

    private static LibrarySearch.PythonDirectories noPython() {
        return new LibrarySearch.PythonDirectories(List.of(), "no python3 on PATH");
    }

    private LibrarySearch emptySearch() throws IOException {
        Path property = Files.createDirectories(temp.resolve("from-property"));
        Path home = Files.createDirectories(temp.resolve("cuda-home"));
        return new LibrarySearch(property.toString(), Map.of("CUDA_HOME", home.toString()), List.of(),
                CudaLibrariesTest::noPython);
    }

    @Test
    void missingDriverNamesTheFileAndEveryDirectoryTried() throws IOException {
        CudaLibraries.Result r = CudaLibraries.load(emptySearch(), NativeLibrary.CUDA_DRIVER);
        assertFalse(r.loaded());
        assertNull(r.path());
        String m = r.message();
        assertTrue(m.startsWith("libcuda.so.1 not found (CUDA driver; tried: "), m);
        assertTrue(m.contains(temp.resolve("from-property") + " (strix.cuda.path)"), m);
        assertTrue(m.contains(temp.resolve("cuda-home").resolve("lib64") + " (CUDA_HOME)"), m);
        assertTrue(m.contains(temp.resolve("cuda-home").resolve("lib") + " (CUDA_HOME)"), m);
        assertTrue(m.contains("set -Dstrix.cuda.path or STRIX_CUDA_PATH"), m);
        // Python's wheels never hold the driver, so the message does not pretend they were searched.
        assertFalse(m.contains("python3"), m);
    }

    @Test
    void missingCublasAndCudnnAlsoMentionPythonPackages() throws IOException {
        LibrarySearch search = emptySearch();
        String cublas = CudaLibraries.load(search, NativeLibrary.CUBLAS).message();
        assertTrue(cublas.startsWith("libcublas.so.13 or libcublas.so.12 not found (cuBLAS; tried: "), cublas);
        assertTrue(cublas.contains("python3 nvidia packages: no python3 on PATH"), cublas);
        String cudnn = CudaLibraries.load(search, NativeLibrary.CUDNN).message();
        assertTrue(cudnn.startsWith("libcudnn.so.9 not found (cuDNN; tried: "), cudnn);
        assertTrue(cudnn.contains(temp.resolve("from-property").toString()), cudnn);
    }

    @Test
    void aFileThatIsNoLibraryIsReportedWithTheLoadersReason() throws IOException {
        Path dir = Files.createDirectories(temp.resolve("broken"));
        Files.writeString(dir.resolve("libcuda.so.1"), "not an ELF file");
        LibrarySearch search = new LibrarySearch(dir.toString(), Map.of(), List.of(), CudaLibrariesTest::noPython);
        CudaLibraries.Result r = CudaLibraries.load(search, NativeLibrary.CUDA_DRIVER);
        assertFalse(r.loaded());
        assertTrue(r.message().startsWith("libcuda.so.1 found but not loadable: " + dir.resolve("libcuda.so.1")
                + ": not an ELF shared library (CUDA driver; tried: " + dir + " (strix.cuda.path); "), r.message());
    }

    @Test
    void aLibraryWithoutItsRequiredSiblingIsRefused() throws IOException {
        Path dir = Files.createDirectories(temp.resolve("lonely"));
        Files.writeString(dir.resolve("libcublas.so.13"), "");
        LibrarySearch search = new LibrarySearch(dir.toString(), Map.of(), List.of(), CudaLibrariesTest::noPython);
        String m = CudaLibraries.load(search, NativeLibrary.CUBLAS).message();
        assertTrue(m.contains(dir.resolve("libcublas.so.13") + " needs libcublasLt.so.13 beside it, which is missing"), m);
    }

    /**
     * A real shared library to stand in for cuBLAS: the JDK's libsyslookup.so (empty, no JNI_OnLoad),
     * copied under {@code names} into {@code dir}.
     */
    private static Path withStandIns(Path dir, String... names) throws IOException {
        Path real = Path.of(System.getProperty("java.home"), "lib", "libsyslookup.so");
        Files.createDirectories(dir);
        for (String name : names) {
            Files.copy(real, dir.resolve(name));
        }
        return dir;
    }

    @Test
    void cublas12StandsInWhenNoCublas13IsFound() throws IOException {
        Path wheel = withStandIns(temp.resolve("nvidia-cublas-cu12-lib"), "libcublas.so.12", "libcublasLt.so.12");
        LibrarySearch search = new LibrarySearch(null, Map.of(), List.of(),
                () -> new LibrarySearch.PythonDirectories(List.of(wheel), ""));
        CudaLibraries.Result r = CudaLibraries.load(search, NativeLibrary.CUBLAS);
        assertTrue(r.loaded(), r.message());
        assertEquals(wheel.resolve("libcublas.so.12"), r.path());
        assertEquals("cuBLAS loaded from " + wheel.resolve("libcublas.so.12") + " (python3 nvidia package;"
                + " libcublas.so.13 was not found, so libcublas.so.12 stands in)", r.message());
    }

    @Test
    void cublas13IsPreferredEvenInALaterDirectory() throws IOException {
        Path twelve = withStandIns(temp.resolve("first"), "libcublas.so.12", "libcublasLt.so.12");
        Path thirteen = withStandIns(temp.resolve("second"), "libcublas.so.13", "libcublasLt.so.13");
        LibrarySearch search = new LibrarySearch(twelve + ":" + thirteen, Map.of(), List.of(),
                CudaLibrariesTest::noPython);
        CudaLibraries.Result r = CudaLibraries.load(search, NativeLibrary.CUBLAS);
        assertEquals(thirteen.resolve("libcublas.so.13"), r.path(), r.message());
        assertEquals("cuBLAS loaded from " + thirteen.resolve("libcublas.so.13") + " (strix.cuda.path)", r.message());
    }

    @Test
    void cublas12StandsInForACublas13ThatDoesNotLoad() throws IOException {
        Path dir = withStandIns(temp.resolve("mixed"), "libcublas.so.12", "libcublasLt.so.12");
        Files.writeString(dir.resolve("libcublas.so.13"), "not an ELF file");
        LibrarySearch search = new LibrarySearch(dir.toString(), Map.of(), List.of(), CudaLibrariesTest::noPython);
        CudaLibraries.Result r = CudaLibraries.load(search, NativeLibrary.CUBLAS);
        assertEquals(dir.resolve("libcublas.so.12"), r.path(), r.message());
        assertTrue(r.message().endsWith("(strix.cuda.path; libcublas.so.13 did not load, so libcublas.so.12 stands in)"),
                r.message());
    }

    @Test
    void requireFailsWithTheSameMessageAsLoad() {
        CudaLibraries.Result r = CudaLibraries.load(NativeLibrary.CUDA_DRIVER);
        if (r.loaded()) {
            assertEquals(r.path(), CudaLibraries.require(NativeLibrary.CUDA_DRIVER));
        } else {
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> CudaLibraries.require(NativeLibrary.CUDA_DRIVER));
            assertEquals(r.message(), e.getMessage());
            assertTrue(e.getMessage().contains("libcuda.so.1"), e.getMessage());
        }
    }
}
