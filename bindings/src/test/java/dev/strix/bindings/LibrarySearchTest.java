package dev.strix.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The order in which directories are searched; only files are involved. */
class LibrarySearchTest {
    @TempDir
    Path temp;

    private Path dirWith(String name, String... files) throws IOException {
        Path d = Files.createDirectories(temp.resolve(name));
        for (String f : files) {
            Files.writeString(d.resolve(f), "");
        }
        return d;
    }

    @Test
    void propertyThenVariableThenCudaHomeThenLdLibraryPathThenSystem() throws IOException {
        Path property = dirWith("property", "libcuda.so.1");
        Path variable = dirWith("variable", "libcuda.so.1");
        Path home = dirWith("home");
        Path homeLib = Files.createDirectories(home.resolve("lib64"));
        Files.writeString(homeLib.resolve("libcuda.so.1"), "");
        Path ld = dirWith("ld", "libcuda.so.1");
        Path system = dirWith("system", "libcuda.so.1");
        Path empty = dirWith("empty");
        LibrarySearch search = new LibrarySearch(property + ":" + empty,
                Map.of("STRIX_CUDA_PATH", variable.toString(), "CUDA_HOME", home.toString(),
                        "LD_LIBRARY_PATH", ld.toString()),
                List.of(system), () -> fail("python3 must not be asked for the driver"));
        List<LibrarySearch.Place> found = search.candidates(NativeLibrary.CUDA_DRIVER);
        assertEquals(List.of(
                new LibrarySearch.Place(property, "strix.cuda.path"),
                new LibrarySearch.Place(variable, "STRIX_CUDA_PATH"),
                new LibrarySearch.Place(homeLib, "CUDA_HOME"),
                new LibrarySearch.Place(ld, "LD_LIBRARY_PATH"),
                new LibrarySearch.Place(system, "system loader")), found);
        assertEquals(property, search.find(NativeLibrary.CUDA_DRIVER).orElseThrow().directory());
    }

    @Test
    void aDirectoryListedTwiceKeepsItsFirstReason() throws IOException {
        Path d = dirWith("twice", "libcuda.so.1");
        LibrarySearch search = new LibrarySearch(d.toString(), Map.of("LD_LIBRARY_PATH", d.toString()), List.of(d),
                () -> fail("not needed"));
        assertEquals(List.of(new LibrarySearch.Place(d, "strix.cuda.path")), search.candidates(NativeLibrary.CUDA_DRIVER));
    }

    @Test
    void pythonPackagesAreAskedOnceAndOnlyWhenNothingElseHasTheLibrary() throws IOException {
        Path wheel = dirWith("site-packages-nvidia-cu13-lib", "libcublas.so.13", "libcublasLt.so.13");
        AtomicInteger asked = new AtomicInteger();
        LibrarySearch search = new LibrarySearch(null, Map.of(), List.of(), () -> {
            asked.incrementAndGet();
            return new LibrarySearch.PythonDirectories(List.of(wheel), "");
        });
        assertEquals(List.of(new LibrarySearch.Place(wheel, "python3 nvidia package")),
                search.candidates(NativeLibrary.CUBLAS));
        assertTrue(search.candidates(NativeLibrary.CUDNN).isEmpty());
        assertEquals(1, asked.get());

        Path local = dirWith("local", "libcublas.so.13");
        LibrarySearch preferLocal = new LibrarySearch(local.toString(), Map.of(), List.of(),
                () -> fail("python3 must not be asked when a directory already has cuBLAS"));
        assertEquals(local, preferLocal.find(NativeLibrary.CUBLAS).orElseThrow().directory());
    }

    @Test
    void systemPropertyIsReadByFromEnvironment() throws IOException {
        Path d = dirWith("from-property");
        String before = System.getProperty(LibrarySearch.PATH_PROPERTY);
        System.setProperty(LibrarySearch.PATH_PROPERTY, d.toString());
        try {
            assertEquals(new LibrarySearch.Place(d, "strix.cuda.path"), LibrarySearch.fromEnvironment().places().getFirst());
        } finally {
            if (before == null) {
                System.clearProperty(LibrarySearch.PATH_PROPERTY);
            } else {
                System.setProperty(LibrarySearch.PATH_PROPERTY, before);
            }
        }
    }

    @Test
    void loaderConfigIncludesAreFollowed() throws IOException {
        Path etc = dirWith("etc");
        Path confD = Files.createDirectories(etc.resolve("ld.so.conf.d"));
        Files.writeString(etc.resolve("ld.so.conf"), "# comment\ninclude ld.so.conf.d/*.conf\n/opt/first\n");
        Files.writeString(confD.resolve("b.conf"), "/opt/nvidia/lib64\n");
        Files.writeString(confD.resolve("a.conf"), "/usr/local/cuda/lib64 # the toolkit\n");
        Files.writeString(confD.resolve("ignored.txt"), "/opt/ignored\n");
        List<Path> dirs = LibrarySearch.systemLoaderDirectories(etc.resolve("ld.so.conf"));
        assertEquals(List.of(Path.of("/usr/local/cuda/lib64"), Path.of("/opt/nvidia/lib64"), Path.of("/opt/first")),
                dirs.subList(0, 3));
    }
}
