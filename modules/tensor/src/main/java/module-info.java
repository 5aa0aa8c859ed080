/**
 * Tensors over backend-owned storage, the backend contract, and the pure-Java CPU backend.
 *
 * <p>Backends are found with {@link java.util.ServiceLoader}: this module never depends on a GPU
 * backend, and {@link dev.strix.tensor.Backends#cpu()} works on any machine.
 */
module dev.strix.tensor {
    requires jdk.incubator.vector;

    exports dev.strix.tensor;
    exports dev.strix.tensor.spi;

    uses dev.strix.tensor.spi.BackendProvider;

    provides dev.strix.tensor.spi.BackendProvider with dev.strix.tensor.cpu.CpuBackendProvider;
}
