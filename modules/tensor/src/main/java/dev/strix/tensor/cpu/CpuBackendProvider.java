package dev.strix.tensor.cpu;

import dev.strix.tensor.Backend;
import dev.strix.tensor.spi.BackendProvider;

/** Registers the CPU backend; it is always available. */
public final class CpuBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Availability availability() {
        return Availability.yes();
    }

    @Override
    public Backend create() {
        return new CpuBackend();
    }
}
