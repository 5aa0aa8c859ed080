package dev.strix.mnist;

import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * The one line a user sees for a failed command.
 *
 * <p>The JDK's file-system exceptions carry only the path as their message ("checkpoints" for a
 * missing directory), so the line says what went wrong with it as well.
 */
final class ErrorMessages {
    private ErrorMessages() {
    }

    /** "PATH: what went wrong" for file-system failures, otherwise the exception's own message. */
    static String describe(Throwable e) {
        Throwable t = e;
        while (t instanceof UncheckedIOException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof FileSystemException fs) {
            String where = fs.getFile() == null ? "" : fs.getFile();
            if (fs.getOtherFile() != null) {
                where += " -> " + fs.getOtherFile();
            }
            return where.isEmpty() ? problem(fs) : where + ": " + problem(fs);
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    /** {@link #describe(Throwable)}, starting with {@code file} when the message does not already. */
    static String describe(Path file, Throwable e) {
        String message = describe(e);
        return message.startsWith(file.toString()) ? message : file + ": " + message;
    }

    private static String problem(FileSystemException e) {
        if (e.getReason() != null) {
            return e.getReason();
        }
        return switch (e) {
            case NoSuchFileException ignored -> "no such file or directory";
            case AccessDeniedException ignored -> "permission denied";
            case FileAlreadyExistsException ignored -> "already exists";
            case NotDirectoryException ignored -> "not a directory";
            case DirectoryNotEmptyException ignored -> "directory not empty";
            default -> e.getClass().getSimpleName();
        };
    }
}
