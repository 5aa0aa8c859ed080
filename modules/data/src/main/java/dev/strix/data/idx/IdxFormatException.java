package dev.strix.data.idx;

import java.io.IOException;

/**
 * An IDX file that cannot be read as one: wrong magic number, truncated, corrupt compression,
 * sizes that disagree. The message starts with the file name and says what is wrong in words.
 */
public final class IdxFormatException extends IOException {
    private final String fileName;

    public IdxFormatException(String fileName, String problem) {
        super(fileName + ": " + problem);
        this.fileName = fileName;
    }

    public IdxFormatException(String fileName, String problem, Throwable cause) {
        super(fileName + ": " + problem, cause);
        this.fileName = fileName;
    }

    /** The name of the file at fault (no directory). */
    public String fileName() {
        return fileName;
    }
}
