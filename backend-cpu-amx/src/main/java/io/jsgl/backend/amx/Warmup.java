package io.jsgl.backend.amx;

import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.DType;
import io.jsgl.spi.DeviceBuffer;
import io.jsgl.spi.HostTensor;
import io.jsgl.spi.KvCache;
import io.jsgl.spi.KvCacheSpec;
import io.jsgl.spi.PreparedBatch;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.op.Activation;
import io.jsgl.spi.op.AddArgs;
import io.jsgl.spi.op.AttentionArgs;
import io.jsgl.spi.op.EmbeddingArgs;
import io.jsgl.spi.op.GatedActivationArgs;
import io.jsgl.spi.op.LinearArgs;
import io.jsgl.spi.op.RmsNormArgs;
import io.jsgl.spi.op.RopeArgs;
import io.jsgl.spi.rope.RopeConfig;
import io.jsgl.spi.rope.RopeScaling;
import io.jsgl.spi.rope.RopeStyle;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs every Java kernel on small dummy tensors for a short time when the backend opens. Vector API
 * code is only fast once C2 has compiled it (interpreted, each vector op allocates and is 100x
 * slower), and a forward pass calls each kernel only a few hundred times, so without this the
 * first requests (and every short benchmark) run mostly cold. Budget: {@code amx.warmup-ms}.
 */
final class Warmup {
    private Warmup() {}

    static void run(AmxBackend b, long budgetMillis) {
        if (budgetMillis <= 0) return;
        List<AutoCloseable> owned = new ArrayList<>();
        try (Arena arena = Arena.ofShared()) {
            int rows = 16;
            int h = 256;
            int heads = 4;
            int kvHeads = 2;
            int hd = 64;
            Tensor x = tensor(b, owned, rows, h);
            Tensor res = tensor(b, owned, rows, h);
            Tensor big = tensor(b, owned, rows, 4 * h);
            Tensor out = tensor(b, owned, rows, 4 * h);
            Tensor q = tensor(b, owned, rows, heads * hd);
            Tensor k = tensor(b, owned, rows, kvHeads * hd);
            Tensor v = tensor(b, owned, rows, kvHeads * hd);
            Tensor ids = ints(b, owned, rows);
            Weight norm = b.loadWeight(WeightSpec.of(host(arena, "warmup.norm", 1, h), WeightUse.VECTOR));
            Weight table = b.loadWeight(WeightSpec.of(host(arena, "warmup.embed_tokens", 64, h), WeightUse.EMBEDDING));
            Weight lin = b.loadWeight(WeightSpec.of(host(arena, "warmup.proj", 4 * h, h), WeightUse.LINEAR));
            owned.add(norm);
            owned.add(table);
            owned.add(lin);
            RopeConfig rope = RopeConfig.create(RopeStyle.NEOX, hd, 10000, new RopeScaling.None());
            KvCache cache = b.allocateKvCache(new KvCacheSpec(1, 4 * rows, kvHeads, hd, hd, DType.F32));
            owned.add(cache);
            int[] slots = new int[4 * rows];
            for (int i = 0; i < slots.length; i++) slots[i] = i;
            AttentionBatch prefill = AttentionBatch.single(slots, rows, rows);
            // the oneDNN prefill attention's Java phases (K/V gather, query rounding, softmax) at a size
            // whose loops run long enough for C2: a first 512-token prefill otherwise spends seconds cold
            int longRows = 192;
            int longHeads = 8;
            Tensor lq = tensor(b, owned, longRows, longHeads * hd);
            Tensor lk = tensor(b, owned, longRows, kvHeads * hd);
            Tensor lv = tensor(b, owned, longRows, kvHeads * hd);
            Tensor lo = tensor(b, owned, longRows, longHeads * hd);
            KvCache longCache = b.allocateKvCache(new KvCacheSpec(1, longRows, kvHeads, hd, hd, DType.F32));
            owned.add(longCache);
            int[] longSlots = new int[longRows];
            for (int i = 0; i < longRows; i++) longSlots[i] = longRows - 1 - i;
            AttentionBatch longPrefill = AttentionBatch.single(longSlots, longRows, longRows);
            AttentionBatch decode = AttentionBatch.single(slots, 3 * rows, 1);
            float scale = 0.125f;
            List<Runnable> ops = List.of(
                    () -> b.embedding(new EmbeddingArgs(table, ids, x, 1f), rows),
                    () -> b.rmsNorm(new RmsNormArgs(x, res, norm, 1e-6f, 0f, h, x), rows),
                    () -> b.rmsNorm(new RmsNormArgs(x, null, norm, 1e-6f, 0f, h, x), rows),
                    () -> b.linear(new LinearArgs(x, lin, null, out), 1),
                    () -> b.linear(new LinearArgs(x, lin, null, out), rows),
                    () -> b.rope(new RopeArgs(q, k, ids, heads, kvHeads, hd, rope), rows),
                    () -> b.attention(new AttentionArgs(q, k, v, q, cache, 0, heads, kvHeads, hd, hd, scale, 0, 0),
                            PreparedBatch.host(prefill)),
                    () -> b.attention(new AttentionArgs(q, k, v, q, cache, 0, heads, kvHeads, hd, hd, scale, 0, 0),
                            PreparedBatch.host(decode)),
                    () -> b.attention(new AttentionArgs(lq, lk, lv, lo, longCache, 0, longHeads, kvHeads, hd, hd, scale,
                            0, 0), PreparedBatch.host(longPrefill)),
                    () -> b.attention(new AttentionArgs(lq, lk, lv, lo, longCache, 0, longHeads, kvHeads, hd, hd, scale,
                            0, 0), PreparedBatch.host(longPrefill)),
                    () -> b.gatedActivation(new GatedActivationArgs(big, out, big, Activation.SILU), rows),
                    () -> b.add(new AddArgs(x, res, x), rows));
            long perOp = budgetMillis * 1_000_000L / ops.size();
            for (Runnable op : ops) {
                long end = System.nanoTime() + perOp;
                do {
                    op.run();
                } while (System.nanoTime() < end);
            }
        } finally {
            for (AutoCloseable c : owned) {
                try {
                    c.close();
                } catch (Exception e) {
                    // dummy memory: nothing to report
                }
            }
        }
    }

    private static Tensor tensor(AmxBackend b, List<AutoCloseable> owned, int rows, int cols) {
        DeviceBuffer buf = b.allocate(4L * rows * cols);
        owned.add(buf);
        MemorySegment s = io.jsgl.spi.host.HostBuffer.of(buf);
        for (long i = 0; i < (long) rows * cols; i++) s.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, 0.01f * (i % 97));
        return Tensor.of(buf, rows, cols, DType.F32);
    }

    private static Tensor ints(AmxBackend b, List<AutoCloseable> owned, int rows) {
        DeviceBuffer buf = b.allocate(4L * rows);
        owned.add(buf);
        MemorySegment s = io.jsgl.spi.host.HostBuffer.of(buf);
        for (int i = 0; i < rows; i++) s.setAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, i, i);
        return Tensor.of(buf, rows, 1, DType.I32);
    }

    private static HostTensor host(Arena arena, String name, int rows, int cols) {
        MemorySegment seg = arena.allocate(2L * rows * cols);
        for (long i = 0; i < (long) rows * cols; i++) {
            seg.setAtIndex(io.jsgl.spi.host.Numerics.SHORT_LE, i, io.jsgl.spi.host.Numerics.floatToBf16(0.01f * (i % 13)));
        }
        return new HostTensor(name, seg, DType.BF16, rows == 1 ? new long[] {cols} : new long[] {rows, cols});
    }
}
