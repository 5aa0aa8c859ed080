package dev.strix.mnist.report;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The per-epoch metrics file: a header line and one row per epoch, appended as each epoch ends so a
 * run that stops early still has its history. Each row goes out in a single append and is forced
 * to disk before the next epoch starts. Missing values ({@link Double#NaN}) are empty fields.
 */
public final class MetricsCsv {
    public static final String HEADER = "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,"
            + "learning_rate,seconds,images_per_second";

    private MetricsCsv() {
    }

    /** The row for {@code m}, without line end. */
    public static String row(EpochMetrics m) {
        return m.epoch() + "," + fixed(m.trainLoss(), 6) + "," + fixed(m.trainAccuracy(), 6) + ","
                + fixed(m.validationLoss(), 6) + "," + fixed(m.validationAccuracy(), 6) + ","
                + (Double.isNaN(m.learningRate()) ? "" : Double.toString(m.learningRate())) + ","
                + fixed(m.seconds(), 3) + "," + fixed(m.imagesPerSecond(), 1);
    }

    private static String fixed(double v, int decimals) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /**
     * Appends {@code m} to {@code file}, writing the header first when the file is new or empty.
     * An existing file must start with {@link #HEADER}. If its last row was cut short (a crash
     * mid-write), the new row starts on a fresh line.
     */
    public static void append(Path file, EpochMetrics m) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            long size = ch.size();
            StringBuilder text = new StringBuilder();
            if (size == 0) {
                text.append(HEADER).append('\n');
            } else {
                checkHeader(file, ch);
                ByteBuffer last = ByteBuffer.allocate(1);
                ch.read(last, size - 1);
                if (last.get(0) != '\n') {
                    text.append('\n');
                }
            }
            text.append(row(m)).append('\n');
            ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
            long at = size;
            while (bytes.hasRemaining()) {
                at += ch.write(bytes, at);
            }
            ch.force(false);
        }
    }

    private static void checkHeader(Path file, FileChannel ch) throws IOException {
        byte[] expected = HEADER.getBytes(StandardCharsets.UTF_8);
        ByteBuffer head = ByteBuffer.allocate(expected.length + 1);
        while (head.hasRemaining() && ch.read(head, head.position()) > 0) {
            // keep reading until the buffer is full or the file ends
        }
        String found = new String(head.array(), 0, head.position(), StandardCharsets.UTF_8);
        if (!found.equals(HEADER + "\n")) {
            String firstLine = found.lines().findFirst().orElse("");
            throw new IOException(file + ": not a strix metrics file: first line is '" + firstLine + "', expected '"
                    + HEADER + "'");
        }
    }

    /** Reads every row of {@code file}; errors name the file and line. */
    public static List<EpochMetrics> read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.getFirst().equals(HEADER)) {
            throw new IOException(file + ": not a strix metrics file: first line is '"
                    + (lines.isEmpty() ? "" : lines.getFirst()) + "', expected '" + HEADER + "'");
        }
        List<EpochMetrics> out = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(",", -1);
            if (f.length != 8) {
                throw new IOException(file + ":" + (i + 1) + ": expected 8 fields, found " + f.length + ": '" + line + "'");
            }
            try {
                out.add(new EpochMetrics(Integer.parseInt(f[0]), number(f[1]), number(f[2]), number(f[3]), number(f[4]),
                        number(f[5]), number(f[6]), number(f[7])));
            } catch (NumberFormatException e) {
                throw new IOException(file + ":" + (i + 1) + ": not a number in '" + line + "'", e);
            }
        }
        return out;
    }

    private static double number(String field) {
        return field.isEmpty() ? Double.NaN : Double.parseDouble(field);
    }
}
