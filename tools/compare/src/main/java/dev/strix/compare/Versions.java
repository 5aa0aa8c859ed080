package dev.strix.compare;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Library versions as their jars record them (Maven's pom.properties), for the report. */
final class Versions {
    private Versions() {
    }

    /** The version of {@code group:artifact} on the class path, or "?" when its jar does not say. */
    static String of(String group, String artifact) {
        String resource = "/META-INF/maven/" + group + "/" + artifact + "/pom.properties";
        try (InputStream in = Versions.class.getResourceAsStream(resource)) {
            if (in == null) {
                return "?";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "?");
        } catch (IOException e) {
            return "?";
        }
    }
}
