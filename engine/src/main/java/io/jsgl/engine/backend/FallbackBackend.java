package io.jsgl.engine.backend;

import io.jsgl.engine.model.ModelRequirements.Need;
import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.Backend;
import io.jsgl.spi.BackendDescriptor;
import io.jsgl.spi.DType;
import io.jsgl.spi.DeviceBuffer;
import io.jsgl.spi.KvCache;
import io.jsgl.spi.KvCacheSpec;
import io.jsgl.spi.MemoryInfo;
import io.jsgl.spi.Op;
import io.jsgl.spi.OpSupport;
import io.jsgl.spi.PreparedBatch;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.op.AddArgs;
import io.jsgl.spi.op.AttentionArgs;
import io.jsgl.spi.op.EmbeddingArgs;
import io.jsgl.spi.op.GatedActivationArgs;
import io.jsgl.spi.op.GatherRowsArgs;
import io.jsgl.spi.op.LinearArgs;
import io.jsgl.spi.op.MlaArgs;
import io.jsgl.spi.op.MoeArgs;
import io.jsgl.spi.op.RmsNormArgs;
import io.jsgl.spi.op.RopeArgs;
import io.jsgl.spi.op.ArgmaxArgs;
import io.jsgl.spi.op.SoftCapArgs;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A backend that runs most ops on the primary and the listed (op, weight dtype) pairs on the
 * reference backend. Both read and write the same host buffers (the primary allocates every
 * tensor; {@link BackendFactory} checks they are host memory). Weights are loaded on each side
 * that will read them; the reference reads its copy in place from the mmapped host tensors, so
 * the second copy costs no memory. The KV cache lives on whichever side runs attention.
 *
 * <p>Argument records name backend-specific weights, so a routed call needs a record with the
 * other side's weight; those are built once per record (the model reuses its records every
 * step) and cached by identity.
 */
final class FallbackBackend implements Backend {
    private final Backend primary;
    private final Backend reference;
    private final Set<Need> onReference;
    private final Set<Op> opsOnReference = EnumSet.noneOf(Op.class);
    private final BackendDescriptor descriptor;
    private final Map<Object, Object> rewritten = new IdentityHashMap<>();

    FallbackBackend(Backend primary, Backend reference, List<Need> onReference) {
        this.primary = primary;
        this.reference = reference;
        this.onReference = new HashSet<>(onReference);
        onReference.forEach(n -> opsOnReference.add(n.op()));
        BackendDescriptor p = primary.descriptor();
        // what the pair runs: the primary's ops, plus the routed (op, dtype) pairs the reference takes over
        var table = new java.util.EnumMap<Op, Set<DType>>(Op.class);
        for (OpSupport s : p.ops()) table.put(s.op(), new HashSet<>(s.weightDtypes()));
        for (Need n : onReference) {
            Set<DType> dtypes = table.computeIfAbsent(n.op(), o -> new HashSet<>());
            if (n.weightDtype() != null) dtypes.add(n.weightDtype());
        }
        // optional and never routed: claimed only where no op runs on the reference, whose logits
        // would otherwise have to cross back first
        if (!onReference.isEmpty()) table.remove(Op.ARGMAX);
        List<OpSupport> ops = new ArrayList<>();
        table.forEach((op, dtypes) -> ops.add(new OpSupport(op, dtypes)));
        this.descriptor = new BackendDescriptor(p.name(), p.version(),
                p.description() + "; " + String.join(", ", onReference.stream().map(Need::toString).toList())
                        + " on the reference backend", p.spiMin(), p.spiMax(), ops, p.requirements(), p.quantizations());
    }

    private boolean routed(Op op, DType weightDtype) {
        return onReference.contains(new Need(op, weightDtype)) || onReference.contains(new Need(op, null));
    }

