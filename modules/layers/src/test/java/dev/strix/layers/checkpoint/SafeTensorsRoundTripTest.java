package dev.strix.layers.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsRoundTripTest {
    private final Backend cpu = Backends.cpu();
    private final List<Tensor> owned = new ArrayList<>();
    @TempDir
    Path dir;

    @AfterEach
    void closeTensors() {
        owned.forEach(Tensor::close);
    }

    private Tensor own(Tensor t) {
        owned.add(t);
        return t;
    }

    private static float[] ramp(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i - n / 2f) * scale;
        }
        return v;
    }

    @Test
    void roundTripsSeveralDtypesAndShapesIncludingAStridedView() throws IOException {
        Tensor weights = own(Tensor.of(cpu, ramp(24, 0.37f), 2, 3, 4));
        Tensor base = own(Tensor.of(cpu, ramp(12, 1.5f), 3, 4));
        Tensor transposed = base.transpose(0, 1); // [4, 3], non-contiguous
        Tensor everyOther = base.slice(1, 0, 4, 2); // [3, 2], stride 2
        Tensor labels = own(Tensor.ofInts(cpu, new int[] {-7, 0, 9, Integer.MAX_VALUE, Integer.MIN_VALUE}, 5));
        Tensor pixels = own(Tensor.ofBytes(cpu, new byte[] {0, 1, (byte) 128, (byte) 255}, 2, 2));
        Tensor scalar = own(Tensor.of(cpu, new float[] {3.25f}));
        Tensor empty = own(cpu.allocate(DType.F32, Shape.of(0, 5)));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("conv.weight", weights);
        tensors.put("transposed", transposed);
        tensors.put("every_other", everyOther);
        tensors.put("labels", labels);
        tensors.put("pixels", pixels);
        tensors.put("scalar", scalar);
        tensors.put("empty", empty);
        Path file = dir.resolve("model.safetensors");

        SafeTensorsWriter.save(file, tensors, Map.of());

        Map<String, Tensor> back = SafeTensorsReader.read(file, cpu);
        back.values().forEach(owned::add);
        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(back.keySet()), "names in written order");
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor original = e.getValue();
            Tensor read = back.get(e.getKey());
            assertEquals(original.dtype(), read.dtype(), e.getKey());
            assertEquals(original.shape(), read.shape(), e.getKey());
            assertTrue(read.isContiguous(), e.getKey());
            assertArrayEquals(original.toFloatArray(), read.toFloatArray(), e.getKey());
        }
        assertArrayEquals(new int[] {-7, 0, 9, Integer.MAX_VALUE, Integer.MIN_VALUE}, back.get("labels").toIntArray());
        assertArrayEquals(new byte[] {0, 1, (byte) 128, (byte) 255}, back.get("pixels").toByteArray());
    }

    @Test
    void theStridedViewIsStoredRowMajorInTheFile() throws IOException {
        Tensor base = own(Tensor.of(cpu, new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        Path file = dir.resolve("t.safetensors");
        SafeTensorsWriter.save(file, Map.of("t", base.transpose(0, 1)), Map.of());
        byte[] bytes = Files.readAllBytes(file);
        SafeTensorsEntry e;
        try (SafeTensorsReader r = SafeTensorsReader.open(file)) {
            e = r.header().byName().get("t");
        }
        assertEquals(Shape.of(3, 2), e.shape());
        int dataStart = bytes.length - 24;
        float[] stored = new float[6];
        for (int i = 0; i < 6; i++) {
            stored[i] = Float.intBitsToFloat(littleEndianInt(bytes, dataStart + 4 * i));
        }
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, stored);
    }

    private static int littleEndianInt(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    @Test
    void metadataRoundTrips() throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("epoch", "7");
        metadata.put("note", "quotes \" backslash \\ newline \n unicode é");
        Path file = dir.resolve("m.safetensors");
        SafeTensorsWriter.save(file, Map.of("x", own(Tensor.of(cpu, new float[] {1}, 1))), metadata);
        try (SafeTensorsReader r = SafeTensorsReader.open(file)) {
            assertEquals(metadata, r.metadata());
            assertEquals(List.copyOf(metadata.keySet()), List.copyOf(r.metadata().keySet()));
        }
    }

    @Test
    void headerLayoutIsByteExactForATinyKnownCase() throws IOException {
        Path file = dir.resolve("tiny.safetensors");
        SafeTensorsWriter.save(file, Map.of("a", own(Tensor.of(cpu, new float[] {1f, -2f}, 2))), Map.of("format", "pt"));

        String json = "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertEquals(85, json.length());
        byte[] expected = new byte[8 + 88 + 8];
        expected[0] = 88; // little-endian u64 header length: 85 bytes of JSON padded to 88
        byte[] jsonBytes = json.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(jsonBytes, 0, expected, 8, jsonBytes.length);
        expected[8 + 85] = ' ';
        expected[8 + 86] = ' ';
        expected[8 + 87] = ' ';
        byte[] data = {0x00, 0x00, (byte) 0x80, 0x3f, 0x00, 0x00, 0x00, (byte) 0xc0}; // 1.0f, -2.0f little-endian
        System.arraycopy(data, 0, expected, 96, 8);

        assertArrayEquals(expected, Files.readAllBytes(file));
    }

    @Test
    void int32TensorsCanBeStoredAsInt64LikePyTorchAndReadBack() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("bn.weight", own(Tensor.of(cpu, new float[] {1, 2}, 2)));
        tensors.put("bn.num_batches_tracked", own(Tensor.ofInts(cpu, new int[] {938}))); // PyTorch: int64 scalar
        Path file = dir.resolve("bn.safetensors");
        new SafeTensorsWriter().writeAsI64(SafeTensorsWriter.PYTORCH_INT64_NAMES).write(file, tensors, Map.of());

        byte[] bytes = Files.readAllBytes(file);
        String header = new String(bytes, 8, bytes[0] & 0xff, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}"),
                header);
        byte[] tail = java.util.Arrays.copyOfRange(bytes, bytes.length - 8, bytes.length);
        assertArrayEquals(new byte[] {(byte) 0xaa, 0x03, 0, 0, 0, 0, 0, 0}, tail, "938 as little-endian int64");

        try (SafeTensorsReader r = SafeTensorsReader.open(file)) {
            assertEquals(SafeTensorsDType.I64, r.header().byName().get("bn.num_batches_tracked").dtype());
            Map<String, Tensor> back = r.readAll(cpu);
            back.values().forEach(owned::add);
            Tensor counter = back.get("bn.num_batches_tracked");
            assertEquals(DType.I32, counter.dtype());
            assertArrayEquals(new int[] {938}, counter.toIntArray());
        }
        Tensor target = own(cpu.allocate(DType.I32, Shape.of()));
        Tensor weight = own(cpu.allocate(DType.F32, Shape.of(2)));
        SafeTensorsReader.load(file, Map.of("bn.num_batches_tracked", target, "bn.weight", weight));
        assertArrayEquals(new int[] {938}, target.toIntArray());
    }

    @Test
    void writingAFloatTensorAsInt64IsRefused() {
        Map<String, Tensor> tensors = Map.of("x.num_batches_tracked", own(Tensor.of(cpu, new float[] {1}, 1)));
        SafeTensorsWriter w = new SafeTensorsWriter().writeAsI64(SafeTensorsWriter.PYTORCH_INT64_NAMES);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> w.write(dir.resolve("x.safetensors"), tensors, Map.of()));
        assertTrue(e.getMessage().contains("x.num_batches_tracked"), e.getMessage());
    }

    @Test
    void loadIntoFillsExistingTensorsIncludingStridedViews() throws IOException {
        Map<String, Tensor> source = new LinkedHashMap<>();
        source.put("w", own(Tensor.of(cpu, ramp(6, 0.5f), 2, 3)));
        source.put("b", own(Tensor.of(cpu, new float[] {7, 8, 9}, 3)));
        Path file = dir.resolve("load.safetensors");
        SafeTensorsWriter.save(file, source, Map.of());

        Tensor wStorage = own(cpu.allocate(DType.F32, Shape.of(3, 2)));
        Tensor wView = wStorage.transpose(0, 1); // [2, 3] non-contiguous target
        Tensor b = own(cpu.allocate(DType.F32, Shape.of(3)));
        SafeTensorsReader.load(file, Map.of("w", wView, "b", b));

        assertArrayEquals(source.get("w").toFloatArray(), wView.toFloatArray());
        assertArrayEquals(new float[] {7, 8, 9}, b.toFloatArray());
    }

    @Test
    void loadIntoListsEveryMismatchWithBothShapesAndWritesNothing() throws IOException {
        Map<String, Tensor> source = new LinkedHashMap<>();
        source.put("w", own(Tensor.of(cpu, ramp(12, 1f), 3, 4)));
        source.put("labels", own(Tensor.ofInts(cpu, new int[] {1, 2}, 2)));
        source.put("extra", own(Tensor.of(cpu, new float[] {1}, 1)));
        source.put("ok", own(Tensor.of(cpu, new float[] {5}, 1)));
        Path file = dir.resolve("mismatch.safetensors");
        SafeTensorsWriter.save(file, source, Map.of());

        Map<String, Tensor> targets = new LinkedHashMap<>();
        targets.put("w", own(cpu.allocate(DType.F32, Shape.of(4, 3))));
        targets.put("labels", own(cpu.allocate(DType.F32, Shape.of(2))));
        targets.put("bias", own(cpu.allocate(DType.F32, Shape.of(10))));
        targets.put("ok", own(cpu.allocate(DType.F32, Shape.of(1))));

        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensorsReader.load(file, targets));
        String m = e.getMessage();
        assertTrue(m.startsWith(file.toString()), m);
        assertTrue(m.contains("tensor 'w' has shape [3, 4] in the file but [4, 3] in memory"), m);
        assertTrue(m.contains("tensor 'labels' has dtype I32 in the file (read as I32) but F32 in memory"), m);
        assertTrue(m.contains("missing tensor 'bias' (expected F32[10])"), m);
        assertTrue(m.contains("unexpected tensor 'extra' F32[1]"), m);
        assertEquals(0f, targets.get("ok").get(0), "nothing is loaded when anything mismatches");
    }

    @Test
    void aFailedWriteLeavesNeitherTheFileNorATemporaryFile() throws IOException {
        Tensor good = Tensor.of(cpu, ramp(1000, 1f), 1000);
        Tensor closed = Tensor.of(cpu, ramp(10, 1f), 10);
        closed.close(); // freed before the writer reaches it: fails after the header and `good` were written
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("good", good);
        tensors.put("closed", closed);
        Path file = dir.resolve("fail.safetensors");

        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensorsWriter.save(file, tensors, Map.of()));
        good.close();
        assertTrue(e.getMessage().contains("tensor 'closed'"), e.getMessage());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "no file and no temporary file");
        }
    }

    @Test
    void aFailedWriteLeavesTheOldFileUntouched() throws IOException {
        Path file = dir.resolve("keep.safetensors");
        SafeTensorsWriter.save(file, Map.of("x", own(Tensor.of(cpu, new float[] {42}, 1))), Map.of());
        byte[] before = Files.readAllBytes(file);
        Tensor closed = Tensor.of(cpu, new float[] {1}, 1);
        closed.close();

        assertThrows(CheckpointException.class, () -> SafeTensorsWriter.save(file, Map.of("x", closed), Map.of()));

        assertArrayEquals(before, Files.readAllBytes(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void writingWhereNoFileCanBeCreatedFailsCleanly() throws IOException {
        Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");
        Path file = notADirectory.resolve("model.safetensors");
        assertThrows(IOException.class,
                () -> SafeTensorsWriter.save(file, Map.of("x", own(Tensor.of(cpu, new float[] {1}, 1))), Map.of()));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(notADirectory), files.toList());
        }
    }

    @Test
    void theFileGetsTheUsualPermissionsNotOwnerOnly() throws IOException {
        Path file = dir.resolve("perm.safetensors");
        SafeTensorsWriter.save(file, Map.of("x", own(Tensor.of(cpu, new float[] {1}, 1))), Map.of());
        Path plain = Files.createFile(dir.resolve("plain"));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(file));
    }

    @Test
    void rewritingReplacesTheFile() throws IOException {
        Path file = dir.resolve("twice.safetensors");
        SafeTensorsWriter.save(file, Map.of("x", own(Tensor.of(cpu, new float[] {1}, 1))), Map.of());
        SafeTensorsWriter.save(file, Map.of("y", own(Tensor.of(cpu, new float[] {2, 3}, 2))), Map.of("v", "2"));
        try (SafeTensorsReader r = SafeTensorsReader.open(file)) {
            assertEquals(List.of("y"), List.copyOf(r.header().byName().keySet()));
            assertEquals(Map.of("v", "2"), r.metadata());
        }
    }
}
