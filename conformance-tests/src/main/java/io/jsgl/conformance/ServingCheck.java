package io.jsgl.conformance;

import io.jsgl.engine.Engine;
import io.jsgl.engine.api.EngineConfig;
import io.jsgl.engine.api.EngineHooks;
import io.jsgl.engine.api.EngineUnavailableException;
import io.jsgl.engine.api.FinishReason;
import io.jsgl.engine.api.GenerateRequest;
import io.jsgl.engine.api.RequestListener;
import io.jsgl.engine.api.RequestResult;
import io.jsgl.engine.api.SchedulePolicy;
import io.jsgl.engine.api.SequenceResult;
import io.jsgl.engine.sampling.SamplingParams;
import io.jsgl.spi.Backend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.function.UnaryOperator;

/**
 * The serving cases ({@link ServingCase}): the engine's runtime on the backend under test,
 * compared with itself. Every engine runs with the invariant hook on, so the KV slot accounting
 * and the prefix tree are checked after every step (a violation fails the engine and the case),
 * and every engine must end with no leaked KV slot.
 *
 * <p>Logits are compared per prompt, row by row up to the first greedy token where the two runs
 * differ (after it their contexts differ), within the backend's model tolerance. A divergence is a
 * failure when the backend declares batch invariance; otherwise it is reported (token agreement
 * and the logit margin at the divergence), since logits within the tolerance make it a near tie.
 */
final class ServingCheck {
    static final long TIMEOUT_SECONDS = 120;
    static final int CONTEXT = 1024;
    static final int POOL = 4096;

    /**
     * What a case runs on: the backend (owned by the caller), the fixture model, the logit bound,
     * whether greedy tokens must be identical, and the KV page size and vocabulary the engine reported.
     */
    record Setup(Backend backend, Path model, String modelName, Tolerance tol, boolean batchInvariant, int page,
                 int vocab) {}

    /** The metrics of every compared logit row (null when the case compares none), the first failure, notes. */
    record Result(Metrics logits, Optional<String> failure, List<String> notes, String shape) {}

    /** A check that failed: ends the case with this message. */
    static final class Failed extends RuntimeException {
        Failed(String message) {
            super(message);
        }
    }

    private final Setup s;
    private final List<float[]> wantRows = new ArrayList<>();
    private final List<float[]> gotRows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> divergences = new ArrayList<>();
    private String failure;
    private String shape = "";
    private int comparisons;
    private int agreeing;

    ServingCheck(Setup s) {
        this.s = s;
    }

    static Result run(String name, Setup setup) {
        ServingCheck c = new ServingCheck(setup);
        try {
            switch (name) {
                case ServingCase.CHUNKED_PREFILL -> c.chunkedPrefill();
                case ServingCase.PREFIX_CACHE -> c.prefixCache();
                case ServingCase.BATCH -> c.batch();
                case ServingCase.RETRACTION -> c.retraction();
                case ServingCase.ABORT -> c.abort();
                case ServingCase.CLOSE -> c.close();
                case ServingCase.RADIX_STRESS -> c.radixStress();
                default -> throw new IllegalArgumentException("no serving case named " + name);
            }
        } catch (Failed f) {
            c.fail(f.getMessage());
        }
        return c.result();
    }

    // ---------------------------------------------------------------- the cases

