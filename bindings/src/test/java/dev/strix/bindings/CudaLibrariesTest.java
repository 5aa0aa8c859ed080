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
        assertTrue(cublas.startsWith("libcublas.so.13 not found (cuBLAS; tried: "), cublas);
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
