package dev.strix.compare;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Deeplearning4j's {@link MultiLayerNetwork} on ND4J's native CPU backend (OpenBLAS): the same
 * layers, softmax output with multi-class cross-entropy (DL4J's fused softmax + cross-entropy),
 * Adam. One {@code fit} call per batch.
 */
final class Dl4jStack implements TrainingStack {
    private final MultiLayerNetwork net;
    private float[] oneHot = new float[0];

    Dl4jStack(long seed) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Adam(1e-3))
                .weightInit(WeightInit.RELU)
                .list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(32).stride(1, 1).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(64).stride(1, 1).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new DenseLayer.Builder().nOut(128).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(28, 28, 1))
                .build();
        net = new MultiLayerNetwork(conf);
        net.init();
    }

    @Override
    public String description() {
        return "Deeplearning4j " + Versions.of("org.deeplearning4j", "deeplearning4j-nn") + " (nd4j-native "
                + Versions.of("org.nd4j", "nd4j-native") + ", OpenBLAS " + Versions.of("org.bytedeco", "openblas") + ")";
    }

    @Override
    public void trainStep(float[] images, int[] labels, int n) {
        if (oneHot.length != n * 10) {
            oneHot = new float[n * 10];
        }
        java.util.Arrays.fill(oneHot, 0f);
        for (int i = 0; i < n; i++) {
            oneHot[i * 10 + labels[i]] = 1f;
        }
        INDArray x = Nd4j.create(java.util.Arrays.copyOf(images, n * MnistBatches.PIXELS), new long[] {n, 1, 28, 28},
                DataType.FLOAT);
        INDArray y = Nd4j.create(oneHot, new long[] {n, 10}, DataType.FLOAT);
        net.fit(x, y);
    }

    @Override
    public void predict(float[] images, int n, int[] predicted) {
        INDArray x = Nd4j.create(java.util.Arrays.copyOf(images, n * MnistBatches.PIXELS), new long[] {n, 1, 28, 28},
                DataType.FLOAT);
        int[] classes = net.output(x, false).argMax(1).toIntVector();
        System.arraycopy(classes, 0, predicted, 0, n);
    }

    @Override
    public void close() {
        net.close();
    }
}