    private void chunkedPrefill() {
        int chunk = s.page() <= 8 ? 7 : 3 * s.page() / 4 - 1;
        Random r = new Random(11);
        List<int[]> prompts = List.of(prompt(r, chunk - 2), prompt(r, chunk + 1), prompt(r, 3 * chunk + 2),
                prompt(r, 5 * chunk + 3));
        int maxNew = 6;
        shape = model() + ": " + prompts.size() + " prompts of " + lengths(prompts) + " tokens, prefilled in chunks of "
                + chunk + " vs in one step, " + maxNew + " greedy tokens each (prefix cache off)";
        Probe full = new Probe(true);
        List<Run> whole;
        try (Engine e = open(full, b -> b.disableRadixCache(true).maxRunningRequests(1).chunkedPrefillSize(2048))) {
            whole = generate(e, full, "full", prompts, maxNew);
            done(e, full, "the one-step prefill engine");
        }
        Probe chunked = new Probe(true);
        List<Run> parts;
        try (Engine e = open(chunked, b -> b.disableRadixCache(true).maxRunningRequests(1).chunkedPrefillSize(chunk))) {
            parts = generate(e, chunked, "chunked", prompts, maxNew);
            done(e, chunked, "the chunked prefill engine");
        }
        require(chunked.steps() > full.steps(), "the chunked engine ran " + chunked.steps() + " steps, the one-step engine "
                + full.steps() + ": the prompts were not split into chunks");
        for (int i = 0; i < prompts.size(); i++) {
            compare("prompt " + i + " (" + prompts.get(i).length + " tokens)", whole.get(i), parts.get(i), true);
        }
    }

    private void prefixCache() {
        int page = s.page();
        int length = Math.max(40, 2 * page + page / 2 + 3);
        int shared = Math.max(24, page + page / 2);
        int tail = Math.max(10, page);
        Random r = new Random(13);
        int[] a = prompt(r, length);
        int[] b = Arrays.copyOf(a, shared + tail);
        System.arraycopy(prompt(r, tail), 0, b, shared, tail);
        if (b[shared] == a[shared]) b[shared] = a[shared] == 3 ? 4 : 3;
        int maxNew = 8;
        int wantHit = (length - 1) / page * page;
        int wantPartial = shared / page * page;
        shape = model() + ": a " + length + "-token prompt twice (miss, then hit), a " + b.length + "-token prompt sharing "
                + shared + " tokens with it (partial hit) vs a cold engine, " + maxNew + " greedy tokens each";
        Probe warm = new Probe(true);
        Run miss;
        Run hit;
        Run partial;
        try (Engine e = open(warm, x -> x.maxRunningRequests(1))) {
            miss = generate(e, warm, "miss", List.of(a), maxNew).getFirst();
            hit = generate(e, warm, "hit", List.of(a), maxNew).getFirst();
            partial = generate(e, warm, "partial", List.of(b), maxNew).getFirst();
            done(e, warm, "the engine with the prefix cache");
        }
        require(miss.cached() == 0, "the first request reused " + miss.cached() + " cached tokens from an empty cache");
        require(hit.cached() == wantHit, "the repeated " + length + "-token prompt reused " + hit.cached()
                + " cached tokens; with KV pages of " + page + " it should reuse " + wantHit);
        require(partial.cached() == wantPartial, "the prompt sharing " + shared + " tokens reused " + partial.cached()
                + " cached tokens; with KV pages of " + page + " it should reuse " + wantPartial);
        Probe cold = new Probe(true);
        Run coldB;
        try (Engine e = open(cold, x -> x.maxRunningRequests(1).disableRadixCache(true))) {
            coldB = generate(e, cold, "cold", List.of(b), maxNew).getFirst();
            done(e, cold, "the engine without the prefix cache");
        }
        require(coldB.cached() == 0, "the engine without a prefix cache reported " + coldB.cached() + " cached tokens");
        notes.add("cached tokens: whole hit " + hit.cached() + ", partial hit " + partial.cached() + " (KV page " + page + ")");
        compare("whole prompt, hit vs miss", miss, hit, true);
        compare("shared prefix, partial hit vs cold miss", coldB, partial, true);
    }

