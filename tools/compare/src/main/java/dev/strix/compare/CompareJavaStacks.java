package dev.strix.compare;

import dev.strix.layers.ConvAlgorithm;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Trains the reference network with one stack for one epoch of MNIST and prints its speed, so that
 * tools/compare-java-stacks.sh can run strix and another Java stack the same way on the same
 * machine and print the ratio.
 *
 * <pre>
 *   java ... dev.strix.compare.CompareJavaStacks --stack strix|djl|dl4j --data DIR
 *        [--epochs 1] [--batch-size 128] [--limit-batches N] [--warmup 30] [--seed 1]
 *        [--inference-batch-size 1000] [--conv-algo IM2COL_GEMM]
 * </pre>
 *
 * Every stack gets the same batches in the same order (a seeded permutation per epoch) as float
 * arrays, and turns them into its own tensors inside the timed loop. A warm-up of a few batches
 * (from another permutation, untimed) lets the JIT and the native libraries settle first. Training
 * speed counts the batches of the timed epochs; inference speed is a pass over the test set in
 * large batches, after one untimed pass. The last line is machine-readable:
 * {@code RESULT <stack> <train images/s> <inference images/s> <test accuracy> <description>
 * <training CPU seconds>}, tab-separated. The CPU time (all threads of the process) shows how
 * much of the machine a stack used, which matters when other work shares it.
 */
public final class CompareJavaStacks {
    private CompareJavaStacks() {
    }

    public static void main(String[] args) throws Exception {
        String stackName = null;
        Path data = Path.of("/work/shared/data/mnist");
        int epochs = 1;
        int batchSize = 128;
        int limit = 0;
        int warmup = 30;
        long seed = 1;
        int inferenceBatch = 1000;
        ConvAlgorithm algorithm = ConvAlgorithm.IM2COL_GEMM;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--stack" -> stackName = args[++i];
                case "--data" -> data = Path.of(args[++i]);
                case "--epochs" -> epochs = Integer.parseInt(args[++i]);
                case "--batch-size" -> batchSize = Integer.parseInt(args[++i]);
                case "--limit-batches" -> limit = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--inference-batch-size" -> inferenceBatch = Integer.parseInt(args[++i]);
                case "--conv-algo" -> algorithm = ConvAlgorithm.valueOf(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + (value == null ? "" : "") + "; see the class comment of " + CompareJavaStacks.class.getName());
            }
        }
        if (stackName == null) {
            throw new IllegalArgumentException("--stack strix|djl|dl4j is required");
        }
        MnistBatches mnist = MnistBatches.load(data);
        try (TrainingStack stack = create(stackName, seed, algorithm)) {
            run(stackName, stack, mnist, epochs, batchSize, limit, warmup, seed, inferenceBatch);
        }
    }

    private static TrainingStack create(String name, long seed, ConvAlgorithm algorithm) {
        return switch (name) {
            case "strix" -> new StrixStack(seed, algorithm);
            case "djl" -> new DjlStack(seed);
            case "dl4j" -> new Dl4jStack(seed);
            default -> throw new IllegalArgumentException("unknown stack '" + name + "'; known: strix, djl, dl4j");
        };
    }

    private static void run(String name, TrainingStack stack, MnistBatches mnist, int epochs, int batchSize, int limit,
                            int warmup, long seed, int inferenceBatch) {
        System.out.println(name + ": " + stack.description());
        float[] images = new float[Math.max(batchSize, inferenceBatch) * MnistBatches.PIXELS];
        int[] labels = new int[Math.max(batchSize, inferenceBatch)];
        int batches = mnist.trainCount() / batchSize;
        if (limit > 0) {
            batches = Math.min(batches, limit);
        }
        int[] warmOrder = mnist.order(seed, 0);
        for (int b = 0; b < Math.min(warmup, mnist.trainCount() / batchSize); b++) {
            mnist.trainBatch(warmOrder, b * batchSize, batchSize, images, labels);
            stack.trainStep(images, labels, batchSize);
        }
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpuStart = os.getProcessCpuTime();
        long start = System.nanoTime();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            int[] order = mnist.order(seed, epoch);
            for (int b = 0; b < batches; b++) {
                mnist.trainBatch(order, b * batchSize, batchSize, images, labels);
                stack.trainStep(images, labels, batchSize);
            }
        }
        double trainSeconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (os.getProcessCpuTime() - cpuStart) / 1e9;
        double trainRate = (double) epochs * batches * batchSize / trainSeconds;
        System.out.printf(Locale.ROOT, "%s: trained %d epoch(s) of %d batches of %d in %.1f s (%.1f s of CPU time):"
                + " %,.0f images/s%n", name, epochs, batches, batchSize, trainSeconds, cpuSeconds, trainRate);

        int[] predicted = new int[inferenceBatch];
        int testBatches = mnist.testCount() / inferenceBatch;
        long correct = 0;
        double inferenceSeconds = 0;
        for (int pass = 0; pass < 2; pass++) {
            correct = 0;
            long t0 = System.nanoTime();
            for (int b = 0; b < testBatches; b++) {
                mnist.testBatch(b * inferenceBatch, inferenceBatch, images, labels);
                stack.predict(images, inferenceBatch, predicted);
                for (int i = 0; i < inferenceBatch; i++) {
                    correct += predicted[i] == labels[i] ? 1 : 0;
                }
            }
            inferenceSeconds = (System.nanoTime() - t0) / 1e9;
        }
        int tested = testBatches * inferenceBatch;
        double inferenceRate = tested / inferenceSeconds;
        double accuracy = (double) correct / tested;
        System.out.printf(Locale.ROOT, "%s: inference %,.0f images/s (batches of %d); test accuracy %.2f%%%n", name,
                inferenceRate, inferenceBatch, 100 * accuracy);
        System.out.printf(Locale.ROOT, "RESULT\t%s\t%.1f\t%.1f\t%.4f\t%s\t%.1f%n", name, trainRate, inferenceRate,
                accuracy, stack.description(), cpuSeconds);
    }
}
