package dev.strix.data.mnist;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * Where downloaded datasets are cached: the system property {@value #PROPERTY}, else the
 * environment variable {@value #ENVIRONMENT}, else {@code $XDG_CACHE_HOME/strix}, else
 * {@code ~/.cache/strix}. Each dataset gets a subdirectory ({@code mnist}, {@code fashion-mnist}).
 */
public final class DataDirectory {
    /** System property naming the cache root. */
    public static final String PROPERTY = "strix.data.dir";
    /** Environment variable naming the cache root. */
    public static final String ENVIRONMENT = "STRIX_DATA_DIR";

    private DataDirectory() {
    }

    /** The cache root for this JVM's properties and environment. */
    public static Path cacheRoot() {
        return cacheRoot(System::getProperty, System::getenv);
    }

    /** The cache root given a property lookup and an environment lookup (both may return null). */
    public static Path cacheRoot(UnaryOperator<String> properties, UnaryOperator<String> environment) {
        String explicit = nonBlank(properties.apply(PROPERTY));
        if (explicit == null) {
            explicit = nonBlank(environment.apply(ENVIRONMENT));
        }
        if (explicit != null) {
            return Path.of(explicit);
        }
        // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
        String xdg = nonBlank(environment.apply("XDG_CACHE_HOME"));
        if (xdg != null && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "strix");
        }
        return Path.of(properties.apply("user.home"), ".cache", "strix");
    }

    private static String nonBlank(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
