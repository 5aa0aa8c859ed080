package dev.strix.data.mnist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strix.data.ImageDataset;
import dev.strix.data.download.DownloadListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Reads the real MNIST copy in {@code shared/data/mnist} when it is present (found by walking up
 * from the working directory, or named by the system property {@code strix.test.mnist.dir});
 * skipped otherwise. Prints how long the read takes, asserts nothing about time.
 */
class SharedMnistTest {
    static Path sharedMnist() {
        String named = System.getProperty("strix.test.mnist.dir");
        if (named != null) {
            return Files.isDirectory(Path.of(named)) ? Path.of(named) : null;
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared/data/mnist");
            if (Files.isRegularFile(candidate.resolve("t10k-labels-idx1-ubyte.gz"))) {
                return candidate;
            }
        }
        return null;
    }

    private static int[] histogram(ImageDataset d) {
        int[] h = new int[d.classes()];
        for (int i = 0; i < d.count(); i++) {
            h[d.label(i)]++;
        }
        return h;
    }

    @Test
    void readsTheWholeSetAndPrintsTheTime() throws IOException {
        Path dir = sharedMnist();
        assumeTrue(dir != null, "shared/data/mnist is not present");
        List<String> warnings = new ArrayList<>();
        MnistLoader loader = new MnistLoader(DatasetSource.MNIST, DownloadListener.NONE, warnings::add);
        MnistData data = null;
        for (int run = 1; run <= 3; run++) {
            warnings.clear();
            long start = System.nanoTime();
            data = loader.loadFrom(dir);
            long micros = (System.nanoTime() - start) / 1000;
            System.out.printf("read all of %s (70000 images, checksums included) in %.1f ms (run %d)%n",
                    dir, micros / 1000.0, run);
        }
        assertEquals(60_000, data.training().count());
        assertEquals(10_000, data.test().count());
        assertEquals(28, data.training().rows());
        assertEquals(28, data.training().cols());
        // The label files are the originals: their class counts are MNIST's published ones.
        assertArrayEquals(new int[] {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949},
                histogram(data.training()));
        assertArrayEquals(new int[] {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, histogram(data.test()));
        // Only the rebuilt training images differ from the official checksums (see shared/data/README.md).
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("train-images-idx3-ubyte.gz differs from the official MNIST file"),
                warnings.get(0));
    }
}
