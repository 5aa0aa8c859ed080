package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Layers applied one after another: forward in order, backward in reverse. The shapes are checked
 * when the model is built, for the per-sample input shape given (e.g. {@code [1, 28, 28]}), so a
 * model that cannot run fails at once, naming the layer. Parameter and buffer names are prefixed
 * with the layer's index as in PyTorch's {@code nn.Sequential} ({@code "0.weight"},
 * {@code "3.running_mean"}). Closing the model closes its layers.
 *
 * <p>A {@link ReLU} directly followed by a {@link MaxPool2D} that no fused pass (below) takes runs
 * pooling first: the maximum of a window commutes with ReLU (a non-decreasing function), so the
 * outputs are the same, and so are the gradients (a window's gradient reaches the same element, or
 * is zero either way when the window holds no positive value); the ReLU then touches a quarter of
 * the values, forward and backward. (With NaN in the input the two orders may differ: pooling propagates a NaN, ReLU
 * turns it into 0; training has failed by then anyway.)
 *
 * <p>Where the backend has the fused ops, some runs of layers go as one {@link FusedPass}: a
 * {@link Conv2D} followed by a ReLU and a 2x2 stride-2 max pooling ({@link ConvReluMaxPool} through
 * the implicit-GEMM convolution, else {@link ConvBiasReluMaxPool}: the convolution, then bias, ReLU
 * and pooling in one pass), a {@link Dense} followed by a ReLU ({@link DenseRelu}), a ReLU followed
 * by a 2x2 max pooling ({@link ReluMaxPool}), and a {@link BatchNorm} followed by a ReLU
 * ({@link BatchNormReluPass}). Same outputs
 * and gradients up to the order of bias additions and sums, without the trips through memory (and
 * the launches on a device) between the layers.
 *
 * <p>A {@link Conv2D} (not in a fused pass) followed by a {@link BatchNorm} may write its output
 * channel-major, where its algorithm prefers that layout (materialised im2col columns: one GEMM over
 * the batch); the batch norm reads it as it is and returns its gradient in it.
 */
public final class Sequential implements Layer {
    /**
     * The system property that, set to {@code false} before a model is built, runs every layer on
     * its own instead of in fused passes (to measure the fusion:
     * {@code TrainingBenchmark -p fused=true,false} in jmh/).
     */
    public static final String FUSION_PROPERTY = "strix.layers.fuse";

    private final Shape sampleShape;
    private final List<Layer> layers;
    private final List<Shape> sampleOutputs;
    private final List<Parameter> parameters;
    private final Map<String, Tensor> buffers;
    /** {@code poolFirst[i]}: layer i is a ReLU that runs after the max pooling of layer i + 1. */
    private final boolean[] poolFirst;
    /** {@code fused[i]}: layers i .. i + layerCount - 1 run as this one pass (null: not fused). */
    private final FusedPass[] fused;
    /** {@code fusedEndingAt[i]}: the first layer of the fused pass whose last layer is i, or -1. */
    private final int[] fusedEndingAt;
    /** Told after each pass, when set ({@link #observePasses}). */
    private PassObserver observer;

    /** {@code sampleShape} is one input without the batch axis, e.g. {@code [1, 28, 28]} for MNIST. */
    public Sequential(Shape sampleShape, Layer... layers) {
        this(sampleShape, List.of(layers));
    }

