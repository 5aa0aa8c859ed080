package dev.strix.mnist;

import dev.strix.data.Normalization;
import dev.strix.data.download.DownloadListener;
import dev.strix.data.mnist.DataDirectory;
import dev.strix.data.mnist.DatasetSource;
import dev.strix.data.mnist.MnistData;
import dev.strix.data.mnist.MnistLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/** {@code --data-dir} and {@code --dataset}: where the images come from. */
final class DataOptions {
    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "directory holding the four IDX files (.gz or raw), used as is; default: download"
                    + " into the cache (STRIX_DATA_DIR, else $XDG_CACHE_HOME/strix, else ~/.cache/strix)"
                    + " with checksums verified")
    Path dataDir;

    @Option(names = "--dataset", paramLabel = "mnist|fashion-mnist", defaultValue = "mnist",
            description = "which dataset (default: ${DEFAULT-VALUE})")
    String dataset;

    DatasetSource source() {
        return switch (dataset.toLowerCase(Locale.ROOT)) {
            case "mnist" -> DatasetSource.MNIST;
            case "fashion-mnist", "fashion" -> DatasetSource.FASHION_MNIST;
            default -> throw new IllegalArgumentException("unknown --dataset '" + dataset + "'; known: mnist, fashion-mnist");
        };
    }

    Normalization normalization() {
        return source() == DatasetSource.FASHION_MNIST ? Normalization.FASHION_MNIST : Normalization.MNIST;
    }

    /** Loads the dataset, drawing download progress on {@code out}. */
    MnistData load(PrintWriter out) throws IOException {
        DownloadListener listener = new DownloadProgress(out);
        MnistLoader loader = new MnistLoader(source(), listener, w -> {
            out.println("warning: " + w);
            out.flush();
        });
        long start = System.nanoTime();
        MnistData data = dataDir != null ? loader.loadFrom(dataDir) : loader.loadCached();
        out.printf(Locale.ROOT, "data: %s, %d training and %d test images from %s (%.2f s)%n", source().name(),
                data.training().count(), data.test().count(),
                dataDir != null ? dataDir : DataDirectory.cacheRoot().resolve(source().directoryName()),
                (System.nanoTime() - start) / 1e9);
        out.flush();
        return data;
    }
}
