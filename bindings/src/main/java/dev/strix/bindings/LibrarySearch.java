package dev.strix.bindings;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Where the NVIDIA libraries are looked for, in order:
 * <ol>
 *   <li>the directories in the {@code strix.cuda.path} system property, then in the
 *       {@code STRIX_CUDA_PATH} environment variable (separated by {@code :});</li>
 *   <li>the library folders of {@code CUDA_HOME} and {@code CUDA_PATH} ({@code lib64}, {@code lib},
 *       {@code targets/<arch>-linux/lib});</li>
 *   <li>the directories in {@code LD_LIBRARY_PATH}, then those the system loader searches
 *       ({@code /etc/ld.so.conf} and its includes, then the default library folders);</li>
 *   <li>for cuBLAS and cuDNN only, the {@code lib} folders of Python's {@code nvidia-*} packages,
 *       asked of the {@code python3} on {@code PATH} (only when the earlier places had nothing).</li>
 * </ol>
 * Only files are checked here; {@link CudaLibraries} loads what is found.
 */
public final class LibrarySearch {
    /** Property and variable naming extra library directories, searched first. */
    public static final String PATH_PROPERTY = "strix.cuda.path";
    public static final String PATH_VARIABLE = "STRIX_CUDA_PATH";

    /** A directory to look in and why it is on the list, e.g. {@code /usr/local/cuda/lib64 (CUDA_HOME)}. */
    public record Place(Path directory, String source) {
        @Override
        public String toString() {
            return directory + " (" + source + ")";
        }
    }

    /** The outcome of asking python3 for its nvidia package folders: the folders, or why there are none. */
    record PythonDirectories(List<Path> directories, String note) {
    }

    private final List<Place> places;
    private final Supplier<PythonDirectories> python;
    private PythonDirectories pythonAnswer;

    /**
     * A search over explicit inputs (tests use this): the {@code strix.cuda.path} value (may be null),
     * the environment, the system loader's directories, and how to ask python3.
     */
    LibrarySearch(String pathProperty, Map<String, String> environment, List<Path> systemDirectories,
                  Supplier<PythonDirectories> python) {
        Map<Path, String> ordered = new LinkedHashMap<>();
        addPathList(ordered, pathProperty, PATH_PROPERTY);
        addPathList(ordered, environment.get(PATH_VARIABLE), PATH_VARIABLE);
        for (String home : List.of("CUDA_HOME", "CUDA_PATH")) {
            String root = environment.get(home);
            if (root != null && !root.isBlank()) {
                for (String sub : List.of("lib64", "lib", "targets/" + targetArchitecture() + "/lib")) {
                    ordered.putIfAbsent(Path.of(root, sub), home);
                }
            }
        }
        addPathList(ordered, environment.get("LD_LIBRARY_PATH"), "LD_LIBRARY_PATH");
        for (Path dir : systemDirectories) {
            ordered.putIfAbsent(dir, "system loader");
        }
        List<Place> list = new ArrayList<>();
        ordered.forEach((dir, source) -> list.add(new Place(dir, source)));
        this.places = List.copyOf(list);
        this.python = python;
    }

    /** The search this process uses: its system properties, environment, /etc/ld.so.conf and python3. */
    public static LibrarySearch fromEnvironment() {
        return new LibrarySearch(System.getProperty(PATH_PROPERTY), System.getenv(), systemLoaderDirectories(),
                LibrarySearch::askPython);
    }

    /** Places searched for every library, before Python's packages. */
    public List<Place> places() {
        return places;
    }

    /** Directories holding the preferred edition of {@code library}, in search order. */
    List<Place> candidates(NativeLibrary library) {
        return candidates(library, library.fileName());
    }

    /**
     * Directories holding {@code fileName} (one of {@code library}'s editions), in search order;
     * python3 is only asked when no other place has it.
     */
    List<Place> candidates(NativeLibrary library, String fileName) {
        List<Place> found = new ArrayList<>();
        for (Place p : places) {
            if (Files.isRegularFile(p.directory().resolve(fileName))) {
                found.add(p);
            }
        }
        if (found.isEmpty() && library.shippedByPythonPackages()) {
            for (Path dir : pythonDirectories().directories()) {
                if (Files.isRegularFile(dir.resolve(fileName))) {
                    found.add(new Place(dir, "python3 nvidia package"));
                }
            }
        }
        return found;
    }

