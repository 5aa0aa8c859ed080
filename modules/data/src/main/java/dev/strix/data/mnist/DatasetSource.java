package dev.strix.data.mnist;

import dev.strix.data.Normalization;
import dev.strix.data.download.Checksum;
import dev.strix.data.download.RemoteFile;
import java.net.URI;
import java.util.Arrays;
import java.util.List;

/**
 * Where an MNIST-format dataset comes from: its four files with their official checksums and
 * sizes, the mirrors that serve them (tried in order), its class names and its usual
 * normalisation.
 *
 * @param name          for messages, e.g. "MNIST"
 * @param directoryName subdirectory of the cache, e.g. "mnist"
 */
public record DatasetSource(String name, String directoryName, RemoteFile trainImages, RemoteFile trainLabels,
                            RemoteFile testImages, RemoteFile testLabels, List<URI> mirrors,
                            List<String> classNames, Normalization normalization) {
    /** System property prefix: {@code strix.mirrors.mnist=url1,url2} replaces MNIST's mirrors. */
    public static final String MIRRORS_PROPERTY_PREFIX = "strix.mirrors.";

    /**
     * LeCun, Cortes and Burges' handwritten digits. The SHA-256 values are those of the original
     * files, which every mirror serves byte for byte. The S3 and Google Cloud copies come first
     * (HTTPS); LeCun's own site is last and plain http, acceptable only because of the checksums.
     */
    public static final DatasetSource MNIST = new DatasetSource("MNIST", "mnist",
            new RemoteFile("train-images-idx3-ubyte.gz",
                    Checksum.sha256("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"), 9_912_422),
            new RemoteFile("train-labels-idx1-ubyte.gz",
                    Checksum.sha256("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"), 28_881),
            new RemoteFile("t10k-images-idx3-ubyte.gz",
                    Checksum.sha256("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"), 1_648_877),
            new RemoteFile("t10k-labels-idx1-ubyte.gz",
                    Checksum.sha256("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"), 4_542),
            List.of(URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/"),
                    URI.create("https://storage.googleapis.com/cvdf-datasets/mnist/"),
                    URI.create("http://yann.lecun.com/exdb/mnist/")),
            List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
            Normalization.MNIST);

    /**
     * Zalando's Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017). The SHA-256 values are the ones
     * published with the dataset and used by TensorFlow Datasets (whose MD5 twins are torchvision's).
     * The GitHub copy (HTTPS) comes first; the S3 website endpoint is plain http.
     */
    public static final DatasetSource FASHION_MNIST = new DatasetSource("Fashion-MNIST", "fashion-mnist",
            new RemoteFile("train-images-idx3-ubyte.gz",
                    Checksum.sha256("3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"), 26_421_880),
            new RemoteFile("train-labels-idx1-ubyte.gz",
                    Checksum.sha256("a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"), 29_515),
            new RemoteFile("t10k-images-idx3-ubyte.gz",
                    Checksum.sha256("346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"), 4_422_102),
            new RemoteFile("t10k-labels-idx1-ubyte.gz",
                    Checksum.sha256("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"), 5_148),
            List.of(URI.create("https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/"),
                    URI.create("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")),
            List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
            Normalization.FASHION_MNIST);

    public DatasetSource {
        mirrors = List.copyOf(mirrors);
        classNames = List.copyOf(classNames);
        if (mirrors.isEmpty()) {
            throw new IllegalArgumentException(name + ": needs at least one mirror");
        }
    }

    /** The four files: training images, training labels, test images, test labels. */
    public List<RemoteFile> files() {
        return List.of(trainImages, trainLabels, testImages, testLabels);
    }

    public int classes() {
        return classNames.size();
    }

    /** The same dataset served from other mirrors (tests, private mirrors). */
    public DatasetSource withMirrors(List<URI> others) {
        return new DatasetSource(name, directoryName, trainImages, trainLabels, testImages, testLabels, others,
                classNames, normalization);
    }

    /**
     * This source, with its mirrors replaced by the comma-separated list in the system property
     * {@code strix.mirrors.<directoryName>} when that is set.
     */
    public DatasetSource withMirrorsFromSystemProperty() {
        String list = System.getProperty(MIRRORS_PROPERTY_PREFIX + directoryName);
        if (list == null || list.isBlank()) {
            return this;
        }
        return withMirrors(Arrays.stream(list.split(",")).map(String::strip).filter(s -> !s.isEmpty())
                .map(URI::create).toList());
    }
}
