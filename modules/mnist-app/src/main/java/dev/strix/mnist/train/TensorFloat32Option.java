package dev.strix.mnist.train;

import dev.strix.tensor.Backend;
import java.io.PrintWriter;

/** {@code --tf32}: applies the choice to the backend and says what it means there, in one line. */
public final class TensorFloat32Option {
    private TensorFloat32Option() {
    }

    /**
     * Sets the backend's float32 GEMMs and convolutions to TF32 ({@code requested}) or to strict
     * float32 (otherwise; backends are shared, so this also undoes an earlier request). Prints one
     * line when TF32 was requested: what it enables, or that this backend has no such mode.
     */
    public static void apply(Backend backend, boolean requested, PrintWriter out) {
        boolean supported = backend.setTensorFloat32(requested);
        if (!requested) {
            return;
        }
        if (!supported) {
            out.println("--tf32: no effect on the " + backend.name() + " backend, which computes in strict float32");
        } else if ("0".equals(System.getenv("NVIDIA_TF32_OVERRIDE"))) {
            out.println("--tf32: asked of " + backend.name() + ", but NVIDIA_TF32_OVERRIDE=0 keeps every GEMM and"
                    + " convolution in float32");
        } else {
            out.println("--tf32: " + backend.name() + " GEMMs and convolutions may round float32 inputs to TF32"
                    + " (10-bit mantissa) on tensor cores");
        }
        out.flush();
    }
}