    @Override public BackendDescriptor descriptor() { return descriptor; }
    @Override public int threads() { return primary.threads(); }
    @Override public DeviceBuffer allocate(long bytes) { return primary.allocate(bytes); }
    @Override public void upload(MemorySegment src, DeviceBuffer dst, long off) { primary.upload(src, dst, off); }
    @Override public void download(DeviceBuffer src, long off, MemorySegment dst) { primary.download(src, off, dst); }
    @Override public MemoryInfo memoryInfo() { return primary.memoryInfo(); }

    @Override
    public void synchronize() {
        primary.synchronize();
        reference.synchronize();
    }

    /** A weight as each side holds it; either may be null when that side never reads it. */
    private record DualWeight(Weight primary, Weight reference, WeightSpec spec) implements Weight {
        @Override public String name() { return spec.name(); }
        @Override public DType dtype() { return spec.dtype(); }
        @Override public long rows() { return spec.rows(); }
        @Override public long cols() { return spec.cols(); }
        @Override public WeightUse use() { return spec.use(); }

        @Override
        public void close() {
            if (primary != null) primary.close();
            if (reference != null) reference.close();
        }
    }

    /** The ops that may read a weight of this use (expert and kv_b matrices are LINEAR weights too). */
    private static Set<Op> readers(WeightUse use) {
        return switch (use) {
            case LINEAR -> EnumSet.of(Op.LINEAR, Op.MOE, Op.MLA_ATTENTION);
            case EMBEDDING -> EnumSet.of(Op.EMBEDDING);
            case VECTOR -> EnumSet.of(Op.RMS_NORM, Op.LINEAR, Op.MOE);
        };
    }

    /**
     * The reference gets every weight (it reads the host tensors in place, so this costs nothing)
     * whichever op turns out to read it; the primary gets those that one of its own, unrouted ops
     * may read, so it is never asked to load a dtype it does not declare.
     */
    @Override
    public Weight loadWeight(WeightSpec spec) {
        DType dtype = spec.dtype();
        boolean needPrimary = false;
        for (Op op : readers(spec.use())) {
            if (primary.descriptor().supports(op, dtype) && !routed(op, dtype)) needPrimary = true;
        }
        Weight p = needPrimary ? primary.loadWeight(spec) : null;
        Weight r;
        try {
            r = reference.loadWeight(spec);
        } catch (RuntimeException e) {
            if (p != null) p.close();
            throw e;
        }
        return new DualWeight(p, r, spec);
    }

    @Override
    public KvCache allocateKvCache(KvCacheSpec spec) {
        boolean ref = spec.isLatent() ? opsOnReference.contains(Op.MLA_ATTENTION) : routed(Op.ATTENTION, null);
        return ref ? reference.allocateKvCache(spec) : primary.allocateKvCache(spec);
    }

    /**
     * One prepared form must serve every layer, so attention on the reference (which reads the host
     * layout) gets the host form; the primary's own form only when all attention stays on it.
     */
    @Override
    public PreparedBatch prepare(AttentionBatch batch) {
        return routed(Op.ATTENTION, null) || opsOnReference.contains(Op.MLA_ATTENTION) ? PreparedBatch.host(batch)
                : primary.prepare(batch);
    }

