package dev.strix.mnist;

import dev.strix.layers.ActivationLayout;
import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.PoolingAlgorithm;
import dev.strix.layers.Mode;
import dev.strix.layers.Sequential;
import dev.strix.layers.loss.SoftmaxCrossEntropy;
import dev.strix.mnist.train.Architectures;
import dev.strix.mnist.train.StepGraphs;
import dev.strix.mnist.train.StepProfile;
import dev.strix.mnist.train.TensorFloat32Option;
import dev.strix.optim.Adam;
import dev.strix.optim.Optimizer;
import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench}: training and inference throughput of a model on synthetic batches (the speed does
 * not depend on the pixel values), after a warm-up that lets the JIT compile the hot loops.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure training and inference speed (images/s) on synthetic MNIST-shaped batches.",
            "Default: the reference network (conv 32, pool, conv 64, pool, dense 128, dense 10), Adam, batch 128."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    DeviceOption device;

    @Option(names = "--model", paramLabel = "default|reference", defaultValue = "reference",
            description = "architecture (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--batch-size", defaultValue = "128", description = "training batch (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--inference-batch-size", defaultValue = "1000", description = "inference batch (default: ${DEFAULT-VALUE})")
    int inferenceBatchSize;

    @Option(names = "--steps", defaultValue = "60", description = "measured training steps (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--warmup", defaultValue = "30", description = "unmeasured warm-up steps (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--conv-algo", defaultValue = "IM2COL_GEMM", description = "convolution algorithm (default: ${DEFAULT-VALUE})")
    ConvAlgorithm convAlgorithm;

    @Option(names = "--pool-algo", paramLabel = "ARGMAX|CUDNN", defaultValue = "ARGMAX",
            description = "max pooling: ARGMAX (argmax kept, fusable) or CUDNN (default: ${DEFAULT-VALUE})")
    PoolingAlgorithm poolingAlgorithm;

    @Option(names = "--tf32", description = "let the GPU round float32 GEMM and convolution inputs to TF32 (default: strict float32)")
    boolean tf32;

    @Option(names = "--cuda-graph", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "on CUDA, replay the training step as a captured CUDA graph (default: on)")
    boolean cudaGraph;

    @Option(names = "--profile", description = "also time each pass of the step (forward and backward of every"
            + " layer or fused run of layers, loss, optimizer) over " + PROFILE_STEPS + " steps run op by op,"
            + " and print the medians")
    boolean profile;

    /** Steps the profile takes its medians over (fewer when --steps asks for fewer). */
    static final int PROFILE_STEPS = 20;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Backend backend = device.resolve(out);
        TensorFloat32Option.apply(backend, tf32, out);
        Architectures architecture = Architectures.byId(model);
        SplittableRandom random = new SplittableRandom(7);
        try (Sequential net = architecture.build(backend, convAlgorithm, poolingAlgorithm, 1);
             SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(backend);
             Optimizer adam = new Adam(net.parameters(), 1e-3);
             Tensor images = randomImages(backend, batchSize, random);
             Tensor labels = randomLabels(backend, batchSize, random);
             StepGraphs graphs = new StepGraphs(backend.graphCapture(), cudaGraph,
                     () -> deviceStep(net, loss, adam, images, labels), out)) {
            out.printf(Locale.ROOT, "bench: model '%s', %s, batch %d, conv %s%s%s, %s, %s%n", architecture.id(),
                    backend.name(), batchSize, convAlgorithm,
                    poolingAlgorithm == PoolingAlgorithm.ARGMAX ? "" : ", pool " + poolingAlgorithm,
                    ActivationLayout.configured() == ActivationLayout.NCHW ? "" : ", activations "
                            + ActivationLayout.configured(),
                    tf32 ? "TF32 allowed" : "float32",
                    graphs.enabled() ? "CUDA graph steps" : "eager steps");
            out.println(net.fusion());
            out.flush();
            for (int i = 0; i < warmup; i++) {
                adam.prepareStep();
                graphs.run(batchSize);
            }
            backend.synchronize();
            // One step op by op, counted: what a step costs in launches without a graph (run twice when
            // there was no warm-up, since a first step also allocates its buffers and state).
            long uploads = 0;
            long stepOps = 0;
            for (int i = warmup > 0 ? 1 : 0; i < 2; i++) {
                long countedFrom = backend.deviceLaunches();
                adam.prepareStep();
                uploads = backend.deviceLaunches() - countedFrom;
                deviceStep(net, loss, adam, images, labels);
                stepOps = backend.deviceLaunches() - countedFrom - uploads;
            }
            backend.synchronize();
            long waitsBefore = backend.hostWaits();
            long launchesBefore = backend.deviceLaunches();
            long replaysBefore = graphs.replays();
            long start = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                adam.prepareStep();
                graphs.run(batchSize);
            }
            long waitsInSteps = backend.hostWaits() - waitsBefore;
            long launchesInSteps = backend.deviceLaunches() - launchesBefore;
            backend.synchronize();
            double trainSeconds = (System.nanoTime() - start) / 1e9;
            double trainRate = (double) steps * batchSize / trainSeconds;
            out.printf(Locale.ROOT, "training:  %,.0f images/s (%d steps of %d in %.2f s, %.2f ms/step, %d as CUDA"
                    + " graph launches)%n", trainRate, steps, batchSize, trainSeconds, 1000 * trainSeconds / steps,
                    graphs.replays() - replaysBefore);
            // Only a backend that launches work on a device counts launches; the CPU has nothing to say here.
            if (stepOps + uploads > 0) {
                out.printf(Locale.ROOT, "host waits: %d in %d training steps (%.2f per step; 0 means the device"
                        + " never idles for the host)%n", waitsInSteps, steps, (double) waitsInSteps / steps);
                out.println(launchesLine(stepOps, uploads, launchesInSteps, steps));
            }
            if (profile) {
                out.print(StepProfile.measure(backend, net, loss, adam, images, labels,
                        Math.max(1, Math.min(PROFILE_STEPS, steps))).table());
            }
            out.flush();
            try (Tensor big = randomImages(backend, inferenceBatchSize, random)) {
                int rounds = Math.max(3, steps * batchSize / inferenceBatchSize);
                for (int i = 0; i < Math.max(2, rounds / 3); i++) {
                    net.forward(big, Mode.EVALUATION);
                }
                backend.synchronize();
                long t0 = System.nanoTime();
                for (int i = 0; i < rounds; i++) {
                    net.forward(big, Mode.EVALUATION);
                }
                backend.synchronize();
                double seconds = (System.nanoTime() - t0) / 1e9;
                out.printf(Locale.ROOT, "inference: %,.0f images/s (%d batches of %d in %.2f s)%n",
                        (double) rounds * inferenceBatchSize / seconds, rounds, inferenceBatchSize, seconds);
            }
        }
        out.flush();
        return 0;
    }

    /**
     * How many pieces of work a training step queues on the device ({@link Backend#deviceLaunches}):
     * run op by op, split into the device part and the host's upload of the optimizer's step scalars,
     * and on average over the measured steps (as CUDA graphs: the upload and one graph launch).
     */
    static String launchesLine(long deviceOps, long uploads, long measuredLaunches, int steps) {
        return String.format(Locale.ROOT, "launches: %d per training step run op by op (%d device ops + %d"
                + " step-scalar upload), %.2f per measured step", deviceOps + uploads, deviceOps, uploads,
                (double) measuredLaunches / steps);
    }

    /** The device part of a training step (the optimizer's step scalars are written before it). */
    private static void deviceStep(Sequential net, SoftmaxCrossEntropy loss, Optimizer optimizer, Tensor images,
                                   Tensor labels) {
        Tensor logits = net.forward(images, Mode.TRAINING);
        loss.forward(logits, labels);
        net.backwardParameters(loss.backward());
        optimizer.applyStep();
    }

    private static Tensor randomImages(Backend backend, int n, SplittableRandom random) {
        float[] x = new float[n * 28 * 28];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble();
        }
        return Tensor.of(backend, x, n, 1, 28, 28);
    }

    private static Tensor randomLabels(Backend backend, int n, SplittableRandom random) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = random.nextInt(10);
        }
        return Tensor.ofInts(backend, y, n);
    }
}
