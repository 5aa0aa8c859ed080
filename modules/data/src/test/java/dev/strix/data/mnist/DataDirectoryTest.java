package dev.strix.data.mnist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DataDirectoryTest {
    private static Path resolve(Map<String, String> properties, Map<String, String> environment) {
        return DataDirectory.cacheRoot(properties::get, environment::get);
    }

    @Test
    void precedence() {
        Map<String, String> home = Map.of("user.home", "/home/u");
        assertEquals(Path.of("/p"), resolve(Map.of("user.home", "/home/u", "strix.data.dir", "/p"),
                Map.of("STRIX_DATA_DIR", "/e", "XDG_CACHE_HOME", "/x")));
        assertEquals(Path.of("/e"), resolve(home, Map.of("STRIX_DATA_DIR", "/e", "XDG_CACHE_HOME", "/x")));
        assertEquals(Path.of("/x/strix"), resolve(home, Map.of("XDG_CACHE_HOME", "/x")));
        assertEquals(Path.of("/home/u/.cache/strix"), resolve(home, Map.of()));
    }

    @Test
    void blankAndRelativeValuesAreIgnored() {
        Map<String, String> home = Map.of("user.home", "/home/u", "strix.data.dir", " ");
        assertEquals(Path.of("/home/u/.cache/strix"), resolve(home, Map.of("STRIX_DATA_DIR", "", "XDG_CACHE_HOME", "rel")));
    }
}