    private static Weight side(Weight w, boolean ref) {
        if (w == null) return null;
        DualWeight d = (DualWeight) w;
        Weight out = ref ? d.reference() : d.primary();
        if (out == null) {
            throw new IllegalStateException("weight " + w.name() + " was not loaded on the "
                    + (ref ? "reference" : "primary") + " backend; the placement changed after load");
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private <T> T rewrite(T args, Function<T, T> f) {
        return (T) rewritten.computeIfAbsent(args, a -> f.apply((T) a));
    }

    /** Runs on the reference after everything the primary queued has finished (it may be asynchronous). */
    private Backend onReferenceNow() {
        primary.synchronize();
        return reference;
    }

    @Override
    public void embedding(EmbeddingArgs a, int rows) {
        boolean ref = routed(Op.EMBEDDING, a.table().dtype());
        EmbeddingArgs r = rewrite(a, x -> new EmbeddingArgs(side(x.table(), ref), x.ids(), x.out(), x.scale()));
        (ref ? onReferenceNow() : primary).embedding(r, rows);
    }

    @Override
    public void linear(LinearArgs a, int rows) {
        boolean ref = routed(Op.LINEAR, a.weight().dtype());
        LinearArgs r = rewrite(a, x -> new LinearArgs(x.x(), side(x.weight(), ref), side(x.bias(), ref), x.out()));
        (ref ? onReferenceNow() : primary).linear(r, rows);
    }

    @Override
    public void rmsNorm(RmsNormArgs a, int rows) {
        boolean ref = routed(Op.RMS_NORM, a.weight().dtype());
        RmsNormArgs r = rewrite(a, x -> new RmsNormArgs(x.x(), x.residual(), side(x.weight(), ref), x.eps(),
                x.weightOffset(), x.groupSize(), x.out()));
        (ref ? onReferenceNow() : primary).rmsNorm(r, rows);
    }

    @Override
    public void rope(RopeArgs a, int rows) {
        (routed(Op.ROPE, null) ? onReferenceNow() : primary).rope(a, rows);
    }

    @Override
    public void gatedActivation(GatedActivationArgs a, int rows) {
        (routed(Op.GATED_ACTIVATION, null) ? onReferenceNow() : primary).gatedActivation(a, rows);
    }

    @Override
    public void attention(AttentionArgs a, PreparedBatch batch) {
        (routed(Op.ATTENTION, null) ? onReferenceNow() : primary).attention(a, batch);
    }

    @Override
    public void add(AddArgs a, int rows) {
        (routed(Op.ADD, null) ? onReferenceNow() : primary).add(a, rows);
    }

    @Override
    public void gatherRows(GatherRowsArgs a, int rows) {
        (routed(Op.GATHER_ROWS, null) ? onReferenceNow() : primary).gatherRows(a, rows);
    }

    @Override
    public void argmax(ArgmaxArgs a, int rows) {
        if (!descriptor.supports(Op.ARGMAX, null)) {
            throw new UnsupportedOperationException("ARGMAX is not offered while ops run on the reference backend");
        }
        primary.argmax(a, rows);
    }

    @Override
    public void softCap(SoftCapArgs a, int rows) {
        (routed(Op.SOFTCAP, null) ? onReferenceNow() : primary).softCap(a, rows);
    }

    @Override
    public void moe(MoeArgs a, int rows) {
        boolean ref = routed(Op.MOE, a.router().dtype());
        MoeArgs r = rewrite(a, x -> new MoeArgs(x.x(), x.out(), side(x.router(), ref), side(x.scoreBias(), ref),
                x.gateUp().stream().map(w -> side(w, ref)).toList(), x.down().stream().map(w -> side(w, ref)).toList(),
                side(x.sharedGateUp(), ref), side(x.sharedDown(), ref), side(x.sharedGate(), ref), x.routing(),
                x.activation()));
        (ref ? onReferenceNow() : primary).moe(r, rows);
    }

    @Override
    public void mlaAttention(MlaArgs a, PreparedBatch batch) {
        boolean ref = opsOnReference.contains(Op.MLA_ATTENTION);
        MlaArgs r = rewrite(a, x -> new MlaArgs(x.qNope(), x.qRope(), x.latent(), x.out(), side(x.kvB(), ref), x.cache(),
                x.layer(), x.heads(), x.nopeDim(), x.ropeDim(), x.kvLoraRank(), x.vHeadDim(), x.scale()));
        (ref ? onReferenceNow() : primary).mlaAttention(r, batch);
    }

    @Override
    public void allReduce(Tensor t, int rows) {
        primary.allReduce(t, rows);
    }

    @Override
    public void close() {
        try {
            primary.close();
        } finally {
            reference.close();
        }
    }
}