    private void batch() {
        int n = 8;
        int maxNew = 10;
        Random r = new Random(17);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < n; i++) prompts.add(prompt(r, 5 + r.nextInt(36 + s.page() / 2)));
        shape = model() + ": " + n + " prompts of " + lengths(prompts) + " tokens as singles vs one batch (the second "
                + "half joins while the first decodes), " + maxNew + " greedy tokens each (prefix cache off)";
        Probe single = new Probe(true);
        List<Run> singles;
        try (Engine e = open(single, x -> x.disableRadixCache(true).maxRunningRequests(1))) {
            singles = generate(e, single, "single", prompts, maxNew);
            done(e, single, "the engine running one request at a time");
        }
        Probe batched = new Probe(true);
        List<Run> together = new ArrayList<>();
        try (Engine e = open(batched, x -> x.disableRadixCache(true).maxRunningRequests(n))) {
            // the scheduler waits, once the first half is decoding, until the second half is queued
            CountDownLatch firstHalfDecoding = new CountDownLatch(n / 2);
            CountDownLatch secondHalfQueued = new CountDownLatch(1);
            batched.onFirstRow = rid -> {
                firstHalfDecoding.countDown();
                if (firstHalfDecoding.getCount() == 0) awaitQuietly(secondHalfQueued, TIMEOUT_SECONDS);
            };
            List<CompletableFuture<RequestResult>> futures = new ArrayList<>();
            for (int i = 0; i < n / 2; i++) futures.add(submit(e, "batch-" + i, prompts.get(i), greedy(maxNew)));
            require(awaitQuietly(firstHalfDecoding, TIMEOUT_SECONDS), "the first half of the batch did not start "
                    + "decoding within " + TIMEOUT_SECONDS + " s");
            batched.onFirstRow = rid -> { };
            for (int i = n / 2; i < n; i++) futures.add(submit(e, "batch-" + i, prompts.get(i), greedy(maxNew)));
            secondHalfQueued.countDown();
            for (int i = 0; i < n; i++) {
                together.add(run(batched, "batch-" + i, prompts.get(i), await("batch-" + i, futures.get(i))));
            }
            done(e, batched, "the batching engine");
        }
        require(batched.steps() < single.steps(), "the batching engine ran " + batched.steps() + " steps, the singles "
                + single.steps() + ": the requests were not batched");
        for (int i = 0; i < n; i++) compare("prompt " + i, singles.get(i), together.get(i), true);
    }

    private void retraction() {
        int page = s.page();
        int count = page == 1 ? 10 : 6;
        int lo = page == 1 ? 5 : Math.max(5, page - 10);
        int hi = page == 1 ? 34 : Math.max(lo + 1, page - 3);
        int maxNew = 20;
        int pool = Math.max(80, 6 * page);
        int chunk = Math.max(16, page / 2);
        Random r = new Random(19);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < count; i++) prompts.add(prompt(r, lo + r.nextInt(hi - lo + 1)));
        shape = model() + ": " + count + " prompts of " + lengths(prompts) + " tokens, " + maxNew + " greedy tokens each, "
                + "batched in a KV pool of " + pool + " tokens (pages of " + page + ", chunks of " + chunk + ") vs singles";
        Probe single = new Probe(true);
        List<Run> singles;
        try (Engine e = open(single, x -> x.maxRunningRequests(1))) {
            singles = generate(e, single, "single", prompts, maxNew);
            done(e, single, "the engine running one request at a time");
        }
        Probe tiny = new Probe(true);
        List<Run> squeezed;
        long retracted;
        try (Engine e = open(tiny, x -> x.maxTotalTokens(pool).maxRunningRequests(count).chunkedPrefillSize(chunk))) {
            squeezed = generate(e, tiny, "tiny", prompts, maxNew);
            retracted = e.stats().retractedTotal();
            done(e, tiny, "the tiny-pool engine");
        }
        require(retracted > 0, "the " + pool + "-token pool forced no retraction, so this case tested nothing");
        notes.add(retracted + " retractions");
        for (int i = 0; i < count; i++) compare("prompt " + i, singles.get(i), squeezed.get(i), true);
    }

    private void abort() {
        int page = s.page();
        Random r = new Random(23);
        int[] longPrompt = prompt(r, Math.max(30, 2 * page + 6));
        int[] shortPrompt = prompt(r, 10);
        int[] queuedPrompt = prompt(r, 12);
        int chunk = 4;
        shape = model() + ": a " + longPrompt.length + "-token prompt aborted after 2 prefill chunks of " + chunk
                + ", a decode aborted after 3 tokens with a request queued behind it, then a request served";
        Probe p = new Probe(true);
        try (Engine e = open(p, x -> x.maxRunningRequests(1).chunkedPrefillSize(chunk).schedulePolicy(SchedulePolicy.FCFS))) {
            long base = p.steps();
            p.onStep = step -> {
                if (step == base + 2) e.abort("abort-prefill");
            };
            SequenceResult pre = await("abort-prefill", submit(e, "abort-prefill", longPrompt, greedy(50)))
                    .sequences().getFirst();
            p.onStep = step -> { };
            long ran = p.steps() - base;
            require(pre.finishReason() == FinishReason.ABORT, "the request aborted mid-prefill finished with "
                    + pre.finishReason());
            require(pre.tokenIds().length == 0 && p.rowCount("abort-prefill") == 0, "the request aborted mid-prefill "
                    + "produced " + pre.tokenIds().length + " tokens");
            require(ran >= 2 && (long) ran * chunk < longPrompt.length, "the abort was meant to land mid-prefill, but "
                    + ran + " steps of " + chunk + " tokens ran for a " + longPrompt.length + "-token prompt");
            require(e.leakedSlots() == 0, "after the abort mid-prefill " + e.leakedSlots() + " KV slots leaked");

            p.onStep = step -> {
                if (p.rowCount("abort-decode") >= 3) {
                    e.abort("abort-decode");
                    e.abort("abort-queued");
                }
            };
            var decoding = submit(e, "abort-decode", shortPrompt, greedy(200));
            var queued = submit(e, "abort-queued", queuedPrompt, greedy(5));
            Run dec = run(p, "abort-decode", shortPrompt, await("abort-decode", decoding));
            SequenceResult que = await("abort-queued", queued).sequences().getFirst();
            p.onStep = step -> { };
            require(dec.finish() == FinishReason.ABORT && dec.tokens().length >= 3 && dec.tokens().length < 200,
                    "the request aborted mid-decode finished with " + dec.finish() + " after " + dec.tokens().length
                            + " tokens (expected ABORT after 3 or 4)");
            require(que.finishReason() == FinishReason.ABORT && que.tokenIds().length == 0, "the request aborted while "
                    + "queued finished with " + que.finishReason() + " after " + que.tokenIds().length + " tokens");
            require(e.leakedSlots() == 0, "after the aborts mid-decode and while queued " + e.leakedSlots()
                    + " KV slots leaked");

            Run after = generate(e, p, "after-abort", List.of(shortPrompt), 6).getFirst();
            require(after.finish() == FinishReason.LENGTH && after.tokens().length == 6, "the request after the aborts "
                    + "finished with " + after.finish() + " after " + after.tokens().length + " of 6 tokens");
            compare("the aborted decode's tokens vs the same prompt served after it", dec, after, false);
            require(e.stats().abortedTotal() == 3, "the engine counted " + e.stats().abortedTotal() + " aborts, not 3");
            require(e.flushCache(), "the engine refused to flush its prefix cache with no request live");
            int used = e.stats().usedTokens();
            require(used == 0, "after the aborts and a cache flush " + used + " KV slots are still in use");
            done(e, p, "the engine");
        }
    }

    private void close() {
        int page = s.page();
        Random r = new Random(29);
        int[] decodePrompt = prompt(r, 8);
        int[] prefillPrompt = prompt(r, Math.max(200, 3 * page));
        int chunk = 16;
        shape = model() + ": close() with one request decoding, a " + prefillPrompt.length + "-token prompt mid-prefill "
                + "(chunks of " + chunk + ") and two queued";
        Probe p = new Probe(false);
        CountDownLatch decoding = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        Engine e = open(p, x -> x.maxRunningRequests(2).chunkedPrefillSize(chunk).schedulePolicy(SchedulePolicy.FCFS));
        try {
            // once the decode has 2 tokens the scheduler pauses briefly, so close() lands with the prefill unfinished
            p.onStep = step -> {
                if (decoding.getCount() > 0 && p.rowCount("close-decode") >= 2) {
                    decoding.countDown();
                    awaitQuietly(never, 0.1);
                }
            };
            Map<String, CompletableFuture<RequestResult>> futures = new java.util.LinkedHashMap<>();
            futures.put("close-decode", submit(e, "close-decode", decodePrompt, greedy(400)));
            futures.put("close-prefill", submit(e, "close-prefill", prefillPrompt, greedy(8)));
            futures.put("close-queued-1", submit(e, "close-queued-1", prompt(r, 10), greedy(5)));
            futures.put("close-queued-2", submit(e, "close-queued-2", prompt(r, 11), greedy(5)));
            require(awaitQuietly(decoding, TIMEOUT_SECONDS), "the first request did not decode 2 tokens within "
                    + TIMEOUT_SECONDS + " s");
            long closing = System.nanoTime();
            e.close();
            notes.add("close() took " + (System.nanoTime() - closing) / 1_000_000 + " ms after " + p.steps() + " steps");
            for (var f : futures.entrySet()) {
                require(f.getValue().isDone(), "close() returned with request " + f.getKey() + " unfinished");
                SequenceResult seq = await(f.getKey(), f.getValue()).sequences().getFirst();
                int min = f.getKey().equals("close-decode") ? 2 : 0;
                int max = f.getKey().equals("close-decode") ? 399 : 0;
                require(seq.finishReason() == FinishReason.ABORT && seq.tokenIds().length >= min
                                && seq.tokenIds().length <= max,
                        "request " + f.getKey() + " finished with " + seq.finishReason() + " after "
                                + seq.tokenIds().length + " tokens when the engine closed (expected ABORT after "
                                + (min == max ? min : min + " to " + max) + ")");
            }
            require(e.leakedSlots() == 0, "after close " + e.leakedSlots() + " KV slots are held by no one");
            require(e.invariantChecks() >= p.steps() && p.steps() > 0, "the invariants were checked after "
                    + e.invariantChecks() + " of " + p.steps() + " steps");
            try {
                e.submit(GenerateRequest.ofIds(decodePrompt, greedy(1)));
                throw new Failed("a closed engine accepted a request");
            } catch (EngineUnavailableException expected) {
                // refused, as it should be
            }
        } finally {
            e.close();
        }
    }

    private void radixStress() {
        int page = s.page();
        int prefixLen = Math.max(24, page + 8);
        int maxNewMax = 32;
        int maxSeq = prefixLen + 20 + maxNewMax;
        // room for two of the longest sequences and a page: running six at once forces evictions and retractions
        int pool = (2 * Math.ceilDiv(maxSeq, page) + 1) * page;
        int chunk = Math.max(16, page / 2);
        int count = 40;
        Random r = new Random(31);
        int[][] prefixes = {prompt(r, prefixLen), prompt(r, prefixLen), prompt(r, prefixLen)};
        List<int[]> prompts = new ArrayList<>();
        List<SamplingParams> params = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] p;
            if (i % 10 == 9) {
                p = prompts.get(i - 1); // an exact repeat
            } else {
                int[] prefix = r.nextInt(4) < 3 ? prefixes[r.nextInt(3)] : new int[0];
                int[] tail = prompt(r, 1 + r.nextInt(20));
                p = Arrays.copyOf(prefix, prefix.length + tail.length);
                System.arraycopy(tail, 0, p, prefix.length, tail.length);
            }
            prompts.add(p);
            int maxNew = 1 + r.nextInt(maxNewMax);
            params.add(r.nextInt(10) < 3
                    ? SamplingParams.builder().temperature(0.8f).seed(r.nextLong()).n(2).maxNewTokens(maxNew)
                            .ignoreEos(true).build()
                    : greedy(maxNew));
        }
        Map<Long, List<String>> abortAt = new HashMap<>();
        for (int k = 0; k < 6; k++) {
            abortAt.computeIfAbsent(1L + r.nextInt(60), x -> new ArrayList<>()).add("stress-" + r.nextInt(count));
        }
        shape = model() + ": " + count + " requests (3 shared " + prefixLen + "-token prefixes, repeats, n=2 samples, "
                + "1-" + maxNewMax + " new tokens, 6 aborts) in two waves, a " + pool + "-token pool, chunks of " + chunk
                + ", 6 running at most";
        Probe p = new Probe(false);
        try (Engine e = open(p, x -> x.maxTotalTokens(pool).maxRunningRequests(6).chunkedPrefillSize(chunk))) {
            CountDownLatch firstWaveRunning = new CountDownLatch(1);
            CountDownLatch secondWaveQueued = new CountDownLatch(1);
            p.onStep = step -> {
                for (String rid : abortAt.getOrDefault(step, List.of())) e.abort(rid);
                if (step == 5) {
                    firstWaveRunning.countDown();
                    awaitQuietly(secondWaveQueued, TIMEOUT_SECONDS);
                }
            };
            List<CompletableFuture<RequestResult>> futures = new ArrayList<>();
            for (int i = 0; i < count / 2; i++) futures.add(submit(e, "stress-" + i, prompts.get(i), params.get(i)));
            require(awaitQuietly(firstWaveRunning, TIMEOUT_SECONDS), "the first wave did not run 5 steps within "
                    + TIMEOUT_SECONDS + " s");
            for (int i = count / 2; i < count; i++) futures.add(submit(e, "stress-" + i, prompts.get(i), params.get(i)));
            secondWaveQueued.countDown();
            int aborted = 0;
            for (int i = 0; i < count; i++) {
                String rid = "stress-" + i;
                RequestResult res = await(rid, futures.get(i));
                require(res.sequences().size() == params.get(i).n(), rid + " returned " + res.sequences().size()
                        + " sequences for n=" + params.get(i).n());
                boolean wasAborted = res.sequences().stream().anyMatch(q -> q.finishReason() == FinishReason.ABORT);
                if (wasAborted) aborted++;
                for (SequenceResult q : res.sequences()) {
                    int want = params.get(i).maxNewTokens();
                    require(wasAborted ? q.tokenIds().length <= want
                                    : q.finishReason() == FinishReason.LENGTH && q.tokenIds().length == want,
                            rid + " sequence " + q.index() + " finished with " + q.finishReason() + " after "
                                    + q.tokenIds().length + " of " + want + " tokens");
                }
            }
            var stats = e.stats();
            require(stats.cachedTokensTotal() > 0, "no request reused a cached prefix, so the radix tree was not exercised");
            notes.add(p.steps() + " steps, each invariant-checked; " + stats.retractedTotal() + " retractions, "
                    + stats.cachedTokensTotal() + " cached prompt tokens reused, " + aborted + " requests aborted");
            require(e.flushCache(), "the engine refused to flush its prefix cache with no request live");
            require(e.stats().usedTokens() == 0, "after the run and a cache flush " + e.stats().usedTokens()
                    + " KV slots are still in use");
            done(e, p, "the engine");
        }
    }

    // ---------------------------------------------------------------- engines and requests

    /** Records what the scheduler hands the hooks; always checks the invariants. */
    static final class Probe implements EngineHooks {
        private final boolean keepLogits;
        private final Map<String, TreeMap<Integer, float[]>> rows = new ConcurrentHashMap<>();
        private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        private final AtomicLong steps = new AtomicLong();
        volatile LongConsumer onStep = step -> { };
        volatile java.util.function.Consumer<String> onFirstRow = rid -> { };

        Probe(boolean keepLogits) {
            this.keepLogits = keepLogits;
        }

        @Override
        public boolean checkInvariants() {
            return true;
        }

        @Override
        public void onLogits(String rid, int sequence, int position, float[] logits) {
            String key = sequence == 0 ? rid : rid + "#" + sequence;
            boolean first = counts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet() == 1;
            if (keepLogits) {
                var m = rows.computeIfAbsent(key, k -> new TreeMap<>());
                synchronized (m) {
                    m.put(position, logits.clone());
                }
            }
            if (first) onFirstRow.accept(rid);
        }

        @Override
        public void afterStep(long step) {
            steps.set(step);
            onStep.accept(step);
        }

        long steps() {
            return steps.get();
        }

        int rowCount(String rid) {
            AtomicInteger c = counts.get(rid);
            return c == null ? 0 : c.get();
        }

        /** The logit rows of tokens {@code [from, from + n)} of a request's first sequence (null where none came). */
        List<float[]> rows(String rid, int from, int n) {
            var m = rows.getOrDefault(rid, new TreeMap<>());
            List<float[]> out = new ArrayList<>();
            synchronized (m) {
                for (int i = 0; i < n; i++) out.add(m.get(from + i));
            }
            return out;
        }
    }

    /** One greedy request's outcome with the logits each of its tokens was chosen from. */
    record Run(String rid, int[] prompt, int[] tokens, FinishReason finish, int cached, List<float[]> logits) {}

    private Engine open(Probe probe, UnaryOperator<EngineConfig.Builder> settings) {
        EngineConfig.Builder b = EngineConfig.builder(s.model()).contextLength(CONTEXT).maxTotalTokens(POOL);
        return Engine.open(settings.apply(b).build(), s.backend(), probe);
    }

    /** An engine's closing checks: nothing leaked and every step invariant-checked. */
    private void done(Engine e, Probe p, String which) {
        require(e.leakedSlots() == 0, which + " leaked " + e.leakedSlots() + " KV slots");
        require(p.steps() > 0 && e.invariantChecks() >= p.steps(), which + " checked its invariants after "
                + e.invariantChecks() + " of " + p.steps() + " steps");
    }

    static SamplingParams greedy(int maxNew) {
        return SamplingParams.builder().temperature(0).maxNewTokens(maxNew).ignoreEos(true).build();
    }

    private int[] prompt(Random r, int length) {
        return r.ints(length, Math.min(3, s.vocab() - 1), s.vocab()).toArray();
    }

    private static CompletableFuture<RequestResult> submit(Engine e, String rid, int[] prompt, SamplingParams p) {
        var future = new CompletableFuture<RequestResult>();
        e.submit(new GenerateRequest(rid, null, prompt, p, ""), new RequestListener() {
            @Override
            public void onFinish(RequestResult result) {
                future.complete(result);
            }

            @Override
            public void onError(String id, RuntimeException error) {
                future.completeExceptionally(error);
            }
        });
        return future;
    }

    private static RequestResult await(String rid, CompletableFuture<RequestResult> f) {
        try {
            return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new Failed("request " + rid + " failed: " + e.getCause());
        } catch (TimeoutException e) {
            throw new Failed("request " + rid + " did not finish within " + TIMEOUT_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failed("interrupted waiting for request " + rid);
        }
    }

    private static boolean awaitQuietly(CountDownLatch latch, double seconds) {
        try {
            return latch.await((long) (seconds * 1000), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private List<Run> generate(Engine e, Probe p, String tag, List<int[]> prompts, int maxNew) {
        List<CompletableFuture<RequestResult>> futures = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) futures.add(submit(e, tag + "-" + i, prompts.get(i), greedy(maxNew)));
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            String rid = tag + "-" + i;
            Run run = run(p, rid, prompts.get(i), await(rid, futures.get(i)));
            require(run.finish() == FinishReason.LENGTH && run.tokens().length == maxNew, "request " + rid + " ("
                    + prompts.get(i).length + "-token prompt) finished with " + run.finish() + " after "
                    + run.tokens().length + " of " + maxNew + " tokens");
            runs.add(run);
        }
        return runs;
    }

    private static Run run(Probe p, String rid, int[] prompt, RequestResult r) {
        SequenceResult seq = r.sequences().getFirst();
        return new Run(rid, prompt, seq.tokenIds(), seq.finishReason(), r.cachedTokens(),
                p.rows(rid, prompt.length, seq.tokenIds().length));
    }

    // ---------------------------------------------------------------- verdicts

    /**
     * Compares run {@code b} with the baseline {@code a}: logits row by row up to and including the
     * first token where the greedy choices differ, within the tolerance; a divergence fails when the
     * backend declares batch invariance. With {@code sameLength} the runs must have the same tokens
     * count; otherwise only the shorter run's tokens are compared.
     */
    void compare(String what, Run a, Run b, boolean sameLength) {
        int n = Math.min(a.tokens().length, b.tokens().length);
        List<float[]> wa = new ArrayList<>();
        List<float[]> wb = new ArrayList<>();
        int diverged = -1;
        for (int i = 0; i < n; i++) {
            float[] ra = a.logits().get(i);
            float[] rb = b.logits().get(i);
            if (ra == null || rb == null) {
                fail(what + ": no logits were recorded for token " + i + " of " + (ra == null ? a.rid() : b.rid()));
                return;
            }
            wa.add(ra);
            wb.add(rb);
            if (a.tokens()[i] != b.tokens()[i]) {
                diverged = i;
                break;
            }
        }
        comparisons++;
        if (!wa.isEmpty()) {
            float[] want = ModelCheck.concat(wa);
            float[] got = ModelCheck.concat(wb);
            wantRows.add(want);
            gotRows.add(got);
            s.tol().violation(Metrics.compare(want, got)).ifPresent(v -> fail(what + ": logits " + v));
        }
        if (diverged >= 0) {
            float[] row = a.logits().get(diverged);
            double margin = row[a.tokens()[diverged]] - row[b.tokens()[diverged]];
            String at = what + ": greedy tokens diverge at token " + diverged + " (" + a.tokens()[diverged] + " vs "
                    + b.tokens()[diverged] + ", logit margin " + String.format("%.3g", margin) + ")";
            if (s.batchInvariant()) {
                fail(at + "; the backend declares batch invariance, so greedy tokens must be identical");
            } else {
                divergences.add(at);
            }
        } else if (sameLength && a.tokens().length != b.tokens().length) {
            fail(what + ": " + a.tokens().length + " vs " + b.tokens().length + " tokens");
        } else {
            agreeing++;
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new Failed(message);
    }

    private void fail(String message) {
        if (failure == null) failure = message;
    }

    Result result() {
        List<String> out = new ArrayList<>();
        if (comparisons > 0) {
            out.add("greedy tokens identical in " + agreeing + " of " + comparisons + " comparisons"
                    + (s.batchInvariant() ? " (required: the backend declares batch invariance)"
                    : " (batch invariance not declared: logits compared within the bound, divergences reported)"));
        }
        out.addAll(divergences);
        out.addAll(notes);
        Metrics m = wantRows.isEmpty() ? null
                : Metrics.compare(ModelCheck.concat(wantRows), ModelCheck.concat(gotRows));
        return new Result(m, Optional.ofNullable(failure), out, shape);
    }

    private String model() {
        return s.modelName() + " (KV page " + s.page() + ")";
    }

    private static String lengths(List<int[]> prompts) {
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (int[] p : prompts) {
            min = Math.min(min, p.length);
            max = Math.max(max, p.length);
        }
        return min == max ? String.valueOf(min) : min + "-" + max;
    }
}
