package dev.strix.mnist;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Option;

/** {@code --device auto|cpu|cuda}: which backend runs the model. */
final class DeviceOption {
    @Option(names = "--device", paramLabel = "auto|cpu|cuda", defaultValue = "auto",
            description = "backend: auto picks CUDA when it works and says why when it falls back (default: ${DEFAULT-VALUE})")
    String device;

    /**
     * The backend, after printing which one, on what device (for the GPU, which one it is, or that
     * it is the CUDA emulator) and, for {@code auto}, why, on {@code out}.
     */
    Backend resolve(PrintWriter out) {
        String name = device.toLowerCase(Locale.ROOT);
        if (name.equals("auto")) {
            Backends.Choice choice = Backends.choose();
            out.println("device: " + choice.reason() + device(choice.backend()));
            out.flush();
            return choice.backend();
        }
        Backend backend = Backends.named(name);
        out.println("device: using " + backend.name() + device(backend));
        out.flush();
        return backend;
    }

    /** ", NVIDIA H200 (compute 9.0, ...)" where the backend says more than its name, else nothing. */
    private static String device(Backend backend) {
        String described = backend.describe();
        return described.equals(backend.name()) ? "" : ", " + described;
    }
}
