package io.jsgl.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsgl.engine.Engine;
import io.jsgl.engine.api.EngineConfig;
import io.jsgl.engine.api.EngineHooks;
import io.jsgl.engine.api.FinishReason;
import io.jsgl.engine.api.GenerateRequest;
import io.jsgl.engine.api.RequestListener;
import io.jsgl.engine.api.RequestResult;
import io.jsgl.engine.api.TokenEvent;
import io.jsgl.engine.model.Fixtures;
import io.jsgl.engine.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Serving-level behaviour on the reference backend with a tiny fixture model: batching, chunked
 * prefill, prefix reuse, retraction and abort change no greedy output and leak no KV slot. Every
 * engine checks its KV and radix invariants after every step. These are the engine's fast unit
 * tests; the conformance kit's serving group ({@code io.jsgl.conformance.ServingCase}) runs the
 * same properties, with logits, on every backend.
 */
class EngineRuntimeTest {
    static final int VOCAB = 512;
    static int[][] prompts;
    /** Per engine, unlike -Djsgl.checkInvariants, which is read once per JVM. */
    static final EngineHooks CHECKED = new EngineHooks() {
        @Override
        public boolean checkInvariants() {
            return true;
        }

        @Override
        public boolean wantsLogits() {
            return false; // greedy steps pick their tokens on the (reference) backend
        }
    };
    /** {@link #CHECKED} that also reads every sampled row's logits, so tokens are picked on the host. */
    static final EngineHooks CHECKED_HOST_SAMPLING = new EngineHooks() {
        @Override
        public boolean checkInvariants() {
            return true;
        }
    };

    @BeforeAll
    static void prompts() {
        Random r = new Random(7);
        prompts = new int[10][];
        int[] shared = r.ints(24, 3, VOCAB).toArray();
        for (int i = 0; i < prompts.length; i++) {
            int len = 5 + r.nextInt(30);
            int[] p = r.ints(len, 3, VOCAB).toArray();
            if (i % 3 == 0) System.arraycopy(shared, 0, p, 0, Math.min(len, shared.length));
            prompts[i] = p;
        }
    }

    static Engine engine(EngineConfig.Builder b) {
        return Engine.open(b.backend("reference").build(), CHECKED);
    }

    static EngineConfig.Builder config() {
        return EngineConfig.builder(Fixtures.models().resolve("qwen3")).maxTotalTokens(2048).contextLength(256);
    }

    static SamplingParams greedy(int n) {
        return SamplingParams.builder().temperature(0).maxNewTokens(n).ignoreEos(true).build();
    }

    static List<int[]> singles(int maxNew) {
        List<int[]> out = new ArrayList<>();
        try (Engine e = engine(config().maxRunningRequests(1))) {
            for (int[] p : prompts) out.add(e.submit(GenerateRequest.ofIds(p, greedy(maxNew))).join().sequences().getFirst().tokenIds());
            assertEquals(0, e.leakedSlots());
        }
        return out;
    }

    static List<int[]> batched(Engine e, int maxNew) {
        var results = e.generate(java.util.Arrays.stream(prompts).map(p -> GenerateRequest.ofIds(p, greedy(maxNew))).toList());
        return results.stream().map(r -> r.sequences().getFirst().tokenIds()).toList();
    }

    @Test
    void batchOfNEqualsNSinglesAndChunkedPrefillChangesNothing() {
        List<int[]> expected = singles(12);
        try (Engine e = engine(config().chunkedPrefillSize(7).maxRunningRequests(8))) {
            List<int[]> got = batched(e, 12);
            for (int i = 0; i < prompts.length; i++) assertArrayEquals(expected.get(i), got.get(i), "prompt " + i);
            assertEquals(0, e.leakedSlots());
            assertTrue(e.invariantChecks() > 0, "the invariants were never checked");
        }
    }

    @Test
    void greedyTokensPickedOnTheBackendEqualHostSampling() {
        List<int[]> host;
        try (Engine e = Engine.open(config().maxRunningRequests(8).backend("reference").build(), CHECKED_HOST_SAMPLING)) {
            host = batched(e, 12);
            assertEquals(0, e.stepsSampledOnBackend());
        }
        try (Engine e = engine(config().maxRunningRequests(8))) {
            List<int[]> got = batched(e, 12);
            for (int i = 0; i < prompts.length; i++) assertArrayEquals(host.get(i), got.get(i), "prompt " + i);
            assertTrue(e.stepsSampledOnBackend() > 0, "no step sampled on the backend");
            // a sampled request in the batch sends its steps back to host sampling; the greedy one is unchanged
            long before = e.stepsSampledOnBackend();
            var sampled = e.submit(GenerateRequest.ofIds(prompts[1], SamplingParams.builder().temperature(0.8f).seed(3L)
                    .maxNewTokens(30).ignoreEos(true).build()));
            var greedy = e.submit(GenerateRequest.ofIds(prompts[0], greedy(12)));
            assertArrayEquals(host.get(0), greedy.join().sequences().getFirst().tokenIds());
            assertEquals(30, sampled.join().sequences().getFirst().tokenIds().length);
            assertTrue(e.stepsSampledOnBackend() - before < 12, "steps with the sampled request sampled on the backend");
            assertEquals(0, e.leakedSlots());
        }
    }

