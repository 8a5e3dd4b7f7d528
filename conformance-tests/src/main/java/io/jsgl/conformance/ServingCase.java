package io.jsgl.conformance;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One serving-level case: the engine's runtime (scheduler, radix prefix cache, paged KV pool,
 * chunked prefill, continuous batching) on the backend under test, which is compared with itself
 * under two schedules that must not change the result. It runs on the first fixture model the
 * backend supports, in the order of {@link #PREFERRED_MODELS} and then by name.
 *
 * @param models the fixture models it may run on, in order of preference (empty: no fixtures)
 */
public record ServingCase(String id, String name, String checks, List<ModelCase> models) {

    /** Small dense models first: every serving case runs in seconds on them. */
    public static final List<String> PREFERRED_MODELS = List.of("qwen3", "llama3", "qwen2", "mistral");

    public static final String CHUNKED_PREFILL = "chunked-prefill";
    public static final String PREFIX_CACHE = "prefix-cache";
    public static final String BATCH = "batch";
    public static final String RETRACTION = "retraction";
    public static final String ABORT = "abort";
    public static final String CLOSE = "close";
    public static final String RADIX_STRESS = "radix-stress";

    public ServingCase {
        models = List.copyOf(models);
    }

    /** Every serving case over the fixture models under {@code fixtures} (null: none, so each case is UNSUPPORTED). */
    public static List<ServingCase> all(Path fixtures) {
        List<ModelCase> models = new ArrayList<>(ModelCase.find(fixtures));
        models.sort(Comparator.comparingInt((ModelCase m) -> {
            int i = PREFERRED_MODELS.indexOf(m.name());
            return i < 0 ? PREFERRED_MODELS.size() : i;
        }).thenComparing(ModelCase::name));
        return List.of(
                of(CHUNKED_PREFILL, "prompts prefilled in small chunks give the logits and greedy tokens of one-step "
                        + "prefills", models),
                of(PREFIX_CACHE, "a prompt served from the prefix cache (whole and partial hits, then decode) gives "
                        + "the logits and greedy tokens of a cache miss; cached token counts match the page size", models),
                of(BATCH, "a batch of N (continuous batching: prefills join running decodes) gives the logits of N "
                        + "singles; greedy tokens identical where the backend declares batch invariance", models),
                of(RETRACTION, "a KV pool too small for the batch forces retractions, which lose no token and change "
                        + "no output compared with singles", models),
                of(ABORT, "aborts mid-prefill, mid-decode and while queued finish with ABORT, keep no KV slot, and "
                        + "the engine serves on", models),
                of(CLOSE, "closing the engine with requests decoding, prefilling and queued finishes each one and "
                        + "leaks no KV slot", models),
                of(RADIX_STRESS, "a randomized run (shared prefixes, n>1 samples, chunked prefill, tiny pool, aborts) "
                        + "keeps the KV and radix invariants after every step and leaks nothing", models));
    }

    private static ServingCase of(String name, String checks, List<ModelCase> models) {
        return new ServingCase("serving/" + name, name, checks, models);
    }
}
