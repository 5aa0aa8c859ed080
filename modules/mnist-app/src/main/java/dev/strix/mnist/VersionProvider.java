package dev.strix.mnist;

import dev.strix.tensor.Backends;
import dev.strix.tensor.spi.BackendProvider;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.stream.Collectors;
import picocli.CommandLine;

/** The {@code --version} text: strix version (filtered in by Maven), the Java runtime, the backends present. */
public final class VersionProvider implements CommandLine.IVersionProvider {
    /** The project version from {@code version.properties}, written by the build. */
    public static String strixVersion() {
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("version.properties missing from the strix-mnist jar");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read version.properties", e);
        }
    }

    @Override
    public String[] getVersion() {
        String backends = Backends.providers().stream().map(BackendProvider::name).collect(Collectors.joining(", "));
        return new String[] {
            "strix-mnist " + strixVersion(),
            "Java " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + "), "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch"),
            "backends: " + backends,
        };
    }
}
