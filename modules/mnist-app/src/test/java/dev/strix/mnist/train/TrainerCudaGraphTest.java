package dev.strix.mnist.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.data.ImageDataset;
import dev.strix.data.Normalization;
import dev.strix.layers.Parameter;
import dev.strix.mnist.progress.ProgressReporter;
import dev.strix.tensor.Backend;
import java.io.PrintStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * On CUDA, training with the step captured as a CUDA graph and replayed gives the same parameters,
 * bit for bit, as the same steps run op by op: the graph re-reads each step's batch indices,
 * augmentation matrices and optimizer scalars from device memory. Two epochs (the graph is dropped
 * and recaptured between them), with augmentation and the default model (batch norm included), on
 * a synthetic dataset. Skipped, with the reason printed, where CUDA is unavailable.
 */
class TrainerCudaGraphTest {
    private static ImageDataset synthetic() {
        int count = 64 * 6;
        SplittableRandom random = new SplittableRandom(4);
        byte[] pixels = new byte[count * 28 * 28];
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) random.nextInt(10);
            for (int p = 0; p < 28 * 28; p++) {
                // A class-dependent blob, so the model learns something.
                int y = p / 28;
                int x = p % 28;
                boolean ink = Math.abs(y - 6 - 2 * labels[i]) < 3 && x > 4 && x < 24;
                pixels[i * 784 + p] = (byte) (ink ? 200 + random.nextInt(56) : random.nextInt(30));
            }
        }
        return new ImageDataset("synthetic", pixels, labels, 28, 28, 10);
    }

    private static List<float[]> train(Backend backend, boolean graph, StringWriter printed) throws Exception {
        TrainingOptions options = new TrainingOptions(Architectures.DEFAULT, 2, 64, "adam", 3e-3, "restarts", 0, true,
                dev.strix.layers.ConvAlgorithm.IM2COL_GEMM, dev.strix.layers.PoolingAlgorithm.ARGMAX, 5, 0, 0, null, false, null, 0, 0, false, graph);
        ProgressReporter quiet = new ProgressReporter(new PrintStream(OutputStream.nullOutputStream()), false,
                System::nanoTime);
        try (Trainer trainer = new Trainer(backend, options, Normalization.MNIST, new PrintWriter(printed, true), quiet)) {
            trainer.train(synthetic());
            List<float[]> values = new ArrayList<>();
            for (Parameter p : trainer.model().parameters()) {
                values.add(p.value().toFloatArray());
            }
            return values;
        }
    }

    @Test
    void replayedStepsGiveTheBitsOfEagerSteps() throws Exception {
        Backend backend = CudaOrSkip.backend("trainer CUDA graph test");
        StringWriter eagerOut = new StringWriter();
        StringWriter graphOut = new StringWriter();
        List<float[]> eager = train(backend, false, eagerOut);
        List<float[]> replayed = train(backend, true, graphOut);
        assertTrue(graphOut.toString().contains("cuda graph: the training step of batch 64 is captured and replayed"),
                graphOut.toString());
        // 6 steps an epoch: the first eager, the second recorded and launched, then 4 more launches.
        assertEquals(2, graphOut.toString().split("\\(2 loss reads, 5 steps as CUDA graph launches\\)", -1).length - 1,
                graphOut.toString());
        assertEquals(2, eagerOut.toString().split("\\(2 loss reads, 0 steps as CUDA graph launches\\)", -1).length - 1,
                eagerOut.toString());
        assertEquals(eager.size(), replayed.size());
        for (int i = 0; i < eager.size(); i++) {
            assertArrayEquals(eager.get(i), replayed.get(i), "parameter " + i);
        }
    }
}
