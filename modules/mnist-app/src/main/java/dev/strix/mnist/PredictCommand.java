package dev.strix.mnist;

import dev.strix.layers.ConvAlgorithm;
import dev.strix.layers.Mode;
import dev.strix.layers.Sequential;
import dev.strix.mnist.image.DigitPreprocessor;
import dev.strix.mnist.image.ImageFiles;
import dev.strix.mnist.image.Preprocessed;
import dev.strix.mnist.train.ModelCheckpoint;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.Shape;
import dev.strix.tensor.DType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code predict FILE...}: the three most likely digits for each image. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Classify images of handwritten digits (PNG, JPEG, PGM; any size, either polarity).",
            "Each image is prepared as MNIST was (see inspect-image); a blank image is reported, not guessed.",
            "Exit status 1 when any image was blank or unreadable."})
final class PredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    DeviceOption device;

    @Option(names = "--checkpoint", paramLabel = "FILE|DIR", defaultValue = "checkpoints",
            description = "model.safetensors, or the directory holding it (default: ${DEFAULT-VALUE})")
    Path checkpoint;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "images to classify")
    List<Path> files;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ModelCheckpoint.Info info = ModelCheckpoint.info(checkpoint);
        Backend backend = device.resolve(err);
        int status = 0;
        DigitPreprocessor preprocessor = new DigitPreprocessor();
        try (Sequential model = ModelCheckpoint.loadModel(info, backend, ConvAlgorithm.IM2COL_GEMM);
             Tensor input = backend.allocate(DType.F32, Shape.of(1, 1, 28, 28));
             Tensor probabilities = backend.allocate(DType.F32, Shape.of(1, 10))) {
            for (Path file : files) {
                Preprocessed p;
                try {
                    p = preprocessor.process(ImageFiles.read(file));
                } catch (java.io.IOException | RuntimeException e) {
                    err.println(ErrorMessages.describe(file, e));
                    status = 1;
                    continue;
                }
                switch (p) {
                    case Preprocessed.Blank blank -> {
                        out.println(file + ": blank image (" + blank.reason() + "); no prediction");
                        status = 1;
                    }
                    case Preprocessed.Digit digit -> {
                        float[] x = digit.pixels().clone();
                        for (int i = 0; i < x.length; i++) {
                            // The preprocessor gives ink in [0, 1]; the normalisation takes 0..255 pixel values.
                            x[i] = info.normalization().apply(255f * x[i]);
                        }
                        input.copyFrom(x);
                        Tensor logits = model.forward(input, Mode.EVALUATION);
                        backend.activation().softmax(logits, probabilities);
                        out.println(file + ": " + topThree(probabilities.toFloatArray()));
                    }
                }
            }
        }
        out.flush();
        err.flush();
        return status;
    }

    /** "7 (98.12%), 1 (1.02%), 9 (0.40%)". */
    static String topThree(float[] p) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < p.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Float.compare(p[b], p[a]));
        StringBuilder s = new StringBuilder();
        for (int k = 0; k < 3; k++) {
            if (k > 0) {
                s.append(", ");
            }
            s.append(order[k]).append(String.format(Locale.ROOT, " (%.2f%%)", 100 * p[order[k]]));
        }
        return s.toString();
    }
}
