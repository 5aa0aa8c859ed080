package dev.strix.data.mnist;

import dev.strix.data.ImageDataset;
import dev.strix.data.download.DownloadListener;
import dev.strix.data.download.Downloader;
import dev.strix.data.download.RemoteFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Gets an MNIST-format dataset into memory, from one of two places:
 *
 * <ul>
 *   <li>a directory the user names ({@link #loadFrom}): used as it is. Each file may be gzip-
 *   compressed or not; a compressed file whose checksum differs from the official one is used with
 *   a one-line warning, since a user may knowingly hold a rebuilt or patched copy.</li>
 *   <li>the cache ({@link #loadCached}, under {@link DataDirectory}): files are verified against
 *   the official checksums on every load; missing or corrupt ones are downloaded again from the
 *   mirrors, verified, and moved into place atomically.</li>
 * </ul>
 */
public final class MnistLoader {
    private final DatasetSource source;
    private final DownloadListener listener;
    private final Consumer<String> warnings;
    private final Duration connectTimeout;
    private final Duration stallTimeout;

    /**
     * @param source   the dataset; its mirrors are replaced by the system property
     *                 {@code strix.mirrors.<directoryName>} when set
     * @param listener download progress
     * @param warnings receives one line per warning
     */
    public MnistLoader(DatasetSource source, DownloadListener listener, Consumer<String> warnings) {
        this(source.withMirrorsFromSystemProperty(), listener, warnings, Duration.ofSeconds(15), Duration.ofSeconds(30));
    }

    private MnistLoader(DatasetSource source, DownloadListener listener, Consumer<String> warnings,
                        Duration connectTimeout, Duration stallTimeout) {
        this.source = source;
        this.listener = listener;
        this.warnings = warnings;
        this.connectTimeout = connectTimeout;
        this.stallTimeout = stallTimeout;
    }

    /** Silent downloads; warnings go to standard error. */
    public MnistLoader(DatasetSource source) {
        this(source, DownloadListener.NONE, w -> System.err.println("warning: " + w));
    }

    /** The same loader with other download timeouts (connect; no data for this long). */
    public MnistLoader withTimeouts(Duration connect, Duration stall) {
        return new MnistLoader(source, listener, warnings, connect, stall);
    }

    public DatasetSource source() {
        return source;
    }

    /** {@link #loadFrom} when {@code directory} is given, else {@link #loadCached()}. */
    public MnistData load(Path directory) throws IOException {
        return directory != null ? loadFrom(directory) : loadCached();
    }

    /** Reads the dataset from a directory the user chose, as it is (see the class comment). */
    public MnistData loadFrom(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new NoSuchFileException(directory.toString(), null, "no such directory; expected the "
                    + source.name() + " files " + fileNames() + " in it");
        }
        List<Path> paths = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (RemoteFile f : source.files()) {
            Path p = locate(directory, f.name());
            if (p == null) {
                missing.add(f.name());
            }
            paths.add(p);
        }
        if (!missing.isEmpty()) {
            throw new NoSuchFileException(directory.toString(), null, "missing " + String.join(", ", missing)
                    + " (compressed or not); " + source.name() + " needs " + fileNames()
                    + ". Leave the data directory unset to download them into the cache " + cacheDirectory());
        }
        for (int i = 0; i < paths.size(); i++) {
            checkUserFile(source.files().get(i), paths.get(i));
        }
        return read(paths);
    }

    /** Reads the dataset from the cache under {@link DataDirectory#cacheRoot()}, downloading as needed. */
    public MnistData loadCached() throws IOException {
        return loadCached(DataDirectory.cacheRoot());
    }

    /** Reads the dataset from the cache under {@code cacheRoot}, downloading as needed. */
    public MnistData loadCached(Path cacheRoot) throws IOException {
        return read(download(cacheRoot));
    }

    /**
     * Makes sure the cache under {@code cacheRoot} holds the four verified files, downloading
     * missing or corrupt ones; returns their paths in {@link DatasetSource#files()} order.
     */
    public List<Path> download(Path cacheRoot) throws IOException {
        Path directory = cacheRoot.resolve(source.directoryName());
        List<Path> paths = new ArrayList<>();
        Downloader downloader = null;
        try {
            for (RemoteFile f : source.files()) {
                Path p = directory.resolve(f.name());
                if (Files.isRegularFile(p)) {
                    String actual = f.checksum().compute(p);
                    if (actual.equals(f.checksum().hex())) {
                        paths.add(p);
                        continue;
                    }
                    warnings.accept("cached " + p + " is corrupt (" + f.checksum().algorithm() + " " + shortHex(actual)
                            + ", expected " + shortHex(f.checksum().hex()) + "); downloading it again");
                }
                if (downloader == null) {
                    downloader = new Downloader(connectTimeout, stallTimeout, listener);
                }
                paths.add(downloader.download(f, source.mirrors(), directory));
            }
        } finally {
            if (downloader != null) {
                downloader.close();
            }
        }
        return paths;
    }

    private MnistData read(List<Path> paths) throws IOException {
        ImageDataset training = ImageDataset.read(source.name() + " training set", paths.get(0), paths.get(1),
                source.classes());
        ImageDataset test = ImageDataset.read(source.name() + " test set", paths.get(2), paths.get(3),
                source.classes());
        return new MnistData(source, training, test);
    }

    /** {@code name} (gzip) or the same name without ".gz" (raw), whichever exists. */
    private static Path locate(Path directory, String name) {
        Path gz = directory.resolve(name);
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        Path raw = directory.resolve(name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name);
        return Files.isRegularFile(raw) ? raw : null;
    }

    /** Warns (one line each) about a checksum that differs and about a name that misstates compression. */
    private void checkUserFile(RemoteFile expected, Path file) throws IOException {
        String name = file.getFileName().toString();
        boolean gzip = looksGzip(file);
        boolean namedGz = name.endsWith(".gz");
        if (gzip && !namedGz) {
            warnings.accept(file + " looks gzip-compressed but is named without .gz; reading it as gzip");
        } else if (!gzip && namedGz) {
            warnings.accept(file + " is named .gz but is not gzip-compressed; reading it as a raw IDX file");
        }
        // Official checksums are those of the compressed files; a raw file is checked only by its structure.
        if (gzip && name.equals(expected.name())) {
            String actual = expected.checksum().compute(file);
            if (!actual.equals(expected.checksum().hex())) {
                warnings.accept(file + " differs from the official " + source.name() + " file ("
                        + expected.checksum().algorithm() + " " + shortHex(actual) + ", official "
                        + shortHex(expected.checksum().hex()) + "); using it as is, since the directory was given explicitly");
            }
        }
    }

    private static boolean looksGzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(2);
            return head.length == 2 && (head[0] & 0xFF) == 0x1F && (head[1] & 0xFF) == 0x8B;
        }
    }

    private static String shortHex(String hex) {
        return hex.substring(0, 12) + "...";
    }

    private List<String> fileNames() {
        return source.files().stream().map(RemoteFile::name).toList();
    }

    private Path cacheDirectory() {
        return DataDirectory.cacheRoot().resolve(source.directoryName());
    }
}
