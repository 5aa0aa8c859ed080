package dev.strix.mnist.train;

import dev.strix.data.Normalization;
import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Parameter;
import dev.strix.layers.Sequential;
import dev.strix.layers.checkpoint.SafeTensorsReader;
import dev.strix.layers.checkpoint.SafeTensorsWriter;
import dev.strix.mnist.VersionProvider;
import dev.strix.optim.Optimizer;
import dev.strix.optim.OptimizerState;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A trained model on disk: {@code model.safetensors} holds the weights and batch-norm statistics
 * under the names of the equivalent PyTorch {@code nn.Sequential}'s {@code state_dict}, plus
 * metadata (architecture, epoch, normalisation, strix version); {@code optimizer.safetensors}
 * beside it holds the optimizer state so that {@code --resume} continues exactly. Both files are
 * written atomically (temporary file, then rename).
 */
public final class ModelCheckpoint {
    public static final String MODEL_FILE = "model.safetensors";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";

    private ModelCheckpoint() {
    }

    /** The model's tensors by state_dict name: parameters, then buffers. */
    public static Map<String, Tensor> stateDict(Sequential model) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Parameter p : model.parameters()) {
            tensors.put(p.name(), p.value());
        }
        tensors.putAll(model.buffers());
        return tensors;
    }

    /** Writes model (and, when given, optimizer) files into {@code directory}. */
    public static void save(Path directory, Sequential model, Architectures architecture, Normalization normalization,
                            int epoch, Optimizer optimizer, Map<String, String> extra) throws IOException {
        Files.createDirectories(directory);
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("architecture", architecture.id());
        metadata.put("epoch", Integer.toString(epoch));
        metadata.put("normalization_mean", Float.toString(normalization.mean()));
        metadata.put("normalization_std", Float.toString(normalization.std()));
        metadata.put("strix_version", VersionProvider.strixVersion());
        metadata.putAll(extra);
        // The optimizer first: a model file always has an optimizer file at least as new beside it.
        if (optimizer != null) {
            OptimizerState state = optimizer.state();
            Map<String, String> optimizerMetadata = new LinkedHashMap<>();
            optimizerMetadata.put("step", Long.toString(state.step()));
            optimizerMetadata.put("epoch", Integer.toString(epoch));
            optimizerMetadata.put("optimizer", optimizer.getClass().getSimpleName());
            SafeTensorsWriter.save(directory.resolve(OPTIMIZER_FILE), state.tensors(), optimizerMetadata);
        }
        new SafeTensorsWriter().writeAsI64(SafeTensorsWriter.PYTORCH_INT64_NAMES)
                .write(directory.resolve(MODEL_FILE), stateDict(model), metadata);
    }

    /** What a model file says about itself. */
    public record Info(Path file, Architectures architecture, int epoch, Normalization normalization,
                       Map<String, String> metadata) {
    }

    /** Reads a model file's metadata; {@code path} is the file or the directory holding it. */
    public static Info info(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve(MODEL_FILE) : path;
        if (!Files.exists(file)) {
            throw new IOException(file + ": no such checkpoint (train one with 'strix-mnist train', or name a"
                    + " model.safetensors or its directory with --checkpoint)");
        }
        try (SafeTensorsReader reader = SafeTensorsReader.open(file)) {
            Map<String, String> m = reader.metadata();
            String architecture = m.get("architecture");
            if (architecture == null) {
                throw new IOException(file + ": not a strix-mnist checkpoint (no 'architecture' in its metadata)");
            }
            float mean = Float.parseFloat(m.getOrDefault("normalization_mean", "0"));
            float std = Float.parseFloat(m.getOrDefault("normalization_std", "1"));
            return new Info(file, Architectures.byId(architecture), Integer.parseInt(m.getOrDefault("epoch", "0")),
                    new Normalization(mean, std), m);
        }
    }

    /** Builds the checkpoint's architecture on {@code backend} and loads its weights (names, shapes, dtypes checked). */
    public static Sequential loadModel(Info info, Backend backend, ConvAlgorithm algorithm) throws IOException {
        Sequential model = info.architecture().build(backend, algorithm, 0);
        try {
            SafeTensorsReader.load(info.file(), stateDict(model));
            return model;
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Loads weights from {@code directory}'s model file into an existing model. */
    public static void loadInto(Path directory, Sequential model) throws IOException {
        SafeTensorsReader.load(directory.resolve(MODEL_FILE), stateDict(model));
    }

    /** Restores the optimizer state saved in {@code directory}. */
    public static void loadOptimizer(Path directory, Optimizer optimizer, Backend backend) throws IOException {
        Path file = directory.resolve(OPTIMIZER_FILE);
        long step;
        Map<String, Tensor> tensors;
        try (SafeTensorsReader reader = SafeTensorsReader.open(file)) {
            step = Long.parseLong(reader.metadata().getOrDefault("step", "0"));
            tensors = reader.readAll(backend);
        }
        try {
            optimizer.loadState(new OptimizerState(step, tensors));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        } finally {
            tensors.values().forEach(Tensor::close);
        }
    }
}
