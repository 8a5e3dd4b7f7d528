package io.jsgl.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsgl.backend.reference.ReferenceBackendProvider;
import io.jsgl.engine.api.FinishReason;
import io.jsgl.engine.backend.BackendCandidate;
import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.Backend;
import io.jsgl.spi.BackendDescriptor;
import io.jsgl.spi.BackendOptions;
import io.jsgl.spi.BackendProvider;
import io.jsgl.spi.DeviceBuffer;
import io.jsgl.spi.KvCache;
import io.jsgl.spi.KvCacheSpec;
import io.jsgl.spi.MemoryInfo;
import io.jsgl.spi.Op;
import io.jsgl.spi.PreparedBatch;
import io.jsgl.spi.ProbeResult;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.op.AddArgs;
import io.jsgl.spi.op.AttentionArgs;
import io.jsgl.spi.op.EmbeddingArgs;
import io.jsgl.spi.op.GatedActivationArgs;
import io.jsgl.spi.op.GatherRowsArgs;
import io.jsgl.spi.op.LinearArgs;
import io.jsgl.spi.op.RmsNormArgs;
import io.jsgl.spi.op.RopeArgs;
import io.jsgl.spi.op.SoftCapArgs;
import java.lang.foreign.MemorySegment;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serving group must catch runtime-level bugs a backend can have while every op case passes
 * one step at a time: a backend that forgets the KV of earlier steps fails chunked prefill and
 * prefix reuse, one whose attention depends on the batch fails batching; the engine mechanics
 * (aborts, close, the stress run) still pass on both. Cases that cannot run are UNSUPPORTED with
 * the reason, and declared batch invariance turns a greedy divergence into a failure.
 */
class ServingSelfTest {

    enum Fault {
        /** Attention sees only the tokens of the current step, never the KV cached by earlier steps. */
        FORGETS_EARLIER_STEPS,
        /** Attention scores are scaled differently when the step holds more than one sequence. */
        BATCH_DEPENDENT,
        /** No fault, but no EMBEDDING op in the descriptor: no fixture model can run. */
        NO_EMBEDDING
    }

    /** The reference backend with one runtime-level fault. */
    static final class Faulty implements Backend {
        private final Backend ref = new ReferenceBackendProvider().create(BackendOptions.defaults());
        private final Fault fault;
        private final BackendDescriptor descriptor;
        private volatile int sequencesInStep;

        Faulty(Fault fault) {
            this.fault = fault;
            BackendDescriptor d = ref.descriptor();
            descriptor = new BackendDescriptor("faulty-" + fault.name().toLowerCase().replace('_', '-'), "0",
                    "the reference with a serving fault", d.spiMin(), d.spiMax(),
                    d.ops().stream().filter(s -> fault != Fault.NO_EMBEDDING || s.op() != Op.EMBEDDING).toList(),
                    List.of());
        }

        @Override public BackendDescriptor descriptor() { return descriptor; }
        @Override public int threads() { return 1; }
        @Override public DeviceBuffer allocate(long bytes) { return ref.allocate(bytes); }
        @Override public void upload(MemorySegment s, DeviceBuffer d, long o) { ref.upload(s, d, o); }
        @Override public void download(DeviceBuffer s, long o, MemorySegment d) { ref.download(s, o, d); }
        @Override public Weight loadWeight(WeightSpec spec) { return ref.loadWeight(spec); }
        @Override public KvCache allocateKvCache(KvCacheSpec spec) { return ref.allocateKvCache(spec); }
        @Override public MemoryInfo memoryInfo() { return ref.memoryInfo(); }
        @Override public void synchronize() { ref.synchronize(); }
        @Override public void argmax(io.jsgl.spi.op.ArgmaxArgs a, int rows) { ref.argmax(a, rows); }
        @Override public void embedding(EmbeddingArgs a, int rows) { ref.embedding(a, rows); }
        @Override public void linear(LinearArgs a, int rows) { ref.linear(a, rows); }
        @Override public void rmsNorm(RmsNormArgs a, int rows) { ref.rmsNorm(a, rows); }
        @Override public void rope(RopeArgs a, int rows) { ref.rope(a, rows); }
        @Override public void gatedActivation(GatedActivationArgs a, int rows) { ref.gatedActivation(a, rows); }
        @Override public void add(AddArgs a, int rows) { ref.add(a, rows); }
        @Override public void gatherRows(GatherRowsArgs a, int rows) { ref.gatherRows(a, rows); }
        @Override public void softCap(SoftCapArgs a, int rows) { ref.softCap(a, rows); }
        @Override public void close() { ref.close(); }

