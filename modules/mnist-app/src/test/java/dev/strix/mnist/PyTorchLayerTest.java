package dev.strix.mnist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.layers.Conv2D;
import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Layer;
import dev.strix.layers.MaxPool2D;
import dev.strix.layers.Mode;
import dev.strix.layers.Parameter;
import dev.strix.layers.PoolingAlgorithm;
import dev.strix.layers.checkpoint.SafeTensorsWriter;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Conv2D and MaxPool2D geometries that the two architectures do not use (strides, zero padding,
 * rectangular and overlapping windows, no bias, an input whose size the stride does not divide),
 * forward and backward, with every convolution and pooling algorithm of the device, against PyTorch's
 * {@code F.conv2d} / {@code F.max_pool2d} and autograd in float64 (tools/reference/compare_layer.py).
 * Runs where a python3 imports torch (Debian: python3-torch), and on CUDA where the backend is
 * available; elsewhere it is skipped with the reason.
 */
class PyTorchLayerTest {
    /** in, out, kernel h, w, stride h, w, padding h, w, bias. */
    private static final int[][] CONVOLUTIONS = {
            {3, 5, 3, 3, 1, 1, 1, 1, 1},
            {2, 4, 5, 3, 2, 1, 2, 0, 1},
            {4, 3, 3, 3, 2, 2, 0, 0, 0},
            {1, 8, 4, 4, 3, 3, 1, 1, 1},
    };
    /** kernel h, w, stride h, w. */
    private static final int[][] POOLS = {{3, 3, 2, 2}, {2, 2, 2, 2}, {3, 2, 1, 2}};
    private static final int N = 3;
    private static final int H = 11;
    private static final int W = 9;

    @TempDir
    static Path dir;

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = {"cpu", "cuda"})
    void everyGeometryAndAlgorithmMatchesPyTorch(String device) throws Exception {
        PyTorchReference.pythonOrSkip();
        Backend backend = PyTorchReference.backendOrSkip(device);
        List<ConvAlgorithm> convolutions = device.equals("cpu")
                ? List.of(ConvAlgorithm.IM2COL_GEMM, ConvAlgorithm.STRIDED_VIEW)
                : List.of(ConvAlgorithm.IM2COL_GEMM, ConvAlgorithm.STRIDED_VIEW, ConvAlgorithm.CUDNN);
        SplittableRandom random = new SplittableRandom(23);
        List<String> files = new ArrayList<>();
        for (int[] c : CONVOLUTIONS) {
            for (ConvAlgorithm algorithm : convolutions) {
                String what = String.format("conv %d->%d %dx%d stride %dx%d padding %dx%d%s, %s on %s", c[0], c[1], c[2],
                        c[3], c[4], c[5], c[6], c[7], c[8] == 1 ? "" : " no bias", algorithm, device);
                Conv2D conv = Conv2D.builder(c[0], c[1]).kernel(c[2], c[3]).stride(c[4], c[5]).padding(c[6], c[7])
                        .bias(c[8] == 1).algorithm(algorithm).build(backend, random);
                Map<String, String> meta = Map.of("layer", "conv2d", "what", what, "stride_h", "" + c[4], "stride_w",
                        "" + c[5], "padding_h", "" + c[6], "padding_w", "" + c[7]);
                files.add(run(conv, backend, c[0], meta, random, files.size()));
            }
        }
        for (int[] p : POOLS) {
            for (PoolingAlgorithm algorithm : PoolingAlgorithm.values()) {
                String what = String.format("max pool %dx%d stride %dx%d, %s on %s", p[0], p[1], p[2], p[3], algorithm,
                        device);
                MaxPool2D pool = new MaxPool2D(backend, p[0], p[1], p[2], p[3], algorithm);
                Map<String, String> meta = Map.of("layer", "maxpool2d", "what", what, "kernel_h", "" + p[0],
                        "kernel_w", "" + p[1], "stride_h", "" + p[2], "stride_w", "" + p[3]);
                files.add(run(pool, backend, 2, meta, random, files.size()));
            }
        }

        String out = PyTorchReference.run("compare_layer.py", "on " + backend.describe(), files);
        Matcher summary = Pattern.compile("layers: files=(\\d+) failed=0 .* result=PASS").matcher(out);
        assertTrue(summary.find(), out);
        assertEquals(files.size(), Integer.parseInt(summary.group(1)));
    }

    /**
     * One forward and backward pass of {@code layer} on a random [N, channels, H, W] input (distinct
     * values, so pooling has no ties) and a random upstream gradient; writes what PyTorch needs.
     */
    private static String run(Layer layer, Backend backend, int channels, Map<String, String> meta,
                              SplittableRandom random, int index) throws Exception {
        Backend cpu = Backends.cpu();
        float[] x = new float[N * channels * H * W];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (Tensor input = Tensor.of(backend, x, N, channels, H, W)) {
            Tensor y = layer.forward(input, Mode.TRAINING);
            float[] dy = new float[(int) y.shape().size()];
            for (int i = 0; i < dy.length; i++) {
                dy[i] = (float) random.nextGaussian();
            }
            tensors.put("x", Tensor.of(cpu, x, N, channels, H, W));
            tensors.put("y", Tensor.of(cpu, y.toFloatArray(), y.shape().dims()));
            tensors.put("dy", Tensor.of(cpu, dy, y.shape().dims()));
            try (Tensor upstream = Tensor.of(backend, dy, y.shape().dims())) {
                Tensor dx = layer.backward(upstream);
                tensors.put("dx", Tensor.of(cpu, dx.toFloatArray(), dx.shape().dims()));
            }
            for (Parameter p : layer.parameters()) {
                String name = p.value().rank() == 4 ? "weight" : "bias";
                tensors.put(name, Tensor.of(cpu, p.value().toFloatArray(), p.value().shape().dims()));
                tensors.put("d" + name, Tensor.of(cpu, p.gradient().toFloatArray(), p.gradient().shape().dims()));
            }
        }
        layer.close();
        Path file = dir.resolve("layer-" + index + ".safetensors");
        SafeTensorsWriter.save(file, tensors, meta);
        return file.toString();
    }
}
