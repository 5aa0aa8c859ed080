package dev.strix.data.mnist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.data.download.RemoteFile;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class DatasetSourceTest {
    @Test
    void mnistUsesTheOfficialChecksumsAndMirrorsInOrder() {
        DatasetSource s = DatasetSource.MNIST;
        assertEquals(List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz"), s.files().stream().map(RemoteFile::name).toList());
        assertEquals(List.of("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
                s.files().stream().map(f -> f.checksum().hex()).toList());
        assertTrue(s.files().stream().allMatch(f -> f.checksum().algorithm().equals("SHA-256")));
        assertEquals(List.of(URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/"),
                URI.create("https://storage.googleapis.com/cvdf-datasets/mnist/"),
                URI.create("http://yann.lecun.com/exdb/mnist/")), s.mirrors());
        assertEquals(10, s.classes());
    }

    @Test
    void fashionMnistHasSha256ForEveryFile() {
        DatasetSource s = DatasetSource.FASHION_MNIST;
        assertEquals("fashion-mnist", s.directoryName());
        assertTrue(s.files().stream().allMatch(f -> f.checksum().algorithm().equals("SHA-256") && f.size() > 0));
        assertEquals("Ankle boot", s.classNames().get(9));
        assertEquals(2, s.mirrors().size());
    }
}