        @Override
        public PreparedBatch prepare(AttentionBatch b) {
            sequencesInStep = b.sequences();
            if (fault != Fault.FORGETS_EARLIER_STEPS) return ref.prepare(b);
            int n = b.sequences();
            int[] kvLen = new int[n];
            int[] slotStart = new int[n];
            for (int s = 0; s < n; s++) {
                kvLen[s] = b.qLen()[s];
                slotStart[s] = b.slotStart()[s] + b.kvLen()[s] - b.qLen()[s];
            }
            return ref.prepare(new AttentionBatch(b.qStart(), b.qLen(), kvLen, slotStart, b.slotTable(), b.newSlots(),
                    b.rows()));
        }

        @Override
        public void attention(AttentionArgs a, PreparedBatch b) {
            if (fault == Fault.BATCH_DEPENDENT && sequencesInStep > 1) {
                a = new AttentionArgs(a.q(), a.k(), a.v(), a.out(), a.cache(), a.layer(), a.heads(), a.kvHeads(),
                        a.headDim(), a.vHeadDim(), a.scale() * 1.25f, a.slidingWindow(), a.softCap());
            }
            ref.attention(a, b);
        }
    }

    static BackendCandidate candidate(Fault fault) {
        BackendProvider p = new BackendProvider() {
            @Override public BackendDescriptor descriptor() { return new Faulty(fault).descriptor(); }
            @Override public ProbeResult probe() { return ProbeResult.available(0, Map.of()); }
            @Override public Backend create(BackendOptions options) { return new Faulty(fault); }
        };
        return new BackendCandidate(p.descriptor().name(), p, p.descriptor(), p.probe(), List.of(), "test");
    }

    static Map<String, CaseResult> run(Fault fault, Path fixtures, Predicate<String> names) {
        Map<String, CaseResult> out = new HashMap<>();
        try (Oracle oracle = new Oracle(); ConformanceSession s = new ConformanceSession(candidate(fault), oracle)) {
            for (ServingCase c : ServingCase.all(fixtures)) {
                if (names.test(c.name())) out.put(c.name(), s.run(c));
            }
        }
        return out;
    }

    static Path fixtures() {
        Path f = FixtureLocator.locate(null);
        assertNotNull(f, "the repository's testdata/ must be found");
        return f;
    }

    @Test
    void aBackendThatForgetsEarlierStepsFailsChunkedPrefillAndPrefixReuse() {
        var r = run(Fault.FORGETS_EARLIER_STEPS, fixtures(), n -> !n.equals(ServingCase.RETRACTION)
                && !n.equals(ServingCase.BATCH));
        assertEquals(Outcome.FAIL, r.get(ServingCase.CHUNKED_PREFILL).outcome(), r.get(ServingCase.CHUNKED_PREFILL).line());
        assertTrue(r.get(ServingCase.CHUNKED_PREFILL).reason().contains("logits"), r.get(ServingCase.CHUNKED_PREFILL).line());
        assertEquals(Outcome.FAIL, r.get(ServingCase.PREFIX_CACHE).outcome(), r.get(ServingCase.PREFIX_CACHE).line());
        for (String mechanics : List.of(ServingCase.CLOSE, ServingCase.RADIX_STRESS)) {
            assertEquals(Outcome.PASS, r.get(mechanics).outcome(), r.get(mechanics).line());
        }
    }

    @Test
    void aBatchDependentBackendFailsBatchingButNotSingleSequenceCases() {
        var r = run(Fault.BATCH_DEPENDENT, fixtures(), n -> n.equals(ServingCase.BATCH)
                || n.equals(ServingCase.CHUNKED_PREFILL) || n.equals(ServingCase.ABORT));
        CaseResult batch = r.get(ServingCase.BATCH);
        assertEquals(Outcome.FAIL, batch.outcome(), batch.line());
        assertNotNull(batch.maxRelError(), "a logit comparison failure reports its metrics");
        assertEquals(Outcome.PASS, r.get(ServingCase.CHUNKED_PREFILL).outcome(), r.get(ServingCase.CHUNKED_PREFILL).line());
        assertEquals(Outcome.PASS, r.get(ServingCase.ABORT).outcome(), r.get(ServingCase.ABORT).line());
    }

