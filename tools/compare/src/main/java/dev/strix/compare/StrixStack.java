package dev.strix.compare;

import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Mode;
import dev.strix.layers.Sequential;
import dev.strix.layers.loss.SoftmaxCrossEntropy;
import dev.strix.mnist.train.Architectures;
import dev.strix.optim.Adam;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.cpu.CpuParallel;
import java.lang.foreign.MemorySegment;

/** strix on its CPU backend: {@link Architectures#REFERENCE}, Adam, the training step of {@code strix-mnist bench}. */
final class StrixStack implements TrainingStack {
    private final Backend backend = Backends.cpu();
    private final ConvAlgorithm algorithm;
    private final Sequential net;
    private final SoftmaxCrossEntropy loss;
    private final Adam adam;
    private Tensor images;
    private Tensor labels;
    private Tensor predicted;

    StrixStack(long seed, ConvAlgorithm algorithm) {
        this.algorithm = algorithm;
        this.net = Architectures.REFERENCE.build(backend, algorithm, seed);
        this.loss = new SoftmaxCrossEntropy(backend);
        this.adam = new Adam(net.parameters(), 1e-3);
    }

    @Override
    public String description() {
        return "strix " + Versions.of("dev.strix", "strix-layers") + " (pure Java, "
                + CpuParallel.THREADS + " threads, conv " + algorithm + ", Java " + Runtime.version().feature() + ")";
    }

    /** Input tensors for a batch of {@code n}, reallocated only when n changes. */
    private void inputs(int n) {
        if (images == null || images.dim(0) != n) {
            close(images, labels, predicted);
            images = backend.allocate(DType.F32, Shape.of(n, 1, 28, 28));
            labels = backend.allocate(DType.I32, Shape.of(n));
            predicted = backend.allocate(DType.I32, Shape.of(n));
        }
    }

    @Override
    public void trainStep(float[] pixels, int[] classes, int n) {
        inputs(n);
        backend.copyFromHost(MemorySegment.ofArray(pixels), images);
        backend.copyFromHost(MemorySegment.ofArray(classes), labels);
        Tensor logits = net.forward(images, Mode.TRAINING);
        loss.forward(logits, labels);
        net.backwardParameters(loss.backward());
        adam.step();
    }

    @Override
    public void predict(float[] pixels, int n, int[] out) {
        inputs(n);
        backend.copyFromHost(MemorySegment.ofArray(pixels), images);
        Tensor logits = net.forward(images, Mode.EVALUATION);
        backend.reductions().argmax(logits, 1, predicted);
        backend.copyToHost(predicted, MemorySegment.ofArray(out));
    }

    private static void close(Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t != null) {
                t.close();
            }
        }
    }

    @Override
    public void close() {
        close(images, labels, predicted);
        adam.close();
        loss.close();
        net.close();
    }
}
