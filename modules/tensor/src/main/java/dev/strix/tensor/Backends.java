package dev.strix.tensor;

import dev.strix.tensor.spi.BackendProvider;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Finds backends with {@link ServiceLoader}. Each backend is created once and shared; it lives as
 * long as the JVM (the CPU backend's worker threads are daemons).
 */
public final class Backends {
    private static final ConcurrentMap<String, Backend> CREATED = new ConcurrentHashMap<>();

    private Backends() {
    }

    /** The pure-Java CPU backend; always works. */
    public static Backend cpu() {
        return named("cpu");
    }

    /** Every provider on the module or class path, highest priority first. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> list = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()).forEach(list::add);
        list.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
        return list;
    }

    /** The backend called {@code name}, or an error listing the ones present and why any is unavailable. */
    public static Backend named(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        Backend cached = CREATED.get(key);
        if (cached != null) {
            return cached;
        }
        synchronized (Backends.class) {
            cached = CREATED.get(key);
            if (cached != null) {
                return cached;
            }
            List<String> seen = new ArrayList<>();
            for (BackendProvider p : providers()) {
                seen.add(p.name());
                if (p.name().equals(key)) {
                    BackendProvider.Availability a = p.availability();
                    if (!a.available()) {
                        throw new IllegalStateException("backend '" + key + "' is not available: " + a.reason());
                    }
                    Backend b = p.create();
                    CREATED.put(key, b);
                    return b;
                }
            }
            throw new IllegalArgumentException("no backend named '" + name + "'; present: " + seen);
        }
    }

    /** The chosen backend and, when a preferred one was passed over, why. */
    public record Choice(Backend backend, String reason) {
    }

    /** The highest-priority available backend (CUDA when it works), else the CPU. */
    public static Backend best() {
        return choose().backend();
    }

    /** {@link #best()} with the reason for the choice in one line. */
    public static Choice choose() {
        List<String> passedOver = new ArrayList<>();
        for (BackendProvider p : providers()) {
            BackendProvider.Availability a;
            try {
                a = p.availability();
            } catch (RuntimeException | LinkageError e) {
                a = BackendProvider.Availability.no(e.toString());
            }
            if (a.available()) {
                String why = passedOver.isEmpty() ? "using " + p.name()
                        : "using " + p.name() + " (" + String.join("; ", passedOver) + ")";
                return new Choice(named(p.name()), why);
            }
            passedOver.add(p.name() + " unavailable: " + a.reason());
        }
        return new Choice(cpu(), "using cpu");
    }
}
