package dev.strix.tensor.spi;

import dev.strix.tensor.Backend;

/**
 * How a backend makes itself known: registered with {@code provides} in its module-info (and in
 * META-INF/services for the class path), found by {@link java.util.ServiceLoader}.
 *
 * <p>{@link #availability()} must be cheap and must never throw or trigger loading of native
 * libraries that may be missing; {@link #create()} is only called once it said yes.
 */
public interface BackendProvider {
    /** Short lower-case name, as used on command lines: "cpu", "cuda". */
    String name();

    /** Higher wins in {@link dev.strix.tensor.Backends#best()}; the CPU backend has 0. */
    int priority();

    /** Whether this backend can run here, and if not, why, in one line. */
    Availability availability();

    /** Creates the backend. Only called when {@link #availability()} reported it available. */
    Backend create();

    /** A yes, or a no with the reason in one line. */
    record Availability(boolean available, String reason) {
        public static Availability yes() {
            return new Availability(true, "available");
        }

        public static Availability no(String reason) {
            return new Availability(false, reason);
        }
    }
}
