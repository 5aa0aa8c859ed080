package dev.strix.mnist.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class HtmlReportTest {
    @TempDir
    Path dir;

    static ReportData sample() {
        List<EpochMetrics> epochs = List.of(
                new EpochMetrics(1, 0.4321, 0.8765, 0.2345, 0.9312, 0.01, 20.5, 2926.8),
                new EpochMetrics(2, 0.1567, 0.9534, 0.1234, 0.9641, 0.01, 19.8, 3030.3),
                new EpochMetrics(3, 0.0987, 0.9712, 0.0912, 0.9781, 0.001, 19.9, 3015.1));
        int[][] counts = new int[10][10];
        for (int c = 0; c < 10; c++) {
            counts[c][c] = 970 + c;
            counts[c][(c + 1) % 10] = 3 * c + 1;
        }
        ConfusionMatrix confusion = ConfusionMatrix.of(counts);
        List<Misclassified> worst = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            byte[] px = new byte[784];
            for (int j = 0; j < 784; j++) {
                px[j] = (byte) ((j * (i + 3)) % 256);
            }
            worst.add(new Misclassified(px, i, (i + 5) % 10, 0.99 - i * 0.1));
        }
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("model", "conv(1→32, 3x3) <relu> & pool");
        facts.put("backend", "cpu");
        return new ReportData("strix MNIST <run 7>", facts, epochs, confusion, worst);
    }

    @Test
    void theDocumentIsWellFormedAndHasTwoChartsWithTheirCurves() throws Exception {
        String html = HtmlReport.render(sample());
        Document doc = SvgLineChartTest.parse(html);
        assertEquals("html", doc.getDocumentElement().getTagName());
        NodeList svgs = doc.getElementsByTagName("svg");
        assertEquals(2, svgs.getLength());
        for (int i = 0; i < 2; i++) {
            Element svg = (Element) svgs.item(i);
            NodeList lines = svg.getElementsByTagName("polyline");
            assertEquals(2, lines.getLength(), "train and validation");
            for (int l = 0; l < 2; l++) {
                assertEquals(3, ((Element) lines.item(l)).getAttribute("points").split(" ").length, "one point per epoch");
            }
            assertEquals(List.of("train", "validation"), SvgLineChartTest.texts(svg, "legend-label"));
            assertTrue(SvgLineChartTest.texts(svg, "axis-label").contains("epoch"));
        }
        assertEquals("Loss", ((Element) svgs.item(0)).getElementsByTagName("title").item(0).getTextContent());
        assertEquals("Accuracy", ((Element) svgs.item(1)).getElementsByTagName("title").item(0).getTextContent());
    }

    @Test
    void containsTheNumbersAndEscapesText() throws Exception {
        String html = HtmlReport.render(sample());
        for (String s : List.of("0.4321", "87.65%", "0.0912", "97.81%", "3015", "strix MNIST &lt;run 7&gt;",
                "conv(1→32, 3x3) &lt;relu&gt; &amp; pool")) {
            assertTrue(html.contains(s), "report should contain " + s);
        }
        Document doc = SvgLineChartTest.parse(html);
        assertEquals("strix MNIST <run 7>", doc.getElementsByTagName("h1").item(0).getTextContent());
    }

    @Test
    void theConfusionMatrixIsATenByTenShadedTable() throws Exception {
        ReportData data = sample();
        Document doc = SvgLineChartTest.parse(HtmlReport.render(data));
        Element table = null;
        NodeList tables = doc.getElementsByTagName("table");
        for (int i = 0; i < tables.getLength(); i++) {
            if (((Element) tables.item(i)).getAttribute("class").equals("confusion")) {
                table = (Element) tables.item(i);
            }
        }
        NodeList rows = table.getElementsByTagName("tr");
        assertEquals(11, rows.getLength(), "header and ten classes");
        for (int t = 0; t < 10; t++) {
            NodeList cells = ((Element) rows.item(t + 1)).getElementsByTagName("td");
            assertEquals(11, cells.getLength(), "ten counts and the class accuracy");
            for (int p = 0; p < 10; p++) {
                Element cell = (Element) cells.item(p);
                assertEquals(String.valueOf(data.confusion().count(t, p)), cell.getTextContent());
                assertTrue(cell.getAttribute("style").startsWith("background: rgba(" + (t == p ? "46,160,67," : "218,54,51,")),
                        cell.getAttribute("style"));
            }
            assertEquals(ConfusionMatrix.percent(data.confusion().classAccuracy(t)), cells.item(10).getTextContent());
        }
        Element zero = (Element) ((Element) rows.item(1)).getElementsByTagName("td").item(5);
        assertEquals("background: rgba(218,54,51,0.000)", zero.getAttribute("style"), "no mistakes, no shade");
    }

    @Test
    void theGalleryEmbedsEachDigitAsAPngDataUri() throws Exception {
        ReportData data = sample();
        String html = HtmlReport.render(data);
        Matcher m = Pattern.compile("src=\"([^\"]*)\"").matcher(html);
        int images = 0;
        while (m.find()) {
            String src = m.group(1);
            assertTrue(src.startsWith("data:image/png;base64,"), "inline images only: " + src);
            byte[] png = Base64.getDecoder().decode(src.substring("data:image/png;base64,".length()));
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
            int[] decoded = img.getRaster().getPixels(0, 0, 28, 28, (int[]) null);
            byte[] expected = data.worst().get(images).pixels();
            for (int i = 0; i < 784; i++) {
                assertEquals(expected[i] & 0xff, decoded[i]);
            }
            images++;
        }
        assertEquals(4, images);
        assertTrue(html.contains("alt=\"true 0, predicted 5\""));
        assertTrue(html.contains("99.0%"), "confidence of the worst mistake");
    }

    @Test
    void nothingIsFetchedFromOutside() {
        String html = HtmlReport.render(sample());
        assertFalse(html.contains("http:"), "no http URLs");
        assertFalse(html.contains("https:"), "no https URLs");
        assertFalse(html.contains("<script"), "no scripts");
        assertFalse(html.contains("<link"), "no stylesheets");
        assertFalse(html.contains("url("), "no CSS resources");
    }

    @Test
    void emptyHistoryAndNoMistakesStillRender() throws Exception {
        ReportData empty = new ReportData("empty", Map.of(), List.of(), new ConfusionMatrix(10), List.of());
        String html = HtmlReport.render(empty);
        Document doc = SvgLineChartTest.parse(html);
        assertEquals(2, doc.getElementsByTagName("svg").getLength());
        assertTrue(html.contains("No misclassified digits."));
        assertFalse(html.contains("NaN"));
    }

    @Test
    void writeReplacesTheFileAndLeavesNoTemporaryFile() throws Exception {
        Path f = dir.resolve("report.html");
        Files.writeString(f, "old");
        Path plain = Files.createFile(dir.resolve("plain"));
        HtmlReport.write(f, sample());
        assertEquals(HtmlReport.render(sample()), Files.readString(f));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(f), "shareable, not owner-only");
        Files.delete(plain);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
    }
}
