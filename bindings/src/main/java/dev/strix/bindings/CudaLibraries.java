package dev.strix.bindings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Finds and loads the NVIDIA libraries by absolute path, before any generated binding class is used.
 *
 * <p>The jextract classes ({@code CudaDriver}, {@code Cublas}, {@code Cudnn}) resolve their symbols
 * through {@link java.lang.foreign.SymbolLookup#loaderLookup()}, which sees the libraries that this
 * class loader has loaded with {@link System#load}. So callers first ask {@link #load} and touch a
 * binding only when it said yes; where a library is missing they get one message naming it and every
 * place that was tried, and never a linkage error.
 *
 * <p>Results are remembered: each library is searched for once per process.
 */
public final class CudaLibraries {
    private static final Map<NativeLibrary, Result> RESULTS = new EnumMap<>(NativeLibrary.class);
    private static LibrarySearch search;

    private CudaLibraries() {
    }

    /** Whether a library was loaded, from where, and otherwise why not (one line). */
    public record Result(NativeLibrary library, Path path, String message) {
        public boolean loaded() {
            return path != null;
        }
    }

    /** Loads {@code library} (and its siblings) the first time; later calls return the same answer. */
    public static synchronized Result load(NativeLibrary library) {
        Result r = RESULTS.get(library);
        if (r == null) {
            if (search == null) {
                search = LibrarySearch.fromEnvironment();
            }
            r = load(search, library);
            RESULTS.put(library, r);
        }
        return r;
    }

    /** {@link #load(NativeLibrary)}, failing with the loader's message when the library is missing. */
    public static Path require(NativeLibrary library) {
        Result r = load(library);
        if (!r.loaded()) {
            throw new IllegalStateException(r.message());
        }
        return r.path();
    }

    /**
     * One search and load attempt over {@code search}'s places, without remembering the result: each
     * edition in turn (cuBLAS 13, then 12), each in every directory that holds it, until one loads.
     */
    static Result load(LibrarySearch search, NativeLibrary library) {
        List<String> failures = new ArrayList<>();
        NativeLibrary.Edition preferred = library.editions().getFirst();
        for (NativeLibrary.Edition edition : library.editions()) {
            for (LibrarySearch.Place place : search.candidates(library, edition.fileName())) {
                String failure = loadFrom(place.directory(), library, edition);
                if (failure == null) {
                    Path path = place.directory().resolve(edition.fileName());
                    String instead = edition == preferred ? ""
                            : "; " + preferred.fileName() + (failures.isEmpty() ? " was not found" : " did not load")
                                    + ", so " + edition.fileName() + " stands in";
                    return new Result(library, path,
                            library.title() + " loaded from " + path + " (" + place.source() + instead + ")");
                }
                failures.add(failure);
            }
        }
        StringBuilder message = new StringBuilder(preferred.fileName());
        for (NativeLibrary.Edition other : library.editions().subList(1, library.editions().size())) {
            message.append(" or ").append(other.fileName());
        }
        if (failures.isEmpty()) {
            message.append(" not found");
        } else {
            message.append(" found but not loadable: ").append(String.join("; ", failures));
        }
        message.append(" (").append(library.title()).append("; tried: ")
                .append(String.join(", ", search.tried(library)))
                .append("; set -D").append(LibrarySearch.PATH_PROPERTY).append(" or ")
                .append(LibrarySearch.PATH_VARIABLE).append(" to the directory holding it)");
        return new Result(library, null, message.toString());
    }

    /** Loads the siblings and the library from {@code dir}; null on success, else what went wrong. */
    private static String loadFrom(Path dir, NativeLibrary library, NativeLibrary.Edition edition) {
        for (String sibling : edition.requiredSiblings()) {
            Path p = dir.resolve(sibling);
            if (!Files.isRegularFile(p)) {
                return dir.resolve(edition.fileName()) + " needs " + sibling + " beside it, which is missing";
            }
            String failure = systemLoad(p);
            if (failure != null) {
                return failure;
            }
        }
        for (String sibling : library.optionalSiblings()) {
            Path p = dir.resolve(sibling);
            if (Files.isRegularFile(p)) {
                // A sub-library that cannot load (say, for want of libnvrtc) only disables the features
                // that need it; cuDNN reports that itself when such a feature is used.
                systemLoad(p);
            }
        }
        return systemLoad(dir.resolve(edition.fileName()));
    }

    private static String systemLoad(Path file) {
        String notElf = checkElfMagic(file);
        if (notElf != null) {
            return notElf;
        }
        try {
            System.load(file.toAbsolutePath().toString());
            return null;
        } catch (UnsatisfiedLinkError | SecurityException e) {
            return file + ": " + e.getMessage();
        }
    }

    /** Refuses files that are not ELF objects before the dynamic loader sees them (it reports them noisily). */
    private static String checkElfMagic(Path file) {
        byte[] head = new byte[4];
        try (var in = Files.newInputStream(file)) {
            if (in.readNBytes(head, 0, 4) == 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F') {
                return null;
            }
            return file + ": not an ELF shared library";
        } catch (java.io.IOException e) {
            return file + ": cannot be read (" + e.getMessage() + ")";
        }
    }
}
