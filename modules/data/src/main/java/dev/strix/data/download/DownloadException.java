package dev.strix.data.download;

import java.io.IOException;
import java.util.List;

/** No mirror gave a correct copy of a file; the message lists each mirror and what went wrong. */
public final class DownloadException extends IOException {
    private final List<String> attempts;

    public DownloadException(String message, List<String> attempts) {
        super(message + (attempts.isEmpty() ? "" : "\n  " + String.join("\n  ", attempts)));
        this.attempts = List.copyOf(attempts);
    }

    /** One line per mirror tried: the URL and why it failed. */
    public List<String> attempts() {
        return attempts;
    }
}
