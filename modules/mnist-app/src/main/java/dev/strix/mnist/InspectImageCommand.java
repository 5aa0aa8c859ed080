package dev.strix.mnist;

import dev.strix.mnist.image.AsciiArt;
import dev.strix.mnist.image.DigitPreprocessor;
import dev.strix.mnist.image.GrayImage;
import dev.strix.mnist.image.ImageFiles;
import dev.strix.mnist.image.PngWriter;
import dev.strix.mnist.image.Preprocessed;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code inspect-image FILE}: shows the 28x28 digit the model would see for an image file. */
@Command(name = "inspect-image", mixinStandardHelpOptions = true,
        description = {"Show the 28x28 digit a model would see for an image file.",
            "The image is made grayscale, inverted when its background is light, cropped to the ink, scaled",
            "to fit 20x20 and centred by centre of mass in 28x28, as MNIST was made. Reads PNG, JPEG and",
            "PGM (P2/P5). Exit status 1 for a blank image."})
final class InspectImageCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "the image (PNG, JPEG or PGM)")
    Path file;

    @Option(names = "--png", paramLabel = "OUT", description = "also write the 28x28 digit to this PNG file")
    Path png;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        GrayImage image = ImageFiles.read(file);
        Preprocessed result = new DigitPreprocessor().process(image);
        out.println(file + ": " + image.width() + "x" + image.height());
        switch (result) {
            case Preprocessed.Blank blank -> {
                out.flush();
                spec.commandLine().getErr().println(file + ": " + blank.reason());
                spec.commandLine().getErr().flush();
                return 1;
            }
            case Preprocessed.Digit d -> {
                out.println((d.inverted() ? "light background: inverted" : "dark background: not inverted")
                        + "; ink " + d.inkBox() + " scaled to " + d.scaledWidth() + "x" + d.scaledHeight()
                        + String.format(Locale.ROOT, "; centre of mass (%.2f, %.2f)", d.centreX(), d.centreY()));
                out.print(AsciiArt.render(d.pixels(), DigitPreprocessor.SIZE, DigitPreprocessor.SIZE));
                if (png != null) {
                    Files.write(png, PngWriter.gray8(DigitPreprocessor.SIZE, DigitPreprocessor.SIZE, d.pixels()));
                    out.println("wrote " + png);
                }
                out.flush();
                return 0;
            }
        }
    }
}
