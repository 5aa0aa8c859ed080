package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.ArrayList;
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
 */
public final class Sequential implements Layer {
    private final Shape sampleShape;
    private final List<Layer> layers;
    private final List<Shape> sampleOutputs;
    private final List<Parameter> parameters;
    private final Map<String, Tensor> buffers;

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
            try {
                x = layers.get(i).forward(x, mode);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("layer " + i + " " + e.getMessage(), e);
            }
        }
        return x;
    }

    @Override
    public Tensor backward(Tensor dOutput) {
        Tensor g = dOutput;
        for (int i = layers.size() - 1; i >= 0; i--) {
            g = layers.get(i).backward(g);
        }
        return g;
    }

    /**
     * Backward through every layer, the first one storing its parameter gradients only: a model's
     * input is data, so dL/dInput would be thrown away. What a training step calls.
     */
    @Override
    public void backwardParameters(Tensor dOutput) {
        Tensor g = dOutput;
        for (int i = layers.size() - 1; i > 0; i--) {
            g = layers.get(i).backward(g);
        }
        layers.get(0).backwardParameters(g);
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
        for (Layer layer : layers) {
            layer.close();
        }
    }
}
