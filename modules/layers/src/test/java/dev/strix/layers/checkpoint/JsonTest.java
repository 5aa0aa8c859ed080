package dev.strix.layers.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesEveryKindOfValue() throws Exception {
        Object v = Json.parse(" {\"a\": [1, -2, 3.5, -0.25e2, 1E3], \"b\": {\"c\": true, \"d\": false, \"e\": null},"
                + " \"s\": \"x\\\"y\\\\z\\/\\n\\t\\u00e9\\u20ac\", \"empty\": {}, \"none\": []}  \n");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("a", "b", "s", "empty", "none"), List.copyOf(m.keySet()), "insertion order kept");
        assertEquals(List.of(1L, -2L, 3.5, -25.0, 1000.0), m.get("a"));
        Map<?, ?> b = (Map<?, ?>) m.get("b");
        assertEquals(Boolean.TRUE, b.get("c"));
        assertEquals(Boolean.FALSE, b.get("d"));
        assertTrue(b.containsKey("e"));
        assertNull(b.get("e"));
        assertEquals("x\"y\\z/\n\té€", m.get("s"));
        assertEquals(Map.of(), m.get("empty"));
        assertEquals(List.of(), m.get("none"));
    }

    @Test
    void integersKeepSixtyFourBits() throws Exception {
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse("9223372036854775808"));
        assertTrue(e.getMessage().contains("64 bits"), e.getMessage());
    }

    @Test
    void refusesWhatStrictJsonRefuses() {
        for (String bad : List.of("", "{", "[1,]", "{\"a\":1,}", "01", "-", "1.", "1e", ".5", "+1", "{'a':1}",
                "{\"a\" 1}", "{a:1}", "[1 2]", "tru", "nul", "\"unterminated", "\"bad \\x escape\"", "\"\\u12\"",
                "\"tab\tinside\"", "{} {}", "[1]]", "// comment\n1", "NaN", "Infinity")) {
            assertThrows(Json.ParseException.class, () -> Json.parse(bad), "should refuse: " + bad);
        }
    }

    @Test
    void refusesDuplicateKeysNamingThem() {
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse("{\"w\": 1, \"w\": 2}"));
        assertTrue(e.getMessage().contains("duplicate key \"w\""), e.getMessage());
    }

    @Test
    void refusesDeepNestingInsteadOfOverflowingTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(deep));
        assertTrue(e.getMessage().contains("nesting deeper than " + Json.MAX_DEPTH), e.getMessage());
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertThrowsNothing(ok);
    }

    private static void assertThrowsNothing(String text) {
        try {
            Json.parse(text);
        } catch (Json.ParseException e) {
            throw new AssertionError("refused valid JSON: " + e.getMessage(), e);
        }
    }

    @Test
    void writesCompactJsonThatParsesBack() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "a\"b\\c\nd\u0001");
        m.put("shape", List.of(2, 3L));
        m.put("x", 0.5);
        m.put("ok", true);
        m.put("nothing", null);
        String text = Json.write(m);
        assertEquals("{\"name\":\"a\\\"b\\\\c\\nd\\u0001\",\"shape\":[2,3],\"x\":0.5,\"ok\":true,\"nothing\":null}", text);
        Map<String, Object> expected = new LinkedHashMap<>(m);
        expected.put("shape", List.of(2L, 3L));
        assertEquals(expected, Json.parse(text));
    }

    @Test
    void refusesToWriteWhatJsonCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, 2)));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Arrays.asList(new Object())));
    }
}
