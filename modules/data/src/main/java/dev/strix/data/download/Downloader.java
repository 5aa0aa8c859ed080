package dev.strix.data.download;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Downloads a {@link RemoteFile} from the first mirror that gives a correct copy.
 *
 * <p>Per mirror: the body is streamed into a temporary file in the target directory and digested
 * on the way; then the size and checksum are compared, the file is forced to disk, moved into place
 * with an atomic rename, and the directory is forced too. Any failure (HTTP error, dropped
 * connection, stall, wrong size, wrong checksum) deletes the temporary file and moves on to the
 * next mirror; so the target name only ever holds a complete, verified file.
 *
 * <p>Plain-http mirrors are acceptable only because every file is checked against its checksum.
 */
public final class Downloader implements AutoCloseable {
    /** Upper bound on a body whose size is not known in advance. */
    private static final long UNKNOWN_SIZE_LIMIT = 1L << 31;
    private static final long PROGRESS_INTERVAL_MILLIS = 100;
    /** Temporary files this old are leftovers of a killed process and are removed. */
    private static final Duration STALE_PART_AGE = Duration.ofHours(1);

    private final HttpClient client;
    private final Duration stallTimeout;
    private final DownloadListener listener;

    /**
     * @param connectTimeout how long to wait for a mirror to accept the connection
     * @param stallTimeout   how long to wait for response headers, and then for more bytes, before
     *                       giving up on a mirror
     * @param listener       progress and failure reports
     */
    public Downloader(Duration connectTimeout, Duration stallTimeout, DownloadListener listener) {
        this.client = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
        this.stallTimeout = stallTimeout;
        this.listener = listener;
    }

    /** 15 s to connect, 30 s without data before trying the next mirror. */
    public Downloader(DownloadListener listener) {
        this(Duration.ofSeconds(15), Duration.ofSeconds(30), listener);
    }

    /**
     * Fetches {@code file} into {@code directory} (created if needed), trying {@code mirrors} in
     * order; each mirror is a base URL to which the file name is appended. Returns the verified
     * file's path.
     */
    public Path download(RemoteFile file, List<URI> mirrors, Path directory) throws IOException {
        Files.createDirectories(directory);
        removeStaleParts(file.name(), directory);
        Path target = directory.resolve(file.name());
        List<String> attempts = new ArrayList<>();
        for (URI mirror : mirrors) {
            URI url = resolve(mirror, file.name());
            String failure = attempt(file, url, target);
            if (failure == null) {
                listener.finished(file.name(), target);
                return target;
            }
            attempts.add(url + ": " + failure);
            listener.mirrorFailed(file.name(), url, failure);
        }
        throw new DownloadException("could not download " + file.name() + " from any of " + mirrors.size()
                + " mirror(s); nothing was written to " + directory
                + ". Download it by hand and put it there, or point strix at a directory that has it", attempts);
    }

    static URI resolve(URI mirror, String name) {
        String base = mirror.toString();
        return URI.create(base.endsWith("/") ? base + name : base + "/" + name);
    }

    /** One mirror: null on success, else why it failed. The temporary file never survives. */
    private String attempt(RemoteFile file, URI url, Path target) throws IOException {
        Path part = Files.createTempFile(target.getParent(), file.name() + ".", ".part");
        // Covers Ctrl-C mid-download (shutdown hooks run, finally blocks may not); a killed JVM's
        // leftovers are removed by the next download after an hour.
        part.toFile().deleteOnExit();
        try {
            String failure;
            try (FileChannel channel = FileChannel.open(part, StandardOpenOption.WRITE)) {
                failure = fetchInto(file, url, channel);
                if (failure == null) {
                    channel.force(true);
                }
            }
            if (failure != null) {
                return failure;
            }
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory(target.getParent());
            return null;
        } finally {
            Files.deleteIfExists(part);
        }
    }

    private String fetchInto(RemoteFile file, URI url, FileChannel channel) throws IOException {
        long limit = file.size() >= 0 ? file.size() : UNKNOWN_SIZE_LIMIT;
        FileBodySubscriber body = new FileBodySubscriber(channel, file.checksum().newDigest(), limit);
        long[] announced = {-1};
        int[] status = {0};
        HttpRequest request = HttpRequest.newBuilder(url).timeout(stallTimeout).GET().build();
        CompletableFuture<HttpResponse<Void>> response = client.sendAsync(request, info -> {
            status[0] = info.statusCode();
            announced[0] = contentLength(info.headers());
            if (info.statusCode() != 200 || file.size() >= 0 && announced[0] >= 0 && announced[0] != file.size()) {
                return HttpResponse.BodySubscribers.discarding();
            }
            return HttpResponse.BodySubscribers.fromSubscriber(body, b -> null);
        });
        String failure = await(file, response, body, announced);
        if (failure != null) {
            return failure;
        }
        if (status[0] != 200) {
            return "HTTP status " + status[0];
        }
        if (file.size() >= 0 && announced[0] >= 0 && announced[0] != file.size()) {
            return "the server offers " + announced[0] + " bytes, expected " + file.size() + " (a different file)";
        }
        long got = body.written();
        listener.progress(file.name(), got, announced[0]);
        if (file.size() >= 0 && got != file.size()) {
            return "received " + got + " bytes, expected " + file.size();
        }
        String actual = HexFormat.of().formatHex(body.digest());
        if (!actual.equals(file.checksum().hex())) {
            return "checksum mismatch: " + file.checksum().algorithm() + " of the " + got + " bytes received is "
                    + actual + ", expected " + file.checksum().hex() + " (corrupt or different file)";
        }
        return null;
    }

    /** Waits for the response, reporting progress and abandoning it when no data comes for too long. */
    private String await(RemoteFile file, CompletableFuture<HttpResponse<Void>> response, FileBodySubscriber body,
                         long[] announced) {
        while (true) {
            try {
                response.get(PROGRESS_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
                return body.failure();
            } catch (TimeoutException e) {
                if (body.failure() != null) {
                    response.cancel(true);
                    return body.failure();
                }
                long idle = System.nanoTime() - body.lastDataNanos();
                if (idle > stallTimeout.toNanos()) {
                    response.cancel(true);
                    return "no data for " + stallTimeout.toMillis() + " ms after " + body.written() + " bytes";
                }
                listener.progress(file.name(), body.written(), announced[0]);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                String failure = body.failure();
                return failure != null ? failure : describe(cause, body.written());
            } catch (InterruptedException e) {
                response.cancel(true);
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
    }

    private static String describe(Throwable cause, long written) {
        String what = cause.getMessage() == null ? cause.getClass().getSimpleName()
                : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        return "connection failed after " + written + " bytes (" + what + ")";
    }

    private static long contentLength(HttpHeaders headers) {
        return headers.firstValueAsLong("Content-Length").orElse(-1);
    }

    private static void forceDirectory(Path directory) {
        // Makes the rename itself durable on POSIX file systems; some platforms cannot open a
        // directory for this, and there the rename is already as durable as it gets.
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException ignored) {
            // see above
        }
    }

    private static void removeStaleParts(String name, Path directory) throws IOException {
        Instant cutoff = Instant.now().minus(STALE_PART_AGE);
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(directory, globQuote(name) + ".*.part")) {
            for (Path p : parts) {
                if (Files.getLastModifiedTime(p).toInstant().isBefore(cutoff)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static String globQuote(String s) {
        return s.replaceAll("([*?\\[\\]{}\\\\])", "\\\\$1");
    }

    @Override
    public void close() {
        client.close();
    }
}
