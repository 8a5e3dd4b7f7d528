package io.jsgl.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsgl.backend.reference.ReferenceBackendProvider;
import io.jsgl.engine.backend.ProfilingBackend;
import io.jsgl.engine.model.DecoderModel;
import io.jsgl.engine.model.Fixtures;
import io.jsgl.engine.model.ModelLoadOptions;
import io.jsgl.spi.BackendOptions;
import io.jsgl.spi.DType;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** bench-one-batch's op profile and bandwidth-probe lines, on the reference backend and a fixture model. */
class BenchOneBatchProfileTest {

    @Test
    void profileCountsEveryOpOfItsPhaseAndNamesLinearsWithoutLayerIndex() throws Exception {
        var dir = Fixtures.models().resolve("llama3");
        try (var profiler = new ProfilingBackend(new ReferenceBackendProvider().create(BackendOptions.defaults()));
             DecoderModel model = DecoderModel.load(dir, profiler, new ModelLoadOptions(16, 2, 64, DType.F32))) {
            // the first run plays the warm-up: its ops must not leak into the second run's profile
            new BenchOneBatch(model, 2, 8, 3).run(new PrintStream(OutputStream.nullOutputStream()), 1);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            new BenchOneBatch(model, 2, 8, 4, 1 << 20).run(new PrintStream(bytes, true, StandardCharsets.UTF_8), 2);
            String out = bytes.toString(StandardCharsets.UTF_8);
            int layers = model.config().numLayers();
            assertTrue(out.contains("Op profile (prefill, 1 steps"), out);
            assertTrue(out.contains("Op profile (decode, 3 steps"), out);
            assertEquals(layers, calls(out, "prefill", "linear self_attn.o_proj"), out);
            assertEquals(3 * layers, calls(out, "decode", "linear self_attn.o_proj"), out);
            assertEquals(3 * layers, calls(out, "decode", "attention"), out);
            assertEquals(3, calls(out, "decode", "argmax"), out); // greedy tokens picked by the backend
            assertTrue(out.contains("Bandwidth probe: not implemented by backend reference"), out);
        }
    }

    /** The calls column of {@code op} in the profile section of {@code phase}. */
    private static int calls(String out, String phase, String op) {
        String section = out.substring(out.indexOf("Op profile (" + phase));
        int next = section.indexOf("Op profile (", 1);
        if (next > 0) section = section.substring(0, next);
        Matcher m = Pattern.compile("^\\s+" + Pattern.quote(op) + "\\s+(\\d+)\\s", Pattern.MULTILINE).matcher(section);
        assertTrue(m.find(), op + " missing from the " + phase + " profile:\n" + section);
        return Integer.parseInt(m.group(1));
    }
}
