package io.jsgl.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsgl.backend.reference.ReferenceBackendProvider;
import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.Backend;
import io.jsgl.spi.BackendOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@link DecoderModel#forwardGreedy}: the backend's ARGMAX picks Hugging Face's greedy token for
 * every fixture prompt, and the same token as the host argmax over {@link DecoderModel#forward}'s
 * logits, for two prompts batched in one step.
 */
class GreedyOnBackendTest {
    @Test
    void backendArgmaxPicksTheReferenceGreedyTokens() throws Exception {
        Path dir = Fixtures.models().resolve("llama3");
        JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        try (Backend backend = new ReferenceBackendProvider().create(BackendOptions.defaults());
             DecoderModel model = DecoderModel.load(dir, backend, ModelLoadOptions.defaults(256));
             Arena arena = Arena.ofConfined()) {
            assertTrue(model.samplesOnBackend(), "the reference backend declares ARGMAX");
            int[] a = FixtureModelTest.ints(ref.get("prompts").get(0));
            int[] b = FixtureModelTest.ints(ref.get("prompts").get(1));
            ModelStep step = twoPrompts(a, b);
            int[] tokens = new int[2];
            model.forwardGreedy(step, tokens);
            assertEquals(ref.get("greedy").get(0).get(0).asInt(), tokens[0], "prompt 0");
            assertEquals(ref.get("greedy").get(1).get(0).asInt(), tokens[1], "prompt 1");

            int vocab = model.config().vocabSize();
            MemorySegment logits = arena.allocate(2L * vocab * 4, 64);
            model.forward(twoPrompts(a, b), logits);
            for (int r = 0; r < 2; r++) {
                int best = 0;
                for (int v = 1; v < vocab; v++) {
                    if (logits.getAtIndex(ValueLayout.JAVA_FLOAT, (long) r * vocab + v)
                            > logits.getAtIndex(ValueLayout.JAVA_FLOAT, (long) r * vocab + best)) {
                        best = v;
                    }
                }
                assertEquals(best, tokens[r], "row " + r + ": host argmax of the logits");
            }
        }
    }

    /** Both prompts prefilled in one step, each in its own run of slots, one logit row each. */
    private static ModelStep twoPrompts(int[] a, int[] b) {
        int rows = a.length + b.length;
        int[] ids = new int[rows];
        System.arraycopy(a, 0, ids, 0, a.length);
        System.arraycopy(b, 0, ids, a.length, b.length);
        int[] slots = new int[rows];
        for (int i = 0; i < rows; i++) slots[i] = 1 + i;
        AttentionBatch batch = new AttentionBatch(new int[] {0, a.length}, new int[] {a.length, b.length},
                new int[] {a.length, b.length}, new int[] {0, a.length}, slots, slots.clone(), rows);
        return new ModelStep(ids, batch, new int[] {a.length - 1, rows - 1});
    }
}
