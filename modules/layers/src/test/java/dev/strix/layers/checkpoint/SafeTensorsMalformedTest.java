package dev.strix.layers.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backends;
import dev.strix.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every malformed file is refused with a {@link CheckpointException} naming the file and the problem. */
class SafeTensorsMalformedTest {
    @TempDir
    Path dir;

    /** A file with the given header length field, header bytes and data bytes, exactly as given. */
    private Path raw(long headerLength, byte[] header, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(header).put(data);
        return Files.write(dir.resolve("bad.safetensors"), b.array());
    }

    private Path withHeader(String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return raw(h.length, h, new byte[dataBytes]);
    }

    private static String refusal(Path file) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> {
            try (SafeTensorsReader r = SafeTensorsReader.open(file)) {
                r.readAll(Backends.cpu()).values().forEach(Tensor::close);
            }
        });
        assertTrue(e.getMessage().startsWith(file + ": "), "names the file: " + e.getMessage());
        return e.getMessage();
    }

    private static void assertContains(String message, String part) {
        assertTrue(message.contains(part), "expected \"" + part + "\" in: " + message);
    }

    @Test
    void fileShorterThanTheLengthField() throws IOException {
        Path f = Files.write(dir.resolve("short.safetensors"), new byte[] {1, 2, 3});
        assertContains(refusal(f), "file is 3 bytes, too short for the 8-byte header length");
    }

    @Test
    void absurdHeaderLengthIsRefusedBeforeAllocating() throws IOException {
        assertContains(refusal(raw(1L << 40, new byte[16], new byte[0])), "header length 1099511627776 is absurd");
        assertContains(refusal(raw(-1, new byte[16], new byte[0])), "header length 18446744073709551615 is absurd");
        assertContains(refusal(raw(SafeTensorsReader.MAX_HEADER_BYTES + 1, new byte[16], new byte[0])), "is absurd");
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        assertContains(refusal(raw(1000, "{}".getBytes(StandardCharsets.UTF_8), new byte[0])),
                "header length 1000 exceeds the 2 bytes after it");
    }

    @Test
    void headerThatIsNotJson() throws IOException {
        assertContains(refusal(withHeader("{\"a\": {\"dtype\": \"F32\",", 0)), "header is not valid JSON");
        assertContains(refusal(withHeader("[1, 2]", 0)), "header must be a JSON object, got a list of 2");
        byte[] invalidUtf8 = {'{', '"', (byte) 0xc3, '"', ':', '1', '}'};
        assertContains(refusal(raw(invalidUtf8.length, invalidUtf8, new byte[0])), "header is not valid UTF-8");
    }

    @Test
    void duplicateTensorName() throws IOException {
        String e = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}";
        assertContains(refusal(withHeader("{\"x\":" + e + ",\"x\":" + e + "}", 1)), "duplicate key \"x\"");
    }

    @Test
    void unknownDtype() throws IOException {
        String m = refusal(withHeader("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4));
        assertContains(m, "tensor 'w' has dtype BF16, which strix cannot read (supported: [F32, I32, U8, I64])");
    }

    @Test
    void offsetsThatDoNotMatchShapeTimesDtypeSize() throws IOException {
        String m = refusal(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20));
        assertContains(m, "tensor 'w' is F32[2, 3] (24 bytes) but its data_offsets [0, 20] span 20 bytes");
    }

    @Test
    void offsetsOutsideTheDataArea() throws IOException {
        String m = refusal(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[96,104]}}", 16));
        assertContains(m, "tensor 'w' data_offsets [96, 104] reach past the end of the data area, which holds 16 bytes");
        assertContains(refusal(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8)),
                "need 0 <= begin <= end");
        assertContains(refusal(withHeader("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[-1,0]}}", 0)),
                "need 0 <= begin <= end");
    }

    @Test
    void overlappingTensors() throws IOException {
        String m = refusal(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 24));
        assertContains(m, "tensors 'a' [0, 16] and 'b' [8, 24] overlap");
    }

    @Test
    void bytesThatBelongToNoTensor() throws IOException {
        assertContains(refusal(withHeader("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}", 4)),
                "data bytes [0, 2) belong to no tensor");
        assertContains(refusal(withHeader("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 5)),
                "data bytes [2, 5) belong to no tensor");
    }

    @Test
    void truncatedFile() throws IOException {
        Path good = dir.resolve("good.safetensors");
        try (Tensor t = Tensor.of(Backends.cpu(), new float[] {1, 2, 3, 4}, 4)) {
            SafeTensorsWriter.save(good, Map.of("w", t), Map.of());
        }
        byte[] bytes = Files.readAllBytes(good);
        Path cut = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(bytes, bytes.length - 3));
        assertContains(refusal(cut), "tensor 'w' data_offsets [0, 16] reach past the end of the data area, which holds 13 bytes"
                + " (truncated file or bad offsets)");
        Path headerCut = Files.write(dir.resolve("cut2.safetensors"), Arrays.copyOf(bytes, 20));
        assertContains(refusal(headerCut), "exceeds the 12 bytes after it");
    }

    @Test
    void entryWithWrongKeysOrTypes() throws IOException {
        assertContains(refusal(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0)),
                "tensor 'w' has keys [dtype, shape], expected exactly");
        assertContains(refusal(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4)),
                "expected exactly");
        assertContains(refusal(withHeader("{\"w\":[1]}", 0)), "tensor 'w' must be an object");
        assertContains(refusal(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4)),
                "tensor 'w' shape must hold integers, got 1.5");
        assertContains(refusal(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4)),
                "tensor 'w' has dimension -1");
        assertContains(refusal(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4)),
                "tensor 'w' data_offsets must be a list of 2 integers");
        assertContains(refusal(withHeader("{\"w\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4)),
                "tensor 'w' dtype must be a string");
    }

    @Test
    void shapeWhoseByteSizeOverflows() throws IOException {
        String m = refusal(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],"
                + "\"data_offsets\":[0,4]}}", 4));
        assertContains(m, "tensor 'w' shape [2147483647, 2147483647, 2147483647] is too large");
    }

    @Test
    void metadataThatIsNotStrings() throws IOException {
        assertContains(refusal(withHeader("{\"__metadata__\":{\"epoch\":3}}", 0)),
                "__metadata__ value of \"epoch\" must be a string, got 3");
        assertContains(refusal(withHeader("{\"__metadata__\":[]}", 0)), "__metadata__ must be an object of strings");
    }

    @Test
    void int64ValueOutsideTheInt32Range() throws IOException {
        byte[] h = "{\"n\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}".getBytes(StandardCharsets.UTF_8);
        byte[] data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(5).putLong(1L << 40).array();
        assertContains(refusal(raw(h.length, h, data)),
                "tensor 'n' holds I64 value 1099511627776 at element 1, outside the int32 range");
    }

    @Test
    void aValidHandWrittenFileWithoutPaddingIsAccepted() throws IOException {
        // Other writers may not pad the header; readers must not insist on it.
        byte[] h = "{\"n\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}".getBytes(StandardCharsets.UTF_8);
        byte[] data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-5).putLong(Integer.MAX_VALUE).array();
        Path f = raw(h.length, h, data);
        Map<String, Tensor> read = SafeTensorsReader.read(f, Backends.cpu());
        try (Tensor n = read.get("n")) {
            assertEquals(-5, n.toIntArray()[0]);
            assertEquals(Integer.MAX_VALUE, n.toIntArray()[1]);
        }
    }
}
