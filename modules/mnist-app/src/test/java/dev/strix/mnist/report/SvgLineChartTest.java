package dev.strix.mnist.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

class SvgLineChartTest {
    static Document parse(String xml) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
    }

    static List<String> texts(Element root, String cssClass) {
        List<String> out = new ArrayList<>();
        NodeList nodes = root.getElementsByTagName("text");
        for (int i = 0; i < nodes.getLength(); i++) {
            Element e = (Element) nodes.item(i);
            if (e.getAttribute("class").equals(cssClass)) {
                out.add(e.getTextContent());
            }
        }
        return out;
    }

    @Test
    void niceStepsAreOneTwoOrFiveTimesAPowerOfTen() {
        assertEquals(0.1, SvgLineChart.niceStep(0.07), 1e-12);
        assertEquals(0.2, SvgLineChart.niceStep(0.15), 1e-12);
        assertEquals(0.5, SvgLineChart.niceStep(0.3), 1e-12);
        assertEquals(1, SvgLineChart.niceStep(1), 1e-12);
        assertEquals(20, SvgLineChart.niceStep(12), 1e-12);
        assertEquals(1, SvgLineChart.niceStep(0), 1e-12);
    }

    @Test
    void drawsAxesTicksLinesAndLegend() throws Exception {
        String svg = SvgLineChart.render("Loss & more", "loss", new int[] {1, 2, 3, 4},
                List.of(new SvgLineChart.Series("train", "#123456", new double[] {0.9, 0.5, 0.3, 0.25}),
                        new SvgLineChart.Series("validation", "#abcdef", new double[] {0.8, Double.NaN, 0.35, 0.3}),
                        new SvgLineChart.Series("never measured", "#000000", new double[] {Double.NaN, Double.NaN})),
                false);
        Element root = parse(svg).getDocumentElement();
        assertEquals("svg", root.getTagName());
        assertEquals("Loss & more", root.getElementsByTagName("title").item(0).getTextContent());
        assertEquals(List.of("0.2", "0.4", "0.6", "0.8", "1.0", "1", "2", "3", "4"), texts(root, "tick"),
                "y ticks every 0.2 around [0.25, 0.9], then the epochs");
        assertEquals(List.of("train", "validation"), texts(root, "legend-label"));
        NodeList lines = root.getElementsByTagName("polyline");
        assertEquals(2, lines.getLength(), "a series without values is left out");
        assertEquals(4, ((Element) lines.item(0)).getAttribute("points").split(" ").length);
        assertEquals(3, ((Element) lines.item(1)).getAttribute("points").split(" ").length, "NaN skipped");
        assertEquals(7, root.getElementsByTagName("circle").getLength());
        assertFalse(svg.contains("never measured"));
    }

    @Test
    void percentChartsLabelTicksAsPercentages() throws Exception {
        String svg = SvgLineChart.render("Accuracy", "accuracy", new int[] {1, 2},
                List.of(new SvgLineChart.Series("train", "#111111", new double[] {0.91, 0.985})), true);
        List<String> ticks = texts(parse(svg).getDocumentElement(), "tick");
        assertEquals(List.of("90%", "92%", "94%", "96%", "98%", "100%"), ticks.subList(0, 6));
    }

    @Test
    void theLegendMovesDownWhenTheLinesEndHigh() throws Exception {
        double falling = legendY(new double[] {0.9, 0.2});
        double rising = legendY(new double[] {0.2, 0.9});
        assertTrue(falling < SvgLineChart.HEIGHT / 2.0, "top legend for falling lines: " + falling);
        assertTrue(rising > SvgLineChart.HEIGHT / 2.0, "bottom legend for rising lines: " + rising);
    }

    private static double legendY(double[] values) throws Exception {
        String svg = SvgLineChart.render("t", "y", new int[] {1, 2}, List.of(new SvgLineChart.Series("s", "#111111", values)), false);
        Element legend = (Element) parse(svg).getDocumentElement().getElementsByTagName("g").item(0);
        return Double.parseDouble(((Element) legend.getElementsByTagName("rect").item(0)).getAttribute("y"));
    }

    @Test
    void aSingleEpochStillHasAnXRange() throws Exception {
        String svg = SvgLineChart.render("One", "loss", new int[] {1},
                List.of(new SvgLineChart.Series("train", "#111111", new double[] {0.5})), false);
        Element root = parse(svg).getDocumentElement();
        assertEquals(1, root.getElementsByTagName("circle").getLength());
        assertEquals(List.of("0.44", "0.46", "0.48", "0.50", "0.52", "0.54", "0.56", "0", "1", "2"), texts(root, "tick"));
        assertFalse(svg.contains("NaN"));
    }
}
