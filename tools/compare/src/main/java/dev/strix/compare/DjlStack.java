package dev.strix.compare;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

/**
 * Deep Java Library with its PyTorch engine on the CPU (the native library comes from the
 * pytorch-native-cpu jar; the harness runs with {@code ai.djl.offline=true}). The training step is
 * DJL's own: forward under a gradient collector, softmax cross-entropy, backward, Adam step.
 */
final class DjlStack implements TrainingStack {
    private final Model model;
    private final Trainer trainer;
    private final float[] floatLabels = new float[4096];

    DjlStack(long seed) {
        Engine.getEngine("PyTorch").setRandomSeed((int) seed);
        SequentialBlock block = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(32).build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(64).build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(128).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(10).build());
        model = Model.newInstance("reference", Device.cpu(), "PyTorch");
        model.setBlock(block);
        DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).build())
                .optDevices(new Device[] {Device.cpu()});
        trainer = model.newTrainer(config);
        trainer.initialize(new Shape(1, 1, 28, 28));
    }

    @Override
    public String description() {
        return "DJL " + Engine.getDjlVersion() + " + PyTorch " + Engine.getEngine("PyTorch").getVersion() + " (cpu)";
    }

    @Override
    public void trainStep(float[] images, int[] labels, int n) {
        for (int i = 0; i < n; i++) {
            floatLabels[i] = labels[i];
        }
        try (NDManager batch = trainer.getManager().newSubManager()) {
            NDArray x = batch.create(images, new Shape(n, 1, 28, 28));
            NDArray y = batch.create(java.util.Arrays.copyOf(floatLabels, n), new Shape(n));
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList predictions = trainer.forward(new NDList(x));
                NDArray loss = trainer.getLoss().evaluate(new NDList(y), predictions);
                collector.backward(loss);
            }
            trainer.step();
        }
    }

    @Override
    public void predict(float[] images, int n, int[] predicted) {
        try (NDManager batch = trainer.getManager().newSubManager()) {
            NDArray x = batch.create(images, new Shape(n, 1, 28, 28));
            NDArray classes = trainer.evaluate(new NDList(x)).singletonOrThrow().argMax(1)
                    .toType(DataType.INT32, false);
            System.arraycopy(classes.toIntArray(), 0, predicted, 0, n);
        }
    }

    @Override
    public void close() {
        trainer.close();
        model.close();
    }
}