    public Sequential(Shape sampleShape, List<Layer> layers) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("Sequential needs at least one layer");
        }
        this.sampleShape = sampleShape;
        this.layers = List.copyOf(layers);
        Backend backend = this.layers.get(0).backend();
        List<Shape> outputs = new ArrayList<>();
        Shape shape = withBatch(1, sampleShape);
        for (int i = 0; i < this.layers.size(); i++) {
            Layer layer = this.layers.get(i);
            if (layer.backend() != backend) {
                throw new IllegalArgumentException("layer " + i + " " + layer.description() + " is on backend '"
                        + layer.backend().name() + "' but layer 0 is on '" + backend.name() + "'");
            }
            try {
                shape = layer.outputShape(shape);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("layer " + i + " " + e.getMessage()
                        + " (model input " + describe(withBatch(1, sampleShape)) + ")", e);
            }
            outputs.add(withoutBatch(shape));
        }
        this.sampleOutputs = List.copyOf(outputs);
        List<Parameter> params = new ArrayList<>();
        Map<String, Tensor> bufs = new LinkedHashMap<>();
        for (int i = 0; i < this.layers.size(); i++) {
            for (Parameter p : this.layers.get(i).parameters()) {
                params.add(p.renamed(i + "." + p.name()));
            }
            for (Map.Entry<String, Tensor> b : this.layers.get(i).buffers().entrySet()) {
                bufs.put(i + "." + b.getKey(), b.getValue());
            }
        }
        this.parameters = List.copyOf(params);
        this.buffers = Collections.unmodifiableMap(bufs);
        this.poolFirst = new boolean[this.layers.size()];
        for (int i = 0; i + 1 < this.layers.size(); i++) {
            poolFirst[i] = this.layers.get(i) instanceof ReLU && this.layers.get(i + 1) instanceof MaxPool2D;
        }
        this.fused = new FusedPass[this.layers.size()];
        this.fusedEndingAt = new int[this.layers.size()];
        Arrays.fill(fusedEndingAt, -1);
        for (int i = 0; i < this.layers.size(); i++) {
            fused[i] = FusedPass.startingAt(this.layers, i);
            if (fused[i] != null) {
                fusedEndingAt[i + fused[i].layerCount() - 1] = i;
                // A ReLU inside a fused pass is not reordered around a pooling.
                Arrays.fill(poolFirst, i, i + fused[i].layerCount(), false);
                i += fused[i].layerCount() - 1;
            }
        }
        for (int i = 0; i + 1 < this.layers.size(); i++) {
            if (fused[i] == null && this.layers.get(i) instanceof Conv2D conv
                    && this.layers.get(i + 1) instanceof BatchNorm) {
                conv.nextTakesChannelMajor();
            }
        }
    }

    /**
     * Which layers run as fused passes on this backend, e.g.
     * {@code "fused: layers 0-2 conv + ReLU + 2x2 max pool (implicit GEMM); layers 6-7 dense + ReLU"},
     * or {@code "fused: none"}.
     */
    public String fusion() {
        StringBuilder s = new StringBuilder("fused:");
        for (int i = 0; i < fused.length; i++) {
            if (fused[i] != null) {
                s.append(s.length() > "fused:".length() ? "; " : " ").append("layers ").append(i).append('-')
                        .append(i + fused[i].layerCount() - 1).append(' ').append(fused[i].description());
            }
        }
        return s.length() > "fused:".length() ? s.toString() : "fused: none";
    }

    /** The fused passes, in order (the layers they stand for run as one pass each). */
    List<FusedPass> fusedPasses() {
        List<FusedPass> passes = new ArrayList<>();
        for (FusedPass f : fused) {
            if (f != null) {
                passes.add(f);
            }
        }
        return passes;
    }

    private static Shape withBatch(int batch, Shape sample) {
        int[] d = new int[sample.rank() + 1];
        d[0] = batch;
        System.arraycopy(sample.dims(), 0, d, 1, sample.rank());
        return Shape.of(d);
    }

    private static Shape withoutBatch(Shape shape) {
        int[] d = new int[shape.rank() - 1];
        System.arraycopy(shape.dims(), 1, d, 0, d.length);
        return Shape.of(d);
    }

    /** A shape with its batch axis written as -1, as torchsummary prints it. */
    private static String describe(Shape withBatch) {
        StringBuilder s = new StringBuilder("[-1");
        for (int a = 1; a < withBatch.rank(); a++) {
            s.append(", ").append(withBatch.dim(a));
        }
        return s.append(']').toString();
    }

    public List<Layer> layers() {
        return layers;
    }

    /** One input sample's shape, without the batch axis. */
    public Shape sampleShape() {
        return sampleShape;
    }

    @Override
    public Backend backend() {
        return layers.get(0).backend();
    }

    @Override
    public String description() {
        return "Sequential(" + layers.size() + " layers)";
    }

    @Override
    public Shape outputShape(Shape inputShape) {
        Shape shape = inputShape;
        for (int i = 0; i < layers.size(); i++) {
            try {
                shape = layers.get(i).outputShape(shape);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("layer " + i + " " + e.getMessage(), e);
            }
        }
        return shape;
    }

    @Override
    public Tensor forward(Tensor input, Mode mode) {
        Tensor x = input;
        for (int i = 0; i < layers.size(); i++) {
            int first = i;
            if (fused[i] != null) {
                try {
                    x = fused[i].forward(x, mode);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("layer " + i + " " + e.getMessage(), e);
                }
                i += fused[i].layerCount() - 1;
            } else if (poolFirst[i]) {
                x = forward(i + 1, x, mode);
                x = forward(i, x, mode);
                i++;
            } else {
                x = forward(i, x, mode);
            }
            passEnded(first, i, false);
        }
        return x;
    }

    private Tensor forward(int i, Tensor x, Mode mode) {
        try {
            return layers.get(i).forward(x, mode);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("layer " + i + " " + e.getMessage(), e);
        }
    }

    @Override
    public Tensor backward(Tensor dOutput) {
        return backwardTo(0, dOutput);
    }

    /** Backward through layers {@code n-1 .. first}, in the reverse of the order forward ran them. */
    private Tensor backwardTo(int first, Tensor dOutput) {
        Tensor g = dOutput;
        for (int i = layers.size() - 1; i >= first; i--) {
            int last = i;
            int start = fusedEndingAt[i];
            if (start >= 0) {
                g = fused[start].backward(g);
                i = start;
            } else if (i > 0 && poolFirst[i - 1]) {
                // Forward ran the pooling (i), then the ReLU (i - 1): undo the ReLU first.
                g = layers.get(i - 1).backward(g);
                g = layers.get(i).backward(g);
                i--;
            } else {
                g = layers.get(i).backward(g);
            }
            passEnded(i, last, true);
        }
        return g;
    }

    /**
     * Backward through every layer, the first one storing its parameter gradients only: a model's
     * input is data, so dL/dInput would be thrown away. What a training step calls.
     */
    @Override
    public void backwardParameters(Tensor dOutput) {
        if (fused[0] != null) {
            fused[0].backwardParameters(backwardTo(fused[0].layerCount(), dOutput));
            passEnded(0, fused[0].layerCount() - 1, true);
            return;
        }
        if (poolFirst[0]) {
            // A model that starts with ReLU then pooling has no parameters in either.
            backward(dOutput);
            return;
        }
        layers.get(0).backwardParameters(backwardTo(1, dOutput));
        passEnded(0, 0, true);
    }

    /**
     * Tells {@code observer} (null: nobody) after each pass that forward and backward issue from now
     * on, which layers it covered and what it is ({@link PassObserver}).
     */
    public void observePasses(PassObserver observer) {
        this.observer = observer;
    }

    /** "layers 0-2: conv, then bias + ReLU + 2x2 max pool in one pass", "layer 6: Flatten". */
    String passLabel(int first, int last) {
        if (fused[first] != null) {
            return "layers " + first + "-" + last + ": " + fused[first].description();
        }
        if (first != last) {
            return "layers " + first + "-" + last + ": " + layers.get(first + 1).description() + ", then "
                    + layers.get(first).description() + " (pooling first)";
        }
        return "layer " + first + ": " + layers.get(first).description();
    }

    private void passEnded(int first, int last, boolean backward) {
        if (observer != null) {
            observer.passEnded(first, last, passLabel(first, last), backward);
        }
    }

    @Override
    public List<Parameter> parameters() {
        return parameters;
    }

    @Override
    public Map<String, Tensor> buffers() {
        return buffers;
    }

    /** Elements of every trainable parameter. */
    public long trainableCount() {
        long n = 0;
        for (Parameter p : parameters) {
            n += p.value().size();
        }
        return n;
    }

    /** Elements of every non-trainable buffer (running statistics). */
    public long nonTrainableCount() {
        long n = 0;
        for (Tensor t : buffers.values()) {
            n += t.size();
        }
        return n;
    }

    /**
     * A table of every layer with its output shape (batch axis as -1) and its parameter count
     * (trainable plus non-trainable), then the totals.
     */
    public String summary() {
        List<String[]> rows = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            long count = 0;
            for (Parameter p : layer.parameters()) {
                count += p.value().size();
            }
            for (Tensor t : layer.buffers().values()) {
                count += t.size();
            }
            String index = String.format(Locale.ROOT, "%" + String.valueOf(layers.size() - 1).length() + "d", i);
            rows.add(new String[] {index + "  " + layer.description(), describe(withBatch(1, sampleOutputs.get(i))),
                String.format(Locale.ROOT, "%,d", count)});
        }
        int[] width = {"Layer".length(), "Output shape".length(), "Params".length()};
        for (String[] r : rows) {
            for (int c = 0; c < 3; c++) {
                width[c] = Math.max(width[c], r[c].length());
            }
        }
        String format = "%-" + width[0] + "s   %-" + width[1] + "s   %" + width[2] + "s%n";
        String rule = "-".repeat(width[0] + width[1] + width[2] + 6) + System.lineSeparator();
        StringBuilder s = new StringBuilder();
        s.append("Input: ").append(describe(withBatch(1, sampleShape))).append(System.lineSeparator());
        s.append(String.format(Locale.ROOT, format, "Layer", "Output shape", "Params")).append(rule);
        for (String[] r : rows) {
            s.append(String.format(Locale.ROOT, format, (Object[]) r));
        }
        s.append(rule);
        s.append(String.format(Locale.ROOT, "Total params: %,d%n", trainableCount() + nonTrainableCount()));
        s.append(String.format(Locale.ROOT, "Trainable params: %,d%n", trainableCount()));
        s.append(String.format(Locale.ROOT, "Non-trainable params: %,d%n", nonTrainableCount()));
        return s.toString();
    }

    @Override
    public void close() {
        for (FusedPass f : fused) {
            if (f != null) {
                f.close();
            }
        }
        for (Layer layer : layers) {
            layer.close();
        }
    }
}
