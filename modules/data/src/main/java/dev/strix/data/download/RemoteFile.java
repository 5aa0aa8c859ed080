package dev.strix.data.download;

import java.util.Objects;

/**
 * A file to fetch from a mirror: its name (appended to the mirror's base URL and used as the
 * local name), the checksum it must have, and its size in bytes (-1 when unknown), which lets a
 * wrong file be refused from its Content-Length before it is downloaded.
 */
public record RemoteFile(String name, Checksum checksum, long size) {
    public RemoteFile {
        Objects.requireNonNull(checksum, "checksum");
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
            throw new IllegalArgumentException("remote file name must be a plain file name, got \"" + name + "\"");
        }
        if (size < -1) {
            throw new IllegalArgumentException(name + ": size must be -1 (unknown) or >= 0, got " + size);
        }
    }
}