    @Test
    void casesThatCannotRunAreUnsupportedWithTheReason() {
        var none = run(Fault.NO_EMBEDDING, fixtures(), n -> true);
        assertEquals(7, none.size());
        for (CaseResult c : none.values()) {
            assertEquals(Outcome.UNSUPPORTED, c.outcome(), c.line());
            assertTrue(c.reason().contains("runs none of the fixture models") && c.reason().contains("EMBEDDING"),
                    c.line());
        }
        var noFixtures = run(Fault.FORGETS_EARLIER_STEPS, null, n -> true);
        assertEquals(7, noFixtures.size());
        for (CaseResult c : noFixtures.values()) {
            assertEquals(Outcome.UNSUPPORTED, c.outcome(), c.line());
            assertTrue(c.reason().contains("no fixture models"), c.line());
        }
    }

    // ---- the verdict on a greedy divergence, without an engine

    static ServingCheck.Run run(String rid, int[] tokens, float[][] rows) {
        return new ServingCheck.Run(rid, new int[] {5}, tokens, FinishReason.LENGTH, 0, List.of(rows));
    }

    static ServingCheck.Result compare(boolean declared, float[][] a, float[][] b, int[] ta, int[] tb) {
        var setup = new ServingCheck.Setup(null, null, "test", Tolerances.SERVING, declared, 1, 4);
        ServingCheck c = new ServingCheck(setup);
        c.compare("prompt 0", run("a", ta, a), run("b", tb, b), true);
        return c.result();
    }

    @Test
    void aNearTieDivergenceIsReportedUnlessTheBackendDeclaresBatchInvariance() {
        float[][] a = {{1f, 2f, 0.5f, 1.9999f}, {3f, 1f, 0f, 0f}};
        // within 1e-3 of max|ref| but the near tie between tokens 1 and 3 flips
        float[][] b = {{1f, 1.9995f, 0.5f, 2.0001f}, {0f, 0f, 0f, 0f}};
        int[] ta = {1, 0};
        int[] tb = {3, 0};
        var lenient = compare(false, a, b, ta, tb);
        assertTrue(lenient.failure().isEmpty(), String.valueOf(lenient.failure()));
        assertTrue(lenient.notes().stream().anyMatch(n -> n.contains("identical in 0 of 1")), lenient.notes().toString());
        assertTrue(lenient.notes().stream().anyMatch(n -> n.contains("diverge at token 0")), lenient.notes().toString());
        var strict = compare(true, a, b, ta, tb);
        assertTrue(strict.failure().orElseThrow().contains("declares batch invariance"), strict.failure().orElseThrow());
        // rows after the divergence are not compared (their contexts differ), rows up to it are
        float[][] far = {{1f, 2.5f, 0.5f, 1.9999f}, {3f, 1f, 0f, 0f}};
        var off = compare(false, a, far, ta, ta);
        assertTrue(off.failure().orElseThrow().contains("logits max|d|"), off.failure().orElseThrow());
        var same = compare(true, a, a, ta, ta);
        assertTrue(same.failure().isEmpty());
        assertEquals(0.0, same.logits().maxAbs());
    }

    // ---- the declaration in the backend's conformance file

    @Test
    void theServingDeclarationNeedsAReasonAndIsReadForItsBackendOnly(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good/META-INF/jsgl");
        Files.createDirectories(good);
        Files.writeString(good.resolve("conformance-exclusions.json"), """
                { "backend": "npu", "serving": { "batchInvariant": true, "reason": "row-wise kernels" } }""");
        Path bad = dir.resolve("bad/META-INF/jsgl");
        Files.createDirectories(bad);
        Files.writeString(bad.resolve("conformance-exclusions.json"), """
                { "backend": "npu2", "serving": { "batchInvariant": "yes" } }""");
        List<java.net.URL> urls = new ArrayList<>();
        for (String d : List.of("good", "bad")) urls.add(dir.resolve(d).toUri().toURL());
        try (var loader = new URLClassLoader(urls.toArray(java.net.URL[]::new), null)) {
            var npu = BackendConformanceFile.load(loader, "npu");
            assertTrue(npu.errors().isEmpty(), npu.errors().toString());
            assertTrue(npu.serving().orElseThrow().batchInvariant());
            assertEquals("row-wise kernels", npu.serving().orElseThrow().reason());
            var npu2 = BackendConformanceFile.load(loader, "npu2");
            assertTrue(npu2.serving().isEmpty());
            assertEquals(1, npu2.errors().size(), npu2.errors().toString());
            assertTrue(npu2.errors().getFirst().contains("reason"), npu2.errors().getFirst());
            assertFalse(BackendConformanceFile.load(loader, "other").serving().isPresent());
        }
    }
}
