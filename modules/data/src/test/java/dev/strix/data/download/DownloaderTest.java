package dev.strix.data.download;

import static dev.strix.data.download.LocalMirror.Mode.CORRUPT;
import static dev.strix.data.download.LocalMirror.Mode.DROP;
import static dev.strix.data.download.LocalMirror.Mode.GOOD;
import static dev.strix.data.download.LocalMirror.Mode.MISSING;
import static dev.strix.data.download.LocalMirror.Mode.STALL;
import static dev.strix.data.download.LocalMirror.Mode.WRONG_LENGTH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads against a real HTTP server on 127.0.0.1, with mirrors that fail in each way. */
class DownloaderTest {
    private static final String NAME = "train-images-idx3-ubyte.gz";
    private static final int SIZE = 200_000;

    @TempDir
    Path dir;

    private LocalMirror mirror;
    private byte[] content;
    private RemoteFile file;
    private final Recorder recorder = new Recorder();

    /** Records what the listener hears. */
    static final class Recorder implements DownloadListener {
        final List<String> failures = new ArrayList<>();
        final List<long[]> progress = new ArrayList<>();
        final List<Path> finished = new ArrayList<>();

        @Override
        public void progress(String fileName, long bytesSoFar, long totalBytes) {
            progress.add(new long[] {bytesSoFar, totalBytes});
        }

        @Override
        public void mirrorFailed(String fileName, URI url, String reason) {
            failures.add(url + " " + reason);
        }

        @Override
        public void finished(String fileName, Path path) {
            finished.add(path);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @BeforeEach
    void start() {
        content = new byte[SIZE];
        new Random(42).nextBytes(content);
        file = new RemoteFile(NAME, Checksum.sha256(sha256(content)), SIZE);
        mirror = new LocalMirror();
        mirror.put(NAME, content);
    }

    @AfterEach
    void stop() {
        mirror.close();
    }

    private Path download(List<URI> mirrors) throws IOException {
        try (Downloader d = new Downloader(Duration.ofSeconds(5), Duration.ofSeconds(5), recorder)) {
            return d.download(file, mirrors, dir);
        }
    }

    private List<String> cacheContents() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void goodMirror() throws IOException {
        Path p = download(List.of(mirror.base(GOOD)));
        assertEquals(dir.resolve(NAME), p);
        assertArrayEquals(content, Files.readAllBytes(p));
        assertEquals(List.of(NAME), cacheContents());
        assertEquals(List.of(p), recorder.finished);
        assertTrue(recorder.failures.isEmpty(), recorder.failures.toString());
        long[] last = recorder.progress.get(recorder.progress.size() - 1);
        assertArrayEquals(new long[] {SIZE, SIZE}, last);
    }

    @Test
    void corruptMirrorIsSkippedForTheNextOne() throws IOException {
        Path p = download(List.of(mirror.base(CORRUPT), mirror.base(GOOD)));
        assertArrayEquals(content, Files.readAllBytes(p));
        assertEquals(List.of(NAME), cacheContents());
        assertEquals(1, recorder.failures.size());
        String failure = recorder.failures.get(0);
        assertTrue(failure.startsWith(mirror.base(CORRUPT) + NAME + " checksum mismatch: SHA-256 of the 200000 bytes"
                + " received is "), failure);
        assertTrue(failure.endsWith(", expected " + file.checksum().hex() + " (corrupt or different file)"), failure);
    }

    @Test
    void droppedConnectionIsSkippedForTheNextOne() throws IOException {
        Path p = download(List.of(mirror.base(DROP), mirror.base(GOOD)));
        assertArrayEquals(content, Files.readAllBytes(p));
        assertEquals(List.of(NAME), cacheContents());
        assertEquals(1, recorder.failures.size());
        assertTrue(recorder.failures.get(0).contains("connection failed after "), recorder.failures.get(0));
        assertEquals(1, mirror.requests(DROP));
    }

    @Test
    void everyMirrorFailingLeavesNothingBehind() {
        DownloadException e = assertThrows(DownloadException.class,
                () -> download(List.of(mirror.base(CORRUPT), mirror.base(DROP), mirror.base(MISSING))));
        assertEquals(3, e.attempts().size());
        assertTrue(e.attempts().get(0).contains("checksum mismatch"), e.attempts().get(0));
        assertTrue(e.attempts().get(1).contains("connection failed after"), e.attempts().get(1));
        assertEquals(mirror.base(MISSING) + NAME + ": HTTP status 404", e.attempts().get(2));
        assertTrue(e.getMessage().startsWith("could not download " + NAME + " from any of 3 mirror(s); nothing was"
                + " written to " + dir), e.getMessage());
        assertEquals(List.of(), assertDoesNotThrowList());
    }

    private List<String> assertDoesNotThrowList() {
        try {
            return cacheContents();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void failedDownloadKeepsAnExistingFileUntouched() throws IOException {
        byte[] old = "an older copy".getBytes();
        Files.write(dir.resolve(NAME), old);
        assertThrows(DownloadException.class, () -> download(List.of(mirror.base(DROP))));
        assertArrayEquals(old, Files.readAllBytes(dir.resolve(NAME)));
        assertEquals(List.of(NAME), cacheContents());
        // ...and a good download replaces it.
        download(List.of(mirror.base(GOOD)));
        assertArrayEquals(content, Files.readAllBytes(dir.resolve(NAME)));
        assertEquals(List.of(NAME), cacheContents());
    }

    @Test
    void stalledMirrorIsAbandoned() throws IOException {
        try (Downloader d = new Downloader(Duration.ofSeconds(5), Duration.ofMillis(400), recorder)) {
            Path p = d.download(file, List.of(mirror.base(STALL), mirror.base(GOOD)), dir);
            assertArrayEquals(content, Files.readAllBytes(p));
        }
        assertEquals(1, recorder.failures.size());
        assertTrue(recorder.failures.get(0).contains("no data for 400 ms after 100000 bytes"), recorder.failures.get(0));
        assertEquals(List.of(NAME), cacheContents());
    }

    @Test
    void wrongLengthIsRefusedFromTheHeaders() {
        DownloadException e = assertThrows(DownloadException.class, () -> download(List.of(mirror.base(WRONG_LENGTH))));
        assertEquals(mirror.base(WRONG_LENGTH) + NAME + ": the server offers 200010 bytes, expected 200000"
                + " (a different file)", e.attempts().get(0));
        assertEquals(List.of(), assertDoesNotThrowList());
    }

    @Test
    void unreachableMirrorIsSkipped() throws IOException {
        // A port that was just free: connecting is refused.
        int port;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path p = download(List.of(URI.create("http://127.0.0.1:" + port + "/"), mirror.base(GOOD)));
        assertArrayEquals(content, Files.readAllBytes(p));
        assertEquals(1, recorder.failures.size());
    }

    @Test
    void md5ChecksumsWorkToo() throws Exception {
        String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(content));
        file = new RemoteFile(NAME, Checksum.md5(md5), -1);
        Path p = download(List.of(mirror.base(CORRUPT), mirror.base(GOOD)));
        assertArrayEquals(content, Files.readAllBytes(p));
        assertTrue(recorder.failures.get(0).contains("checksum mismatch: MD5"), recorder.failures.get(0));
    }
}
