package dev.strix.mnist.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.CapturedGraph;
import dev.strix.tensor.GraphCapture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * When {@link StepGraphs} runs a step eagerly, records it, or replays it, driven by a recording
 * backend stand-in that logs every event (the real CUDA graphs are tested on a GPU).
 */
class StepGraphsTest {
    private final List<String> events = new ArrayList<>();
    private final StringWriter printed = new StringWriter();
    private final PrintWriter out = new PrintWriter(printed, true);
    private final Runnable step = () -> events.add("eager");

    /** Records by running the ops once (as "record"), replays by logging "launch"; fails when told to. */
    private final class Recorder implements GraphCapture {
        boolean fail;
        int closed;

        @Override
        public CapturedGraph capture(Runnable ops) {
            events.add("record");
            if (fail) {
                throw new IllegalStateException("CUDA graph capture failed: allocate F32[4] while a CUDA graph is"
                        + " being captured");
            }
            return new CapturedGraph() {
                @Override
                public void launch() {
                    events.add("launch");
                }

                @Override
                public void close() {
                    closed++;
                }
            };
        }
    }

    @Test
    void theFirstStepOfASizeIsEagerTheSecondRecordsAndTheRestReplay() {
        Recorder recorder = new Recorder();
        try (StepGraphs graphs = new StepGraphs(Optional.of(recorder), true, step, out)) {
            for (int i = 0; i < 4; i++) {
                graphs.run(128);
            }
            assertEquals(List.of("eager", "record", "launch", "launch", "launch"), events);
            assertEquals(3, graphs.replays());
            events.clear();
            graphs.run(16);
            graphs.run(16);
            graphs.run(128);
            assertEquals(List.of("eager", "record", "launch", "launch"), events, "a graph per batch size");
        }
        assertEquals(2, recorder.closed, "both graphs released");
        assertEquals("cuda graph: the training step of batch 128 is captured and replayed\n",
                printed.toString().replace("\r", ""), "announced once");
    }

    @Test
    void invalidatingDropsTheGraphsAndStartsOverWithAnEagerStep() {
        Recorder recorder = new Recorder();
        try (StepGraphs graphs = new StepGraphs(Optional.of(recorder), true, step, out)) {
            graphs.run(128);
            graphs.run(128);
            graphs.invalidate();
            assertEquals(1, recorder.closed);
            events.clear();
            graphs.run(128);
            graphs.run(128);
            graphs.run(128);
            assertEquals(List.of("eager", "record", "launch", "launch"), events);
        }
    }

    @Test
    void aFailedRecordingPrintsWhyOnceAndEveryStepRunsEagerlyAfter() {
        Recorder recorder = new Recorder();
        recorder.fail = true;
        try (StepGraphs graphs = new StepGraphs(Optional.of(recorder), true, step, out)) {
            for (int i = 0; i < 4; i++) {
                graphs.run(128);
            }
            graphs.run(64);
            graphs.run(64);
            assertFalse(graphs.enabled());
            assertEquals(0, graphs.replays());
        }
        assertEquals(List.of("eager", "record", "eager", "eager", "eager", "eager", "eager"), events,
                "the step whose recording failed runs eagerly too; no second attempt");
        assertEquals("cuda graph: off, running eager steps (CUDA graph capture failed: allocate F32[4] while a"
                + " CUDA graph is being captured)\n", printed.toString().replace("\r", ""));
    }

    @Test
    void withoutCaptureOrWhenSwitchedOffEveryStepIsEagerAndNothingIsPrinted() {
        Recorder recorder = new Recorder();
        for (StepGraphs graphs : List.of(new StepGraphs(Optional.empty(), true, step, out),
                new StepGraphs(Optional.of(recorder), false, step, out))) {
            graphs.run(128);
            graphs.run(128);
            graphs.run(128);
            assertFalse(graphs.enabled());
            graphs.close();
        }
        assertEquals(List.of("eager", "eager", "eager", "eager", "eager", "eager"), events);
        assertTrue(printed.toString().isEmpty(), printed.toString());
    }
}
