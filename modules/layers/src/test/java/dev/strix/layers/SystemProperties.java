package dev.strix.layers;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/** Runs test code with system properties set (the ones layers read when they are built), then restores them. */
final class SystemProperties {
    private SystemProperties() {
    }

    /** {@code body}'s result, computed while property {@code key} is {@code value}. */
    static <T> T with(String key, String value, Supplier<T> body) {
        return with(Map.of(key, value), body);
    }

    /** {@code body}'s result, computed while every property of {@code values} is set. */
    static <T> T with(Map<String, String> values, Supplier<T> body) {
        Map<String, String> saved = new HashMap<>();
        for (String key : values.keySet()) {
            saved.put(key, System.getProperty(key));
        }
        values.forEach(System::setProperty);
        try {
            return body.get();
        } finally {
            saved.forEach((key, value) -> {
                if (value == null) {
                    System.clearProperty(key);
                } else {
                    System.setProperty(key, value);
                }
            });
        }
    }
}