    /** Everything tried for {@code library}, in order, for the "not found" message. */
    List<String> tried(NativeLibrary library) {
        List<String> tried = new ArrayList<>();
        for (Place p : places) {
            tried.add(p.toString());
        }
        if (library.shippedByPythonPackages()) {
            PythonDirectories py = pythonDirectories();
            for (Path dir : py.directories()) {
                tried.add(new Place(dir, "python3 nvidia package").toString());
            }
            if (py.directories().isEmpty()) {
                tried.add("python3 nvidia packages: " + py.note());
            }
        }
        return tried;
    }

    private synchronized PythonDirectories pythonDirectories() {
        if (pythonAnswer == null) {
            pythonAnswer = python.get();
        }
        return pythonAnswer;
    }

    private static void addPathList(Map<Path, String> ordered, String list, String source) {
        if (list == null) {
            return;
        }
        for (String part : list.split(File.pathSeparator)) {
            if (!part.isBlank()) {
                ordered.putIfAbsent(Path.of(part.strip()), source);
            }
        }
    }

    private static String targetArchitecture() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return arch.equals("aarch64") || arch.equals("arm64") ? "sbsa-linux" : "x86_64-linux";
    }

    /** The directories of /etc/ld.so.conf (following includes), then the loader's built-in ones. */
    static List<Path> systemLoaderDirectories() {
        return systemLoaderDirectories(Path.of("/etc/ld.so.conf"));
    }

    static List<Path> systemLoaderDirectories(Path loaderConfig) {
        List<Path> dirs = new ArrayList<>();
        readLoaderConfig(loaderConfig, dirs, 0);
        for (String d : List.of("/lib64", "/usr/lib64", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib")) {
            Path p = Path.of(d);
            if (!dirs.contains(p) && Files.isDirectory(p)) {
                dirs.add(p);
            }
        }
        return dirs;
    }

    private static void readLoaderConfig(Path file, List<Path> dirs, int depth) {
        if (depth > 8 || !Files.isRegularFile(file)) {
            return;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return;
        }
        for (String raw : lines) {
            String line = raw.replaceFirst("#.*", "").strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("include ")) {
                Path pattern = file.getParent().resolve(line.substring("include ".length()).strip());
                Path folder = pattern.getParent();
                if (folder == null || !Files.isDirectory(folder)) {
                    continue;
                }
                List<Path> included = new ArrayList<>();
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(folder, pattern.getFileName().toString())) {
                    ds.forEach(included::add);
                } catch (IOException | RuntimeException e) {
                    continue;
                }
                included.sort(null);
                for (Path inc : included) {
                    readLoaderConfig(inc, dirs, depth + 1);
                }
            } else if (line.startsWith("/")) {
                Path p = Path.of(line);
                if (!dirs.contains(p)) {
                    dirs.add(p);
                }
            }
        }
    }

    private static final String PYTHON_SCRIPT = String.join("\n",
            "import os",
            "try:",
            "    import nvidia",
            "except Exception:",
            "    raise SystemExit(0)",
            "for root in list(getattr(nvidia, '__path__', [])):",
            "    for entry in sorted(os.listdir(root)):",
            "        for sub in ('lib', 'lib64'):",
            "            d = os.path.join(root, entry, sub)",
            "            if os.path.isdir(d):",
            "                print(d)");

    /** Runs {@code python3} (if on PATH) to list the lib folders of the {@code nvidia} namespace package. */
    static PythonDirectories askPython() {
        Process process;
        try {
            process = new ProcessBuilder("python3", "-c", PYTHON_SCRIPT)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            return new PythonDirectories(List.of(), "no python3 on PATH");
        }
        try (InputStream out = process.getInputStream()) {
            // The answer is a few lines, well under a pipe's buffer, so waiting before reading cannot block.
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new PythonDirectories(List.of(), "python3 did not answer within 10 s");
            }
            String text = new String(out.readAllBytes(), StandardCharsets.UTF_8);
            List<Path> dirs = text.lines().map(String::strip).filter(s -> !s.isEmpty()).map(Path::of).toList();
            return new PythonDirectories(dirs, dirs.isEmpty() ? "python3 has no nvidia packages" : "");
        } catch (IOException e) {
            return new PythonDirectories(List.of(), "python3 failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new PythonDirectories(List.of(), "interrupted while asking python3");
        }
    }

    /** The first candidate directory for {@code library}, if any. */
    public Optional<Place> find(NativeLibrary library) {
        List<Place> c = candidates(library);
        return c.isEmpty() ? Optional.empty() : Optional.of(c.getFirst());
    }
}