    @Test
    void aFailingHookFailsTheEngineAndEveryLiveRequestHearsOfIt() {
        EngineHooks failing = new EngineHooks() {
            @Override
            public void afterStep(long step) {
                if (step == 2) throw new IllegalStateException("hook failure at step 2");
            }
        };
        try (Engine e = Engine.open(config().maxRunningRequests(2).backend("reference").build(), failing)) {
            var a = e.submit(GenerateRequest.ofIds(prompts[0], greedy(20)));
            var b = e.submit(GenerateRequest.ofIds(prompts[1], greedy(20)));
            for (var f : List.of(a, b)) {
                var ex = assertThrows(java.util.concurrent.CompletionException.class, f::join);
                assertTrue(ex.getCause().getMessage().contains("hook failure at step 2"), ex.getCause().toString());
            }
            assertThrows(io.jsgl.engine.api.EngineUnavailableException.class,
                    () -> e.submit(GenerateRequest.ofIds(prompts[2], greedy(2))));
        }
    }

    @Test
    void prefixHitEqualsMiss() {
        try (Engine e = engine(config())) {
            int[] p = prompts[0];
            RequestResult miss = e.submit(GenerateRequest.ofIds(p, greedy(10))).join();
            RequestResult hit = e.submit(GenerateRequest.ofIds(p, greedy(10))).join();
            assertEquals(0, miss.cachedTokens());
            assertEquals(p.length - 1, hit.cachedTokens());
            assertArrayEquals(miss.sequences().getFirst().tokenIds(), hit.sequences().getFirst().tokenIds());
            try (Engine cold = engine(config().disableRadixCache(true))) {
                cold.submit(GenerateRequest.ofIds(p, greedy(10))).join();
                assertEquals(0, cold.submit(GenerateRequest.ofIds(p, greedy(10))).join().cachedTokens());
                assertEquals(0, cold.leakedSlots());
            }
        }
    }

    @Test
    void retractionUnderATinyPoolLosesNothing() {
        List<int[]> expected = singles(20);
        try (Engine e = engine(config().maxTotalTokens(80).maxRunningRequests(10).chunkedPrefillSize(16))) {
            List<int[]> got = batched(e, 20);
            for (int i = 0; i < prompts.length; i++) assertArrayEquals(expected.get(i), got.get(i), "prompt " + i);
            assertEquals(0, e.leakedSlots());
            assertTrue(e.stats().retractedTotal() > 0, "the pool was meant to force retractions");
        }
    }

    @Test
    void nSamplesShareThePromptAndSeedsReproduce() {
        try (Engine e = engine(config())) {
            var params = SamplingParams.builder().temperature(0.8f).topP(0.9f).seed(42L).n(3).maxNewTokens(8).ignoreEos(true).build();
            RequestResult a = e.submit(GenerateRequest.ofIds(prompts[1], params)).join();
            RequestResult b = e.submit(GenerateRequest.ofIds(prompts[1], params)).join();
            assertEquals(3, a.sequences().size());
            for (int i = 0; i < 3; i++) assertArrayEquals(a.sequences().get(i).tokenIds(), b.sequences().get(i).tokenIds());
            assertTrue(b.cachedTokens() > 0);
        }
    }

    @Test
    void abortMidPrefillAndMidDecodeFreesSlots() throws Exception {
        try (Engine e = engine(config().chunkedPrefillSize(4))) {
            CountDownLatch decoding = new CountDownLatch(1);
            CompletableFuture<RequestResult> done = new CompletableFuture<>();
            String rid = e.submit(GenerateRequest.ofIds(prompts[2], greedy(200)), new RequestListener() {
                @Override public void onTokens(TokenEvent event) { decoding.countDown(); }
                @Override public void onFinish(RequestResult result) { done.complete(result); }
            });
            assertTrue(decoding.await(30, TimeUnit.SECONDS));
            assertTrue(e.abort(rid));
            assertEquals(FinishReason.ABORT, done.get(30, TimeUnit.SECONDS).sequences().getFirst().finishReason());

            // a 30-token prompt in chunks of 4 is mid-prefill for several steps after submission
            CompletableFuture<RequestResult> prefill = new CompletableFuture<>();
            int[] longPrompt = new Random(3).ints(30, 3, VOCAB).toArray();
            String rid2 = e.submit(GenerateRequest.ofIds(longPrompt, greedy(50)), new RequestListener() {
                @Override public void onFinish(RequestResult result) { prefill.complete(result); }
            });
            assertTrue(e.abort(rid2));
            var aborted = prefill.get(30, TimeUnit.SECONDS).sequences().getFirst();
            assertEquals(FinishReason.ABORT, aborted.finishReason());
            assertEquals(0, aborted.tokenIds().length);
            assertEquals(0, e.leakedSlots());
            assertEquals(2, e.stats().abortedTotal());
        }
    }

    @Test
    void badInputIsRefusedClearly() {
        try (Engine e = engine(config())) {
            var ex = assertThrows(IllegalArgumentException.class, () -> e.submit(GenerateRequest.ofIds(new int[] {1, 9999}, greedy(4))));
            assertTrue(ex.getMessage().contains("9999"));
            assertThrows(IllegalArgumentException.class, () -> e.submit(GenerateRequest.ofIds(new int[300], greedy(4))));
            assertThrows(IllegalArgumentException.class,
                    () -> e.submit(GenerateRequest.ofIds(new int[] {5}, SamplingParams.builder().topP(0).build())));
        }
    }
}
