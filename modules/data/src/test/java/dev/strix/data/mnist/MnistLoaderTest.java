package dev.strix.data.mnist;

import static dev.strix.data.idx.IdxFixtures.gzip;
import static dev.strix.data.idx.IdxFixtures.idx;
import static dev.strix.data.idx.IdxFixtures.labels;
import static dev.strix.data.idx.IdxFixtures.pixels;
import static dev.strix.data.idx.IdxFixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.data.ImageDataset;
import dev.strix.data.Normalization;
import dev.strix.data.download.Checksum;
import dev.strix.data.download.DownloadException;
import dev.strix.data.download.DownloadListener;
import dev.strix.data.download.LocalMirror;
import dev.strix.data.download.RemoteFile;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole path for a small fake dataset: mirrors on a local server, the cache, user directories. */
class MnistLoaderTest {
    private static final String[] NAMES = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};

    @TempDir
    Path root;

    private LocalMirror mirror;
    private byte[][] files;
    private DatasetSource source;
    private final List<String> warnings = new ArrayList<>();

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @BeforeEach
    void start() {
        files = new byte[][] {gzip(idx(pixels(20, 4, 4), 20, 4, 4)), gzip(idx(labels(20, 10), 20)),
            gzip(idx(pixels(6, 4, 4), 6, 4, 4)), gzip(idx(labels(6, 10), 6))};
        mirror = new LocalMirror();
        RemoteFile[] remote = new RemoteFile[4];
        for (int i = 0; i < 4; i++) {
            mirror.put(NAMES[i], files[i]);
            remote[i] = new RemoteFile(NAMES[i], Checksum.sha256(sha256(files[i])), files[i].length);
        }
        source = new DatasetSource("Toy", "toy", remote[0], remote[1], remote[2], remote[3],
                List.of(mirror.base(LocalMirror.Mode.CORRUPT), mirror.base(LocalMirror.Mode.GOOD)),
                List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), Normalization.NONE);
    }

    @AfterEach
    void stop() {
        mirror.close();
    }

    private MnistLoader loader() {
        return new MnistLoader(source, DownloadListener.NONE, warnings::add)
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5));
    }

    private static void assertToyData(MnistData d) {
        assertEquals(20, d.training().count());
        assertEquals(6, d.test().count());
        assertArrayEquals(java.util.Arrays.copyOfRange(pixels(20, 4, 4), 17 * 16, 18 * 16), d.training().image(17));
        assertEquals(5, d.test().label(5));
    }

    private List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void downloadsIntoTheCacheOnceThenReadsFromIt() throws IOException {
        MnistData first = loader().loadCached(root);
        assertToyData(first);
        assertEquals(List.of(NAMES[2], NAMES[3], NAMES[0], NAMES[1]), listing(root.resolve("toy")));
        assertEquals(4, mirror.requests(LocalMirror.Mode.CORRUPT), "each file tried the corrupt mirror first");
        assertEquals(4, mirror.requests(LocalMirror.Mode.GOOD));
        assertEquals(List.of(), warnings);

        mirror.close();
        MnistData second = loader().loadCached(root);
        assertToyData(second);
        assertEquals(4, mirror.requests(LocalMirror.Mode.GOOD), "the cache is used without asking the mirrors");
    }

    @Test
    void corruptCachedFileIsDownloadedAgain() throws IOException {
        loader().loadCached(root);
        Path cached = root.resolve("toy").resolve(NAMES[1]);
        Files.write(cached, gzip(idx(labels(20, 3), 20)));
        MnistData d = loader().loadCached(root);
        assertToyData(d);
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).startsWith("cached " + cached + " is corrupt (SHA-256 "), warnings.get(0));
        assertTrue(warnings.get(0).endsWith("); downloading it again"), warnings.get(0));
        assertArrayEquals(files[1], Files.readAllBytes(cached));
        assertEquals(5, mirror.requests(LocalMirror.Mode.GOOD));
    }

    @Test
    void failedDownloadReportsEveryMirrorAndLeavesNoPartialFile() {
        source = source.withMirrors(List.of(mirror.base(LocalMirror.Mode.DROP), mirror.base(LocalMirror.Mode.MISSING)));
        DownloadException e = assertThrows(DownloadException.class, () -> loader().loadCached(root));
        assertEquals(2, e.attempts().size());
        assertTrue(Files.isDirectory(root.resolve("toy")));
        assertEquals(List.of(), assertListing(root.resolve("toy")));
    }

    private List<String> assertListing(Path dir) {
        try {
            return listing(dir);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void userDirectoryIsUsedAsIsWithOneWarningPerUnexpectedChecksum() throws IOException {
        Path user = Files.createDirectory(root.resolve("user"));
        byte[] rebuilt = pixels(20, 4, 4);
        rebuilt[5] ^= 1; // a rebuilt copy, one grey level off in one pixel
        write(user, NAMES[0], gzip(idx(rebuilt, 20, 4, 4)));
        for (int i = 1; i < 4; i++) {
            write(user, NAMES[i], files[i]);
        }
        MnistData d = loader().loadFrom(user);
        assertEquals(rebuilt[5] & 0xFF, d.training().pixel(0, 1, 1));
        assertEquals(1, warnings.size(), warnings.toString());
        String w = warnings.get(0);
        assertTrue(w.startsWith(user.resolve(NAMES[0]) + " differs from the official Toy file (SHA-256 "), w);
        assertTrue(w.endsWith("); using it as is, since the directory was given explicitly"), w);
        assertTrue(!w.contains("\n"));
        assertEquals(0, mirror.requests(LocalMirror.Mode.GOOD), "a user directory never triggers downloads");
    }

    @Test
    void userDirectoryMayHoldUncompressedFiles() throws IOException {
        Path user = Files.createDirectory(root.resolve("raw"));
        write(user, "train-images-idx3-ubyte", idx(pixels(20, 4, 4), 20, 4, 4));
        write(user, "train-labels-idx1-ubyte", idx(labels(20, 10), 20));
        write(user, "t10k-images-idx3-ubyte", idx(pixels(6, 4, 4), 6, 4, 4));
        write(user, NAMES[3], files[3]);
        assertToyData(loader().loadFrom(user));
        assertEquals(List.of(), warnings);
    }

    @Test
    void misnamedCompressionIsReadWithAWarning() throws IOException {
        Path user = Files.createDirectory(root.resolve("misnamed"));
        write(user, "train-images-idx3-ubyte", files[0]);
        write(user, NAMES[1], idx(labels(20, 10), 20));
        write(user, NAMES[2], files[2]);
        write(user, NAMES[3], files[3]);
        assertToyData(loader().loadFrom(user));
        assertEquals(List.of(
                user.resolve("train-images-idx3-ubyte") + " looks gzip-compressed but is named without .gz; reading it as gzip",
                user.resolve(NAMES[1]) + " is named .gz but is not gzip-compressed; reading it as a raw IDX file"), warnings);
    }

    @Test
    void missingFilesAreListed() throws IOException {
        Path user = Files.createDirectory(root.resolve("partial"));
        write(user, NAMES[0], files[0]);
        write(user, NAMES[1], files[1]);
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> loader().loadFrom(user));
        assertTrue(e.getMessage().startsWith(user + ": missing t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz"
                + " (compressed or not); Toy needs [" + String.join(", ", NAMES) + "]"), e.getMessage());
        NoSuchFileException none = assertThrows(NoSuchFileException.class, () -> loader().loadFrom(root.resolve("absent")));
        assertTrue(none.getMessage().contains("no such directory"), none.getMessage());
    }

    @Test
    void brokenFileInUserDirectoryNamesTheFile() throws IOException {
        Path user = Files.createDirectory(root.resolve("broken"));
        byte[] cut = java.util.Arrays.copyOf(idx(pixels(20, 4, 4), 20, 4, 4), 100);
        write(user, "train-images-idx3-ubyte", cut);
        for (int i = 1; i < 4; i++) {
            write(user, NAMES[i], files[i]);
        }
        IOException e = assertThrows(IOException.class, () -> loader().loadFrom(user));
        assertEquals("train-images-idx3-ubyte: truncated: header says 20 images of 4x4 (320 bytes), file has 84;"
                + " delete it and download it again", e.getMessage());
    }

    @Test
    void mirrorsCanBeReplacedBySystemProperty() {
        String key = DatasetSource.MIRRORS_PROPERTY_PREFIX + "toy";
        System.setProperty(key, "http://127.0.0.1:1/a/, http://127.0.0.1:1/b/");
        try {
            MnistLoader l = new MnistLoader(source, DownloadListener.NONE, warnings::add);
            assertEquals(List.of(URI.create("http://127.0.0.1:1/a/"), URI.create("http://127.0.0.1:1/b/")),
                    l.source().mirrors());
        } finally {
            System.clearProperty(key);
        }
        assertEquals(source.mirrors(), new MnistLoader(source, DownloadListener.NONE, warnings::add).source().mirrors());
    }

    @Test
    void datasetsKnowTheirClasses() throws IOException {
        ImageDataset t = loader().loadCached(root).training();
        assertEquals(10, t.classes());
        assertEquals("Toy training set", t.name());
    }
}
