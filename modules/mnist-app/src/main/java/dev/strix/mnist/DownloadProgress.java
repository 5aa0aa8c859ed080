package dev.strix.mnist;

import dev.strix.data.download.DownloadListener;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;

/** Download progress as plain lines: one every 25% of a file, one per failed mirror, one when verified. */
final class DownloadProgress implements DownloadListener {
    private final PrintWriter out;
    private String current;
    private int lastQuarter = -1;

    DownloadProgress(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void progress(String fileName, long bytesSoFar, long totalBytes) {
        if (!fileName.equals(current)) {
            current = fileName;
            lastQuarter = -1;
        }
        int quarter = totalBytes > 0 ? (int) (4 * bytesSoFar / totalBytes) : 0;
        if (quarter > lastQuarter) {
            lastQuarter = quarter;
            out.printf(Locale.ROOT, "downloading %s: %.1f of %s MB%n", fileName, bytesSoFar / 1e6,
                    totalBytes > 0 ? String.format(Locale.ROOT, "%.1f", totalBytes / 1e6) : "?");
            out.flush();
        }
    }

    @Override
    public void mirrorFailed(String fileName, URI url, String reason) {
        out.println("download of " + fileName + " from " + url + " failed (" + reason + "); trying the next mirror");
        out.flush();
    }

    @Override
    public void finished(String fileName, Path file) {
        out.println("verified " + fileName + " -> " + file);
        out.flush();
    }
}
