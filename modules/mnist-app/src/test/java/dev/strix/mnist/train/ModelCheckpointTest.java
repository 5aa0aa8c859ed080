package dev.strix.mnist.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.data.Normalization;
import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Mode;
import dev.strix.layers.Sequential;
import dev.strix.layers.loss.SoftmaxCrossEntropy;
import dev.strix.optim.Adam;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCheckpointTest {
    @TempDir
    Path dir;

    private final Backend cpu = Backends.cpu();

    private Tensor batch(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 784];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble();
        }
        return Tensor.of(cpu, x, n, 1, 28, 28);
    }

    /** A few Adam steps so that weights, batch-norm statistics and optimizer state all differ from a fresh model. */
    private static void train(Sequential model, Adam adam, Tensor x, Tensor y, int steps) {
        try (SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(model.backend())) {
            for (int s = 0; s < steps; s++) {
                loss.forward(model.forward(x, Mode.TRAINING), y);
                model.backward(loss.backward());
                adam.step();
            }
        }
    }

    @Test
    void roundTripGivesIdenticalPredictionsAndResumesExactly() throws IOException {
        try (Tensor x = batch(8, 1); Tensor y = Tensor.ofInts(cpu, new int[] {0, 1, 2, 3, 4, 5, 6, 7}, 8);
             Sequential trained = Architectures.DEFAULT.build(cpu, ConvAlgorithm.IM2COL_GEMM, 11);
             Adam adam = new Adam(trained.parameters(), 1e-3)) {
            train(trained, adam, x, y, 3);
            ModelCheckpoint.save(dir, trained, Architectures.DEFAULT, Normalization.MNIST, 4, adam, Map.of());

            ModelCheckpoint.Info info = ModelCheckpoint.info(dir);
            assertEquals(Architectures.DEFAULT, info.architecture());
            assertEquals(4, info.epoch());
            assertEquals(Normalization.MNIST, info.normalization());
            try (Sequential loaded = ModelCheckpoint.loadModel(info, cpu, ConvAlgorithm.IM2COL_GEMM);
                 Adam resumed = new Adam(loaded.parameters(), 1e-3)) {
                assertArrayEquals(trained.forward(x, Mode.EVALUATION).toFloatArray(),
                        loaded.forward(x, Mode.EVALUATION).toFloatArray(), "identical logits after loading");
                ModelCheckpoint.loadOptimizer(dir, resumed, cpu);
                assertEquals(3, resumed.stepCount());
                // One more step on each: the resumed pair must stay bit-identical to the original.
                train(trained, adam, x, y, 1);
                train(loaded, resumed, x, y, 1);
                assertArrayEquals(trained.forward(x, Mode.EVALUATION).toFloatArray(),
                        loaded.forward(x, Mode.EVALUATION).toFloatArray(), "identical after a resumed step");
            }
        }
    }

    @Test
    void aCheckpointOfAnotherShapeIsRefusedNamingTheTensor() throws IOException {
        try (Sequential reference = Architectures.REFERENCE.build(cpu, ConvAlgorithm.IM2COL_GEMM, 1);
             Sequential other = Architectures.DEFAULT.build(cpu, ConvAlgorithm.IM2COL_GEMM, 1)) {
            ModelCheckpoint.save(dir, reference, Architectures.REFERENCE, Normalization.MNIST, 1, null, Map.of());
            IOException e = assertThrows(IOException.class, () -> ModelCheckpoint.loadInto(dir, other));
            assertTrue(e.getMessage().contains(dir.resolve("model.safetensors").toString()), e.getMessage());
            assertTrue(e.getMessage().contains("0.weight"), e.getMessage());
        }
    }

    @Test
    void malformedFilesAreRefusedWithoutCrashing() throws IOException {
        Path file = dir.resolve("model.safetensors");
        // Header length far beyond the file.
        Files.write(file, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        IOException huge = assertThrows(IOException.class, () -> ModelCheckpoint.info(dir));
        assertTrue(huge.getMessage().startsWith(file.toString()), huge.getMessage());
        // Valid framing, broken JSON.
        byte[] json = "{\"a\": [1, 2".getBytes();
        ByteBuffer b = ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        Files.write(file, b.array());
        assertThrows(IOException.class, () -> ModelCheckpoint.info(dir));
        // A well-formed safetensors file that is not a strix-mnist checkpoint.
        byte[] empty = "{}      ".getBytes();
        ByteBuffer e = ByteBuffer.allocate(8 + empty.length).order(ByteOrder.LITTLE_ENDIAN);
        e.putLong(empty.length).put(empty);
        Files.write(file, e.array());
        IOException notOurs = assertThrows(IOException.class, () -> ModelCheckpoint.info(dir));
        assertTrue(notOurs.getMessage().contains("not a strix-mnist checkpoint"), notOurs.getMessage());
        assertFalse(Files.exists(dir.resolve("optimizer.safetensors")));
    }
}
