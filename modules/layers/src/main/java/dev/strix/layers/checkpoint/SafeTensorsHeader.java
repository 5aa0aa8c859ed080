package dev.strix.layers.checkpoint;

import dev.strix.tensor.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON header of a safetensors file, parsed and checked, or built for writing.
 *
 * <p>File layout: {@code u64 little-endian N}, then {@code N} bytes of UTF-8 JSON
 * <pre>{"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}</pre>
 * padded with spaces so the data area starts on an 8-byte boundary, then the data area holding
 * every tensor's little-endian elements at {@code [begin, end)} relative to its start.
 *
 * <p>Parsing refuses, with a message naming the file and the tensor: a dtype strix does not know,
 * a size that does not match {@code shape * dtype size}, offsets outside the data area (also what a
 * truncated file looks like), overlapping tensors, and bytes that belong to no tensor (as the
 * reference implementation does).
 */
public final class SafeTensorsHeader {
    static final String METADATA_KEY = "__metadata__";
    private static final Set<String> ENTRY_KEYS = Set.of("dtype", "shape", "data_offsets");

    private final List<SafeTensorsEntry> entries;
    private final Map<String, SafeTensorsEntry> byName;
    private final Map<String, String> metadata;

    private SafeTensorsHeader(List<SafeTensorsEntry> entries, Map<String, String> metadata) {
        this.entries = List.copyOf(entries);
        Map<String, SafeTensorsEntry> map = new LinkedHashMap<>();
        for (SafeTensorsEntry e : entries) {
            map.put(e.name(), e);
        }
        this.byName = Collections.unmodifiableMap(map);
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** The tensors in header order. */
    public List<SafeTensorsEntry> entries() {
        return entries;
    }

    /** The tensors by name, in header order. */
    public Map<String, SafeTensorsEntry> byName() {
        return byName;
    }

    /** The {@code __metadata__} strings (empty when the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    // ---------------------------------------------------------------- parsing

    /** Parses and checks {@code json}, the header of {@code file} whose data area holds {@code dataLength} bytes. */
    static SafeTensorsHeader parse(Path file, byte[] json, long dataLength) throws CheckpointException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(json)).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(file, "header is not valid UTF-8", e);
        }
        Object root;
        try {
            root = Json.parse(text);
        } catch (Json.ParseException e) {
            throw new CheckpointException(file, "header is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> top)) {
            throw new CheckpointException(file, "header must be a JSON object, got " + describe(root));
        }
        List<SafeTensorsEntry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : top.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA_KEY)) {
                readMetadata(file, e.getValue(), metadata);
            } else {
                entries.add(readEntry(file, name, e.getValue()));
            }
        }
        checkLayout(file, entries, dataLength);
        return new SafeTensorsHeader(entries, metadata);
    }

    private static void readMetadata(Path file, Object value, Map<String, String> out) throws CheckpointException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new CheckpointException(file, METADATA_KEY + " must be an object of strings, got " + describe(value));
        }
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new CheckpointException(file, METADATA_KEY + " value of \"" + e.getKey()
                        + "\" must be a string, got " + describe(e.getValue()));
            }
            out.put((String) e.getKey(), s);
        }
    }

    private static SafeTensorsEntry readEntry(Path file, String name, Object value) throws CheckpointException {
        String where = "tensor '" + name + "'";
        if (!(value instanceof Map<?, ?> map)) {
            throw new CheckpointException(file, where + " must be an object, got " + describe(value));
        }
        if (!map.keySet().equals(ENTRY_KEYS)) {
            throw new CheckpointException(file, where + " has keys " + map.keySet() + ", expected exactly " + ENTRY_KEYS);
        }
        if (!(map.get("dtype") instanceof String code)) {
            throw new CheckpointException(file, where + " dtype must be a string, got " + describe(map.get("dtype")));
        }
        SafeTensorsDType dtype = SafeTensorsDType.parse(code);
        if (dtype == null) {
            throw new CheckpointException(file, where + " has dtype " + code + ", which strix cannot read (supported: "
                    + Arrays.toString(SafeTensorsDType.values()) + ")");
        }
        long[] dims = longs(file, where + " shape", map.get("shape"), -1);
        int[] intDims = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
                throw new CheckpointException(file, where + " has dimension " + dims[i] + " in shape " + Arrays.toString(dims));
            }
            intDims[i] = (int) dims[i];
        }
        long[] offsets = longs(file, where + " data_offsets", map.get("data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < begin) {
            throw new CheckpointException(file, where + " has data_offsets [" + begin + ", " + end + "]; need 0 <= begin <= end");
        }
        Shape shape = Shape.of(intDims);
        long bytes;
        try {
            bytes = Math.multiplyExact(shapeSize(intDims), (long) dtype.byteSize());
        } catch (ArithmeticException overflow) {
            throw new CheckpointException(file, where + " shape " + shape + " is too large");
        }
        if (bytes != end - begin) {
            throw new CheckpointException(file, where + " is " + dtype + shape + " (" + bytes + " bytes) but its data_offsets ["
                    + begin + ", " + end + "] span " + (end - begin) + " bytes");
        }
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    private static long shapeSize(int[] dims) {
        long n = 1;
        for (int d : dims) {
            n = Math.multiplyExact(n, (long) d);
        }
        return n;
    }

    private static long[] longs(Path file, String what, Object value, int expectedLength) throws CheckpointException {
        if (!(value instanceof List<?> list) || (expectedLength >= 0 && list.size() != expectedLength)) {
            throw new CheckpointException(file, what + " must be a list of " + (expectedLength >= 0 ? expectedLength + " " : "")
                    + "integers, got " + describe(value));
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long l)) {
                throw new CheckpointException(file, what + " must hold integers, got " + describe(list.get(i)));
            }
            out[i] = l;
        }
        return out;
    }

    /** Every byte of the data area belongs to exactly one tensor. */
    private static void checkLayout(Path file, List<SafeTensorsEntry> entries, long dataLength) throws CheckpointException {
        List<SafeTensorsEntry> sorted = new ArrayList<>(entries);
        sorted.removeIf(e -> e.byteLength() == 0);
        sorted.sort(Comparator.comparingLong(SafeTensorsEntry::begin));
        long covered = 0;
        SafeTensorsEntry previous = null;
        for (SafeTensorsEntry e : sorted) {
            if (e.end() > dataLength) {
                throw new CheckpointException(file, "tensor '" + e.name() + "' data_offsets [" + e.begin() + ", " + e.end()
                        + "] reach past the end of the data area, which holds " + dataLength
                        + " bytes (truncated file or bad offsets)");
            }
            if (previous != null && e.begin() < previous.end()) {
                throw new CheckpointException(file, "tensors '" + previous.name() + "' [" + previous.begin() + ", "
                        + previous.end() + "] and '" + e.name() + "' [" + e.begin() + ", " + e.end() + "] overlap");
            }
            if (e.begin() > covered) {
                throw new CheckpointException(file, "data bytes [" + covered + ", " + e.begin() + ") belong to no tensor");
            }
            covered = e.end();
            previous = e;
        }
        if (covered != dataLength) {
            throw new CheckpointException(file, "data bytes [" + covered + ", " + dataLength + ") belong to no tensor");
        }
    }

    private static String describe(Object value) {
        return switch (value) {
            case null -> "null";
            case String s -> "string \"" + s + "\"";
            case Map<?, ?> m -> "an object";
            case List<?> l -> "a list of " + l.size();
            default -> value.toString();
        };
    }

    // ---------------------------------------------------------------- writing

    /**
     * The header for {@code entries} (offsets already assigned) and {@code metadata}, as the bytes
     * that start the file: the 8-byte little-endian length, then compact JSON padded with spaces to a
     * multiple of 8 bytes. {@code __metadata__} comes first and is left out when empty.
     */
    static byte[] encode(List<SafeTensorsEntry> entries, Map<String, String> metadata) {
        Map<String, Object> root = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            root.put(METADATA_KEY, new LinkedHashMap<>(metadata));
        }
        for (SafeTensorsEntry e : entries) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("dtype", e.dtype().name());
            List<Object> shape = new ArrayList<>();
            for (int d : e.shape().dims()) {
                shape.add(d);
            }
            m.put("shape", shape);
            m.put("data_offsets", List.of(e.begin(), e.end()));
            root.put(e.name(), m);
        }
        byte[] json = Json.write(root).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        while (out.hasRemaining()) {
            out.put((byte) ' ');
        }
        return out.array();
    }
}
