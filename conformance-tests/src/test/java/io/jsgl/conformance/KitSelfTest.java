package io.jsgl.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsgl.backend.reference.ReferenceBackendProvider;
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
import io.jsgl.spi.rope.RopeConfig;
import io.jsgl.spi.rope.RopeStyle;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The kit must catch real bugs: a backend built from the reference with one fault per op must
 * fail exactly the cases that exercise the fault, and pass the rest; a missing op is UNSUPPORTED;
 * the backend's exclusion file and tolerance override show up in the results.
 */
class KitSelfTest {

    /** The reference with deliberate faults. */
    static final class Broken implements Backend {
        private final Backend ref = new ReferenceBackendProvider().create(BackendOptions.defaults());
        private final BackendDescriptor descriptor;

        Broken() {
            BackendDescriptor d = ref.descriptor();
            descriptor = new BackendDescriptor("broken", "0", "the reference with faults", d.spiMin(), d.spiMax(),
                    d.ops().stream().filter(s -> s.op() != Op.SOFTCAP).toList(), List.of());
        }

        @Override public BackendDescriptor descriptor() { return descriptor; }
        @Override public int threads() { return 1; }
        @Override public DeviceBuffer allocate(long bytes) { return ref.allocate(bytes); }
        @Override public void upload(MemorySegment s, DeviceBuffer d, long o) { ref.upload(s, d, o); }
        @Override public void download(DeviceBuffer s, long o, MemorySegment d) { ref.download(s, o, d); }
        @Override public Weight loadWeight(WeightSpec spec) { return ref.loadWeight(spec); }
        @Override public KvCache allocateKvCache(KvCacheSpec spec) { return ref.allocateKvCache(spec); }
        @Override public MemoryInfo memoryInfo() { return ref.memoryInfo(); }
        @Override public void synchronize() { }
        @Override public void rmsNorm(RmsNormArgs a, int rows) { ref.rmsNorm(a, rows); }
        @Override public void gatedActivation(GatedActivationArgs a, int rows) { ref.gatedActivation(a, rows); }
        @Override public void gatherRows(GatherRowsArgs a, int rows) { ref.gatherRows(a, rows); }
        @Override public void softCap(SoftCapArgs a, int rows) { ref.softCap(a, rows); }
        @Override public void argmax(io.jsgl.spi.op.ArgmaxArgs a, int rows) { ref.argmax(a, rows); }
        @Override public void close() { ref.close(); }

        /** Fault: ignores the scale. */
        @Override
        public void embedding(EmbeddingArgs a, int rows) {
            ref.embedding(new EmbeddingArgs(a.table(), a.ids(), a.out(), 1f), rows);
        }

        /** Fault: computes every row of the tensors' capacity, not just the active ones. */
        @Override
        public void linear(LinearArgs a, int rows) {
            ref.linear(a, a.x().rows());
        }

        /** Fault: always rotates NEOX pairs. */
        @Override
        public void rope(RopeArgs a, int rows) {
            RopeConfig c = a.rope();
            RopeConfig neox = new RopeConfig(RopeStyle.NEOX, c.rotaryDim(), c.invFreq(), c.attentionScale());
            ref.rope(new RopeArgs(a.q(), a.k(), a.positions(), a.qHeads(), a.kHeads(), a.headDim(), neox), rows);
        }

        /** Fault: ignores the sliding window. */
        @Override
        public void attention(AttentionArgs a, PreparedBatch b) {
            ref.attention(new AttentionArgs(a.q(), a.k(), a.v(), a.out(), a.cache(), a.layer(), a.heads(), a.kvHeads(),
                    a.headDim(), a.vHeadDim(), a.scale(), 0, a.softCap()), b);
        }

        /** Fault: drops the last active row. */
        @Override
        public void add(AddArgs a, int rows) {
            ref.add(a, rows - 1);
        }

        @Override
        public PreparedBatch prepare(AttentionBatch batch) {
            return ref.prepare(batch);
        }
    }

    static final class BrokenProvider implements BackendProvider {
        @Override public BackendDescriptor descriptor() { return new Broken().descriptor(); }
        @Override public ProbeResult probe() { return ProbeResult.available(0, Map.of()); }
        @Override public Backend create(BackendOptions options) { return new Broken(); }
    }

    @Test
    void catchesEachFaultAndNothingElse() {
        BrokenProvider p = new BrokenProvider();
        var candidate = new BackendCandidate("broken", p, p.descriptor(), p.probe(), List.of(), "test");
        Pattern subset = Pattern.compile("^(add/|embedding/f32/|linear/f32/|softcap/|gather_rows/|rope/f32/(neox|interleaved)"
                + "-none-hd64|attention/kv=f32/(window16|prefill17))");
        List<OpCase> cases = OpGrid.all().stream().filter(c -> subset.matcher(c.id()).find()).toList();
        Map<String, CaseResult> results = new java.util.HashMap<>();
        try (Oracle oracle = new Oracle(); ConformanceSession s = new ConformanceSession(candidate, oracle)) {
            for (OpCase c : cases) results.put(c.id(), s.run(c));
            BackendReport report = s.report();
            assertEquals(List.of("exclusion never/matches/*"), report.unusedExclusions());
        }
        assertTrue(results.size() >= 20, "the subset shrank to " + results.size() + " cases");
        for (CaseResult r : results.values()) {
            Outcome expected = expected(r.id());
            assertEquals(expected, r.outcome(), r.line());
            assertTrue(r.outcome() == Outcome.PASS || r.reason() != null, "a verdict other than PASS needs a reason");
        }
        CaseResult excluded = results.get("gather_rows/f32/src20-c17-idx4-repeat");
        assertNotNull(excluded.excluded());
        CaseResult overridden = results.get("embedding/f32/vocab300-h64-r7-scale8.0");
        assertNotNull(overridden.override(), "the backend's tolerance override must be recorded");
        assertTrue(results.get("linear/f32/r64of70-k128-n96").reason().contains("outside the op's output"));
        assertTrue(results.get("add/f32/r13-c1000").reason().contains("NaN"));
    }

    private static Outcome expected(String id) {
        if (id.startsWith("softcap/") || id.startsWith("gather_rows/")) return Outcome.UNSUPPORTED;
        if (id.startsWith("add/")) return Outcome.FAIL; // every add case has a last row to drop
        if (id.equals("linear/f32/r64of70-k128-n96")) return Outcome.FAIL;
        if (id.startsWith("rope/f32/interleaved")) return Outcome.FAIL;
        if (id.startsWith("attention/kv=f32/window16")) return Outcome.FAIL;
        return Outcome.PASS;
    }
}
