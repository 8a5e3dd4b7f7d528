package io.jsgl.engine.backend;

import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.Backend;
import io.jsgl.spi.BackendDescriptor;
import io.jsgl.spi.DeviceBuffer;
import io.jsgl.spi.KvCache;
import io.jsgl.spi.KvCacheSpec;
import io.jsgl.spi.MemoryInfo;
import io.jsgl.spi.PreparedBatch;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightSpec;
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
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Wall time per op of any backend, for finding where a step goes ({@code bench-one-batch
 * --profile-ops}). Each op is followed by {@link Backend#synchronize} so that queued backends are
 * timed too; that serialization is the price of the figures, so this wrapper is for profiling runs
 * only. Linear layers are split by weight name with the layer index dropped
 * ({@code model.layers.7.mlp.down_proj} counts as {@code linear mlp.down_proj}).
 */
public final class ProfilingBackend implements Backend {
    private static final class Stat {
        long calls;
        long nanos;
    }

    private final Backend inner;
    private final Map<String, Stat> byName = new LinkedHashMap<>();
    private final Map<Object, Stat> byKey = new IdentityHashMap<>();

    public ProfilingBackend(Backend inner) {
        this.inner = inner;
    }

    public Backend inner() {
        return inner;
    }

    /** Forgets what was timed so far. */
    public void reset() {
        byName.clear();
        byKey.clear();
    }

    /** Prints one line per op: calls, total milliseconds, share of the timed total, per call. */
    public void report(PrintStream out, String title, int steps) {
        long total = byName.values().stream().mapToLong(s -> s.nanos).sum();
        List<Map.Entry<String, Stat>> rows = new ArrayList<>(byName.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue().nanos, a.getValue().nanos));
        out.printf("Op profile (%s, %d steps, %.2f ms of ops per step):%n", title, steps, total / 1e6 / Math.max(1, steps));
        out.printf("  %-40s %8s %12s %7s %10s%n", "op", "calls", "ms/step", "share", "us/call");
        for (var e : rows) {
            Stat s = e.getValue();
            out.printf("  %-40s %8d %12.3f %6.1f%% %10.1f%n", e.getKey(), s.calls, s.nanos / 1e6 / Math.max(1, steps),
                    100.0 * s.nanos / Math.max(1, total), s.nanos / 1e3 / Math.max(1, s.calls));
        }
    }

    private Stat stat(Object key, String nameIfNew) {
        Stat s = byKey.get(key);
        if (s == null) {
            s = byName.computeIfAbsent(nameIfNew, n -> new Stat());
            byKey.put(key, s);
        }
        return s;
    }

    private static String weightGroup(String op, String weight) {
        return op + " " + weight.replaceFirst("^(model\\.)?layers\\.\\d+\\.", "").replaceFirst("\\.weight$", "");
    }

    private long start() {
        return System.nanoTime();
    }

    private void stop(Stat s, long t0) {
        inner.synchronize();
        s.nanos += System.nanoTime() - t0;
        s.calls++;
    }

    @Override public BackendDescriptor descriptor() { return inner.descriptor(); }
    @Override public int threads() { return inner.threads(); }
    @Override public DeviceBuffer allocate(long bytes) { return inner.allocate(bytes); }
    @Override public void upload(MemorySegment src, DeviceBuffer dst, long off) { inner.upload(src, dst, off); }
    @Override public void download(DeviceBuffer src, long off, MemorySegment dst) { inner.download(src, off, dst); }
    @Override public Weight loadWeight(WeightSpec spec) { return inner.loadWeight(spec); }
    @Override public KvCache allocateKvCache(KvCacheSpec spec) { return inner.allocateKvCache(spec); }
    @Override public MemoryInfo memoryInfo() { return inner.memoryInfo(); }
    @Override public void synchronize() { inner.synchronize(); }
    @Override public PreparedBatch prepare(AttentionBatch batch) { return inner.prepare(batch); }
    @Override public OptionalDouble measureReadBandwidth(long bytes) { return inner.measureReadBandwidth(bytes); }
    @Override public void close() { inner.close(); }

    @Override
    public void embedding(EmbeddingArgs a, int rows) {
        long t0 = start();
        inner.embedding(a, rows);
        stop(stat(EmbeddingArgs.class, "embedding"), t0);
    }

    @Override
    public void linear(LinearArgs a, int rows) {
        long t0 = start();
        inner.linear(a, rows);
        stop(stat(a.weight(), weightGroup("linear", a.weight().name())), t0);
    }

    @Override
    public void rmsNorm(RmsNormArgs a, int rows) {
        long t0 = start();
        inner.rmsNorm(a, rows);
        stop(stat(RmsNormArgs.class, "rms_norm"), t0);
    }

    @Override
    public void rope(RopeArgs a, int rows) {
        long t0 = start();
        inner.rope(a, rows);
        stop(stat(RopeArgs.class, "rope"), t0);
    }

    @Override
    public void gatedActivation(GatedActivationArgs a, int rows) {
        long t0 = start();
        inner.gatedActivation(a, rows);
        stop(stat(GatedActivationArgs.class, "gated_activation"), t0);
    }

    @Override
    public void attention(AttentionArgs a, PreparedBatch batch) {
        long t0 = start();
        inner.attention(a, batch);
        stop(stat(AttentionArgs.class, "attention"), t0);
    }

    @Override
    public void add(AddArgs a, int rows) {
        long t0 = start();
        inner.add(a, rows);
        stop(stat(AddArgs.class, "add"), t0);
    }

    @Override
    public void gatherRows(GatherRowsArgs a, int rows) {
        long t0 = start();
        inner.gatherRows(a, rows);
        stop(stat(GatherRowsArgs.class, "gather_rows"), t0);
    }

    @Override
    public void softCap(SoftCapArgs a, int rows) {
        long t0 = start();
        inner.softCap(a, rows);
        stop(stat(SoftCapArgs.class, "softcap"), t0);
    }

    @Override
    public void argmax(ArgmaxArgs a, int rows) {
        long t0 = start();
        inner.argmax(a, rows);
        stop(stat(ArgmaxArgs.class, "argmax"), t0);
    }

    @Override
    public void moe(MoeArgs a, int rows) {
        long t0 = start();
        inner.moe(a, rows);
        stop(stat(MoeArgs.class, "moe"), t0);
    }

    @Override
    public void mlaAttention(MlaArgs a, PreparedBatch batch) {
        long t0 = start();
        inner.mlaAttention(a, batch);
        stop(stat(MlaArgs.class, "mla_attention"), t0);
    }

    @Override
    public void allReduce(Tensor t, int rows) {
        long t0 = start();
        inner.allReduce(t, rows);
        stop(stat(Tensor.class, "all_reduce"), t0);
    }
}
