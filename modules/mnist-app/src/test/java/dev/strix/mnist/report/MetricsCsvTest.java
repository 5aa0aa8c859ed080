package dev.strix.mnist.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsCsvTest {
    @TempDir
    Path dir;

    private static final EpochMetrics ONE = new EpochMetrics(1, 0.3456789, 0.91234567, 0.2, 0.9567, 0.01, 12.3456, 4860.04);
    private static final EpochMetrics TWO = new EpochMetrics(2, 0.12, 0.97, Double.NaN, Double.NaN, 1e-4, 11, 5454.5);

    @Test
    void appendsAHeaderThenOneRowPerEpoch() throws IOException {
        Path f = dir.resolve("metrics.csv");
        MetricsCsv.append(f, ONE);
        MetricsCsv.append(f, TWO);
        assertEquals(MetricsCsv.HEADER + "\n"
                + "1,0.345679,0.912346,0.200000,0.956700,0.01,12.346,4860.0\n"
                + "2,0.120000,0.970000,,,1.0E-4,11.000,5454.5\n", Files.readString(f));
    }

    @Test
    void readsBackWhatItWrote() throws IOException {
        Path f = dir.resolve("metrics.csv");
        MetricsCsv.append(f, ONE);
        MetricsCsv.append(f, TWO);
        List<EpochMetrics> back = MetricsCsv.read(f);
        assertEquals(2, back.size());
        assertEquals(new EpochMetrics(1, 0.345679, 0.912346, 0.2, 0.9567, 0.01, 12.346, 4860.0), back.get(0));
        assertEquals(new EpochMetrics(2, 0.12, 0.97, Double.NaN, Double.NaN, 1e-4, 11, 5454.5), back.get(1));
    }

    @Test
    void anEmptyExistingFileGetsTheHeader() throws IOException {
        Path f = Files.createFile(dir.resolve("empty.csv"));
        MetricsCsv.append(f, ONE);
        assertTrue(Files.readString(f).startsWith(MetricsCsv.HEADER + "\n1,"));
    }

    @Test
    void aRowCutShortByACrashDoesNotSwallowTheNextOne() throws IOException {
        Path f = Files.writeString(dir.resolve("cut.csv"), MetricsCsv.HEADER + "\n1,0.3,0.9");
        MetricsCsv.append(f, TWO);
        assertEquals(MetricsCsv.HEADER + "\n1,0.3,0.9\n2,0.120000,0.970000,,,1.0E-4,11.000,5454.5\n", Files.readString(f));
        IOException e = assertThrows(IOException.class, () -> MetricsCsv.read(f));
        assertEquals(f + ":2: expected 8 fields, found 3: '1,0.3,0.9'", e.getMessage());
    }

    @Test
    void refusesToAppendToSomeOtherFile() throws IOException {
        Path f = Files.writeString(dir.resolve("other.csv"), "name,age\nbob,3\n");
        IOException e = assertThrows(IOException.class, () -> MetricsCsv.append(f, ONE));
        assertEquals(f + ": not a strix metrics file: first line is 'name,age', expected '" + MetricsCsv.HEADER + "'",
                e.getMessage());
        assertEquals("name,age\nbob,3\n", Files.readString(f), "left untouched");
        assertThrows(IOException.class, () -> MetricsCsv.read(f));
    }

    @Test
    void readNamesTheLineOfABadNumber() throws IOException {
        Path f = Files.writeString(dir.resolve("bad.csv"), MetricsCsv.HEADER + "\n1,x,0,0,0,0,0,0\n");
        IOException e = assertThrows(IOException.class, () -> MetricsCsv.read(f));
        assertEquals(f + ":2: not a number in '1,x,0,0,0,0,0,0'", e.getMessage());
    }
}
