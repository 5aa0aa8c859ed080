package dev.strix.data.download;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.Flow;

/**
 * Writes a response body to a file as it arrives and digests it on the way, so the checksum is
 * known the moment the last byte is written, without reading the file again. Stops (and records
 * why) when the body grows past {@code limit} or the file cannot be written.
 */
final class FileBodySubscriber implements Flow.Subscriber<List<ByteBuffer>> {
    private final FileChannel channel;
    private final MessageDigest digest;
    private final long limit;
    private Flow.Subscription subscription;
    private volatile long written;
    private volatile long lastDataNanos = System.nanoTime();
    private volatile String failure;

    FileBodySubscriber(FileChannel channel, MessageDigest digest, long limit) {
        this.channel = channel;
        this.digest = digest;
        this.limit = limit;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        try {
            long total = written;
            for (ByteBuffer b : buffers) {
                total += b.remaining();
                if (total > limit) {
                    fail("the server sent more than the expected " + limit + " bytes");
                    return;
                }
                digest.update(b.duplicate());
                while (b.hasRemaining()) {
                    channel.write(b);
                }
            }
            written = total;
            lastDataNanos = System.nanoTime();
            subscription.request(1);
        } catch (IOException e) {
            fail("cannot write the temporary file: " + e.getMessage());
        }
    }

    private void fail(String why) {
        failure = why;
        subscription.cancel();
    }

    @Override
    public void onError(Throwable t) {
        // The response future completes exceptionally with t; nothing to keep here.
    }

    @Override
    public void onComplete() {
        // The response future completes; the caller checks the size and digest.
    }

    /** Bytes written so far. */
    long written() {
        return written;
    }

    /** When the last bytes arrived ({@link System#nanoTime()}). */
    long lastDataNanos() {
        return lastDataNanos;
    }

    /** Why this subscriber gave up, or null. */
    String failure() {
        return failure;
    }

    /** The digest of everything written; call once, after completion. */
    byte[] digest() {
        return digest.digest();
    }
}
