package dev.strix.mnist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ErrorMessagesTest {
    @Test
    void fileSystemFailuresSayWhatWentWrongWithThePath() {
        assertEquals("a/b: no such file or directory", ErrorMessages.describe(new NoSuchFileException("a/b")));
        assertEquals("a: permission denied", ErrorMessages.describe(new AccessDeniedException("a")));
        assertEquals("a -> b: Read-only file system",
                ErrorMessages.describe(new FileSystemException("a", "b", "Read-only file system")));
        assertEquals("no such file or directory", ErrorMessages.describe(new NoSuchFileException(null)));
    }

    @Test
    void uncheckedWrappersAreLookedThrough() {
        assertEquals("x: no such file or directory",
                ErrorMessages.describe(new UncheckedIOException(new NoSuchFileException("x"))));
    }

    @Test
    void otherExceptionsKeepTheirMessage() {
        assertEquals("x.bin: truncated", ErrorMessages.describe(new IOException("x.bin: truncated")));
        assertEquals("java.lang.NullPointerException", ErrorMessages.describe(new NullPointerException()));
    }

    @Test
    void aFileIsNamedOnceAtTheStart() {
        Path file = Path.of("d.png");
        assertEquals("d.png: no such file or directory", ErrorMessages.describe(file, new NoSuchFileException("d.png")));
        assertEquals("d.png: cannot decode", ErrorMessages.describe(file, new IOException("cannot decode")));
    }
}
