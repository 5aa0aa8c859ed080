package dev.strix.data.download;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local HTTP server on 127.0.0.1 that plays several kinds of mirror, one per path prefix:
 * {@code /good/NAME} serves the file, {@code /corrupt/} the file with one byte changed,
 * {@code /drop/} half of it and then drops the connection, {@code /stall/} half and then nothing,
 * {@code /missing/} a 404, {@code /wrong-length/} a longer file.
 */
public final class LocalMirror implements AutoCloseable {
    /** The behaviours, each under its own base URL. */
    public enum Mode { GOOD, CORRUPT, DROP, STALL, MISSING, WRONG_LENGTH }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "local-mirror");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<Mode, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final CountDownLatch release = new CountDownLatch(1);

    public LocalMirror() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    public void put(String name, byte[] content) {
        files.put(name, content.clone());
    }

    /** The base URL of a mirror that behaves as {@code mode}. */
    public URI base(Mode mode) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"
                + mode.name().toLowerCase().replace('_', '-') + "/");
    }

    /** Requests served so far in {@code mode}. */
    public int requests(Mode mode) {
        return requests.computeIfAbsent(mode, m -> new AtomicInteger()).get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String[] parts = exchange.getRequestURI().getPath().split("/");
            Mode mode = Mode.valueOf(parts[1].toUpperCase().replace('-', '_'));
            requests.computeIfAbsent(mode, m -> new AtomicInteger()).incrementAndGet();
            byte[] content = files.get(parts[2]);
            if (content == null || mode == Mode.MISSING) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            switch (mode) {
                case GOOD -> send(exchange, content, content.length);
                case CORRUPT -> {
                    byte[] bad = content.clone();
                    bad[bad.length / 2] ^= 1;
                    send(exchange, bad, bad.length);
                }
                case WRONG_LENGTH -> {
                    byte[] longer = java.util.Arrays.copyOf(content, content.length + 10);
                    send(exchange, longer, longer.length);
                }
                case DROP -> {
                    exchange.sendResponseHeaders(200, content.length);
                    OutputStream out = exchange.getResponseBody();
                    writeSlowly(out, content, content.length / 2);
                    // Closing with bytes still owed makes the server drop the connection.
                }
                case STALL -> {
                    exchange.sendResponseHeaders(200, content.length);
                    writeSlowly(exchange.getResponseBody(), content, content.length / 2);
                    awaitRelease();
                }
                default -> throw new IllegalStateException(mode.toString());
            }
        } catch (IOException expected) {
            // DROP and STALL end with the server closing a connection that still owes bytes.
        }
    }

    private static void send(HttpExchange exchange, byte[] body, int length) throws IOException {
        exchange.sendResponseHeaders(200, length);
        writeSlowly(exchange.getResponseBody(), body, length);
    }

    /** Writes in 8 KiB pieces with flushes, so the client sees the body arrive over time. */
    private static void writeSlowly(OutputStream out, byte[] body, int length) throws IOException {
        for (int off = 0; off < length; off += 8192) {
            out.write(body, off, Math.min(8192, length - off));
            out.flush();
        }
    }

    private void awaitRelease() {
        try {
            release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
