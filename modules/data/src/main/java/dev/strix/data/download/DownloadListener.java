package dev.strix.data.download;

import java.net.URI;
import java.nio.file.Path;

/**
 * Hears how a download goes, so an application can draw a progress bar. Every call comes on the
 * thread that called {@link Downloader#download}, a few times a second while bytes arrive and once
 * when a file is complete.
 */
public interface DownloadListener {
    /** A listener that ignores everything. */
    DownloadListener NONE = (file, bytesSoFar, totalBytes) -> {
    };

    /**
     * Bytes of {@code fileName} received so far from the current mirror, out of {@code totalBytes}
     * (-1 when the server did not say).
     */
    void progress(String fileName, long bytesSoFar, long totalBytes);

    /** A mirror failed for {@code reason}; the next one will be tried. */
    default void mirrorFailed(String fileName, URI url, String reason) {
    }

    /** {@code fileName} was verified and moved into place at {@code file}. */
    default void finished(String fileName, Path file) {
    }
}
