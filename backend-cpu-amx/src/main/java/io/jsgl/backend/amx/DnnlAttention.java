package io.jsgl.backend.amx;

import static java.lang.foreign.ValueLayout.ADDRESS;

import io.jsgl.cpu.kernels.AttentionKernel;
import io.jsgl.cpu.kernels.Convert;
import io.jsgl.cpu.kernels.CpuKvCache;
import io.jsgl.cpu.kernels.VectorExp;
import io.jsgl.cpu.kernels.Views;
import io.jsgl.cpu.kernels.WorkerPool;
import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.DType;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.op.AttentionArgs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Paged causal attention with the score and value products on oneDNN (AMX / AVX512_BF16 brgemm)
 * for sequences with at least {@code minRows} new rows (prefill, chunked prefill); decode rows and
 * short extends stay on the shared Vector API kernel ({@link AttentionKernel}).
 *
 * <p>Per sequence: the keys any of its rows can see are gathered from the paged pool into dense
 * bf16 {@code K[kvHead][t][hd]} and {@code V[kvHead][t][vd]} (padded to a multiple of 64 keys with
 * zeros), the queries are scaled and rounded into bf16 {@code Q[head][row][hd]}. Query rows then go
 * in blocks: for a block only the keys up to its last row's position are used (the causal
 * triangle costs about half the square), and two batched oneDNN matmuls run over all heads at
 * once, the query heads of a KV head sharing its K/V by broadcast:
 * <pre>
 *   S[g, h, i, t] = Q[g, h, i, :] . K[g, t, :]          (bf16 x bf16 -> f32)
 *   P = softmax over t of S, masked (causal, sliding window), soft-capped; rounded to bf16
 *   out[i, (g * group + h) * vd + :] = P[g, h, i, :] x V[g, :, :]   (written in place)
 * </pre>
 * The softmax (Java, parallel over rows) sees the whole visible row at once, so P is normalized
 * before the second product and no rescaling pass follows. The block height keeps the f32 scores
 * of a block within {@link #SCORE_BUDGET} bytes (128 rows up to 2048 keys for 32 heads).
 *
 * <p>Precision: Q, K, V and P are bf16 (8-bit mantissa) with f32 accumulation, the bf16 bound the
 * backend declares for attention in its conformance file.
 */
final class DnnlAttention implements AutoCloseable {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** Keys are padded to a multiple of this, so primitive shapes repeat across prompt lengths. */
    static final int KEY_ALIGN = 64;
    /** Largest query block. */
    static final int MAX_BLOCK = 128;
    /** Bytes of f32 scores one block may take. */
    static final long SCORE_BUDGET = 32L << 20;
    private static final int MAX_PRIMITIVES = 256;
    /**
     * A sliding window narrower than this stays on the Java kernel: the oneDNN path multiplies whole
     * 64-key-aligned blocks up to the diagonal, most of which such a window masks away.
     */
    static final int MIN_WINDOW = 256;

    private final WorkerPool pool;
    private final DnnlMatmul dnnl;
    private final AttentionKernel shared;
    private final int minRows;
    /**
     * Whether the products run as single-threaded oneDNN calls on the Java workers, one task per
     * (KV head, query block) that also does its softmax, instead of batched calls on OpenMP with a
     * parallel softmax between them (the Java GEMM driver's mode: no OpenMP team wakes, no barrier
     * between the three phases, a task's scores stay in its core's L2).
     */
    private final boolean onWorkers;
    private final Worker[] workers;
    private OpProfile profile = new OpProfile(false);

    private final Buf kBuf = new Buf();
    private final Buf vBuf = new Buf();
    private final Buf qBuf = new Buf();
    /** The OpenMP path's 1 / row sums of one query block (see {@link #softmaxRow}). */
    private float[] invSums = new float[0];
    private final Buf sBuf = new Buf();
    private final Buf pBuf = new Buf();

    private record Key(int which, long[] dims, long[] srcStrides, long[] weiStrides, long[] dstStrides) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && which == k.which && Arrays.equals(dims, k.dims)
                    && Arrays.equals(srcStrides, k.srcStrides) && Arrays.equals(weiStrides, k.weiStrides)
                    && Arrays.equals(dstStrides, k.dstStrides);
        }

        @Override
        public int hashCode() {
            return ((which * 31 + Arrays.hashCode(dims)) * 31 + Arrays.hashCode(srcStrides)) * 31
                    + Arrays.hashCode(weiStrides) * 17 + Arrays.hashCode(dstStrides);
        }
    }

    private final ClosingLru<Key, Prim> prims = new ClosingLru<>(MAX_PRIMITIVES);

    /**
     * {@code S[b0, h, i, t] = Q[b0, h, i, :] . K[b0, t, :]} for {@code b0} KV heads (all, or one per
     * task) of {@code group} query heads, {@code n} query rows of a sequence's {@code L} and
     * {@code tb} of its {@code tPad} gathered keys.
     */
    private static Key qkKey(int b0, int group, int n, int hd, int tb, int L, int tPad) {
        return new Key(0, new long[] {b0, group, n, hd, tb},
                new long[] {(long) group * L * hd, (long) L * hd, hd, 1},
                new long[] {(long) tPad * hd, (long) tPad * hd, 1, hd},
                new long[] {(long) group * n * tb, (long) n * tb, tb, 1});
    }

    /** {@code out[i, (g * group + h) * vd + :] = P[g, h, i, :] x V[g, :, :]}, written into rows {@code rowStride} apart. */
    private static Key pvKey(int b0, int group, int n, int tb, int vd, int tPad, long rowStride) {
        return new Key(1, new long[] {b0, group, n, tb, vd},
                new long[] {(long) group * n * tb, (long) n * tb, tb, 1},
                new long[] {(long) tPad * vd, (long) tPad * vd, vd, 1},
                new long[] {(long) group * vd, vd, rowStride, 1});
    }

    DnnlAttention(WorkerPool pool, DnnlMatmul dnnl, AttentionKernel shared, int minRows, boolean onWorkers) {
        this.pool = pool;
        this.dnnl = dnnl;
        this.shared = shared;
        this.minRows = minRows <= 0 ? Integer.MAX_VALUE : minRows;
        this.onWorkers = onWorkers;
        this.workers = new Worker[pool.threads()];
        for (int i = 0; i < workers.length; i++) workers[i] = new Worker();
    }

    void profile(OpProfile p) {
        this.profile = p;
    }

    /** Whether sequence {@code s} of the batch goes to oneDNN. */
    private boolean big(AttentionBatch b, int s) {
        return b.qLen()[s] >= minRows;
    }

    void run(AttentionArgs a, AttentionBatch b) {
        int n = b.sequences();
        boolean narrowWindow = a.slidingWindow() > 0 && a.slidingWindow() < MIN_WINDOW;
        boolean any = false;
        for (int s = 0; s < n && !any && !narrowWindow; s++) any = big(b, s);
        if (!any) {
            long t0 = profile.start();
            shared.run(a, b);
            profile.stop(b.rows() == b.sequences() ? "attention.decode" : "attention.extend.java", t0);
            return;
        }
        if (!(a.cache() instanceof CpuKvCache cache)) {
            throw new IllegalArgumentException("KV cache " + a.cache().getClass().getName() + " is not this backend's");
        }
        int rows = b.rows();
        Views.checkRows(a.q(), rows, "attention q");
        Views.checkRows(a.k(), rows, "attention k");
        Views.checkRows(a.v(), rows, "attention v");
        Views.checkRows(a.out(), rows, "attention out");
        long t0 = profile.start();
        store(a, b, cache);
        profile.stop("attention.store", t0);
        for (int s = 0; s < n; ) {
            if (big(b, s)) {
                sequence(a, b, cache, s);
                s++;
                continue;
            }
            int e = s;
            while (e < n && !big(b, e)) e++;
            long t1 = profile.start();
            runShared(a, b, s, e);
            profile.stop("attention.extend.java", t1);
            s = e;
        }
    }

    /** Sequences {@code [s, e)} (consecutive rows) on the shared kernel, as a batch of their own. */
    private void runShared(AttentionArgs a, AttentionBatch b, int s, int e) {
        int r0 = b.qStart()[s];
        int cnt = e - s;
        int[] qStart = new int[cnt];
        int[] qLen = Arrays.copyOfRange(b.qLen(), s, e);
        int[] kvLen = Arrays.copyOfRange(b.kvLen(), s, e);
        int[] slotStart = Arrays.copyOfRange(b.slotStart(), s, e);
        int rows = 0;
        for (int i = 0; i < cnt; i++) {
            qStart[i] = rows;
            rows += qLen[i];
        }
        AttentionBatch sub = new AttentionBatch(qStart, qLen, kvLen, slotStart, b.slotTable(),
                Arrays.copyOfRange(b.newSlots(), r0, r0 + rows), rows);
        AttentionArgs sa = new AttentionArgs(a.q().rowRange(r0, rows), a.k().rowRange(r0, rows),
                a.v().rowRange(r0, rows), a.out().rowRange(r0, rows), a.cache(), a.layer(), a.heads(), a.kvHeads(),
                a.headDim(), a.vHeadDim(), a.scale(), a.slidingWindow(), a.softCap());
        shared.run(sa, sub);
    }

    /** Writes every new row's K and V into its slot. */
    private void store(AttentionArgs a, AttentionBatch b, CpuKvCache cache) {
        MemorySegment ks = Views.f32(a.k());
        MemorySegment vs = Views.f32(a.v());
        MemorySegment kc = cache.keys(a.layer());
        MemorySegment vc = cache.values(a.layer());
        int kRow = cache.kRow();
        int vRow = cache.vRow();
        DType dt = cache.spec().dtype();
        int rows = b.rows();
        int slots = cache.spec().slots();
        for (int r = 0; r < rows; r++) {
            int slot = b.newSlots()[r];
            if (slot < 0 || slot >= slots) throw new IndexOutOfBoundsException("slot " + slot + " outside KV pool of " + slots);
        }
        int n = Views.chunks(rows, kRow + vRow, 16_384, pool.threads());
        pool.run(n, (c, worker) -> {
            int r1 = Views.chunkStart(c + 1, n, rows);
            for (int r = Views.chunkStart(c, n, rows); r < r1; r++) {
                int slot = b.newSlots()[r];
                Convert.fromF32(ks, Views.at(a.k(), r, 0), kc, dt, (long) slot * kRow, kRow);
                Convert.fromF32(vs, Views.at(a.v(), r, 0), vc, dt, (long) slot * vRow, vRow);
            }
        });
    }

    private void sequence(AttentionArgs a, AttentionBatch b, CpuKvCache cache, int s) {
        int heads = a.heads();
        int kvh = a.kvHeads();
        int group = heads / kvh;
        int hd = a.headDim();
        int vd = a.vHeadDim();
        int window = a.slidingWindow();
        int L = b.qLen()[s];
        int T = b.kvLen()[s];
        int P = T - L;
        // the earliest key any row sees
        int jLo = window > 0 ? Math.max(0, P - window + 1) : 0;
        int tc = T - jLo;
        int tPad = roundUp(tc, KEY_ALIGN);
        long t0 = profile.start();
        MemorySegment kb = kBuf.get((long) kvh * tPad * hd * 2);
        MemorySegment vb = vBuf.get((long) kvh * tPad * vd * 2);
        MemorySegment qb = qBuf.get((long) heads * L * hd * 2);
        gather(a, b, cache, s, jLo, tc, tPad, kb, vb);
        long tq = profile.start();
        profile.stop("attention.gather", t0);
        queries(a, b.qStart()[s], L, qb);
        profile.stop("attention.queries", tq);
        if (onWorkers) {
            long t1 = profile.start();
            onWorkers(a, b, s, L, P, jLo, tPad, kb, vb, qb);
            profile.stop("attention.tasks", t1);
            return;
        }
        int block = (int) Math.min(MAX_BLOCK, Math.max(16, SCORE_BUDGET / (4L * heads * tPad)));
        block = Math.min(block, L);
        MemorySegment sb = sBuf.get(4L * heads * block * tPad);
        MemorySegment pb = pBuf.get(2L * heads * block * tPad);
        MemorySegment os = Views.f32(a.out());
        Tensor out = a.out();
        for (int i0 = 0; i0 < L; i0 += block) {
            int n = Math.min(block, L - i0);
            // keys up to the block's last row, from jLo, padded
            int tb = Math.min(tPad, roundUp(P + i0 + n - jLo, KEY_ALIGN));
            long t1 = profile.start();
            Prim qk = prim(qkKey(kvh, group, n, hd, tb, L, tPad));
            qk.execute(qb.asSlice(2L * i0 * hd), kb, sb);
            long t2 = profile.start();
            profile.stop("attention.qk", t1);
            if (invSums.length < heads * n) invSums = new float[heads * block];
            float[] inv = invSums;
            softmax(a, sb, pb, inv, kvh * group * n, n, tb, P + i0 - jLo, window, a.softCap());
            long t3 = profile.start();
            profile.stop("attention.softmax", t2);
            Prim pv = prim(pvKey(kvh, group, n, tb, vd, tPad, out.rowStride()));
            pv.execute(pb, vb, os.asSlice(4L * out.index(b.qStart()[s] + i0, 0)));
            int row0 = b.qStart()[s] + i0;
            int rowsN = n;
            int chunks = Views.chunks(heads * n, vd, 8_192, pool.threads());
            pool.run(chunks, (c, worker) -> {
                int r1 = Views.chunkStart(c + 1, chunks, heads * rowsN);
                normalize(os, out, row0, rowsN, 0, vd, inv, Views.chunkStart(c, chunks, heads * rowsN), r1);
            });
            profile.stop("attention.pv", t3);
        }
    }

    /** One worker's score and probability buffers and its single-threaded primitives. */
    private static final class Worker {
        final Buf scores = new Buf();
        final Buf probs = new Buf();
        /** amx.profile: this worker's time in S = QK^T, the softmax and PV during one call. */
        final long[] phaseNanos = new long[3];
        /** Per score row of a task: 1 / the sum of its exponentials, applied to its PV row. */
        private float[] invSums = new float[0];

        float[] invSums(int rows) {
            if (invSums.length < rows) invSums = new float[rows];
            return invSums;
        }
        /** Single-threaded, created on this worker at first use. */
        final ClosingLru<Key, Prim> prims = new ClosingLru<>(MAX_PRIMITIVES);

        void close() {
            prims.close();
            scores.close();
            probs.close();
        }
    }

    /**
     * The products and softmax of one sequence as tasks (KV head g, query block): each takes the
     * block's {@code group} heads through S = Q K^T, the softmax and P V on one worker. Blocks are
     * small enough for two tasks per worker; the latest blocks (the most keys) go first.
     */
    private void onWorkers(AttentionArgs a, AttentionBatch b, int s, int L, int P, int jLo, int tPad,
                           MemorySegment kb, MemorySegment vb, MemorySegment qb) {
        int kvh = a.kvHeads();
        int group = a.heads() / kvh;
        int hd = a.headDim();
        int vd = a.vHeadDim();
        int block = MAX_BLOCK;
        while (block > 32 && (long) kvh * ((L + block - 1) / block) < 2L * pool.threads()) block /= 2;
        int blocks = (L + block - 1) / block;
        int blk = block;
        MemorySegment os = Views.f32(a.out());
        Tensor out = a.out();
        int window = a.slidingWindow();
        float cap = a.softCap();
        boolean timed = profile.on();
        if (timed) for (Worker w : workers) java.util.Arrays.fill(w.phaseNanos, 0);
        pool.run(blocks * kvh, (c, worker) -> {
            int bi = blocks - 1 - c / kvh;
            int g = c % kvh;
            int i0 = bi * blk;
            int n = Math.min(blk, L - i0);
            int tb = Math.min(tPad, roundUp(P + i0 + n - jLo, KEY_ALIGN));
            Worker w = workers[worker];
            MemorySegment sb = w.scores.get(4L * group * blk * tPad);
            MemorySegment pb = w.probs.get(2L * group * blk * tPad);
            long t0 = timed ? System.nanoTime() : 0;
            w.prims.get(qkKey(1, group, n, hd, tb, L, tPad), k -> new Prim(k, 1))
                    .execute(qb.asSlice(2L * ((long) g * group * L + i0) * hd), kb.asSlice(2L * g * tPad * hd), sb);
            long t1 = timed ? System.nanoTime() : 0;
            int off = P + i0 - jLo;
            float[] inv = w.invSums(group * blk);
            for (int r = 0; r < group * n; r++) inv[r] = softmaxRow(sb, pb, r, n, tb, off, window, cap);
            long t2 = timed ? System.nanoTime() : 0;
            w.prims.get(pvKey(1, group, n, tb, vd, tPad, out.rowStride()), k -> new Prim(k, 1))
                    .execute(pb, vb.asSlice(2L * g * tPad * vd),
                            os.asSlice(4L * (out.index(b.qStart()[s] + i0, 0) + (long) g * group * vd)));
            normalize(os, out, b.qStart()[s] + i0, n, g * group, vd, inv, 0, group * n);
            if (timed) {
                w.phaseNanos[0] += t1 - t0;
                w.phaseNanos[1] += t2 - t1;
                w.phaseNanos[2] += System.nanoTime() - t2;
            }
        });
        if (timed) { // per phase: the workers' summed time over their count, i.e. the wall time if balanced
            long[] sum = new long[3];
            for (Worker w : workers) for (int i = 0; i < 3; i++) sum[i] += w.phaseNanos[i];
            profile.add("attention.tasks.qk", sum[0] / workers.length);
            profile.add("attention.tasks.softmax", sum[1] / workers.length);
            profile.add("attention.tasks.pv", sum[2] / workers.length);
        }
        Dnnl.ompSetNumThreads(dnnl.threads); // the caller ran tasks as worker 0
    }

    private static int roundUp(int x, int m) {
        return (x + m - 1) / m * m;
    }

    /** Dense bf16 K and V of keys {@code [jLo, jLo + tc)} per KV head; rows {@code [tc, tPad)} zero. */
    private void gather(AttentionArgs a, AttentionBatch b, CpuKvCache cache, int s, int jLo, int tc, int tPad,
                        MemorySegment kb, MemorySegment vb) {
        int kvh = a.kvHeads();
        int hd = a.headDim();
        int vd = a.vHeadDim();
        MemorySegment kc = cache.keys(a.layer());
        MemorySegment vc = cache.values(a.layer());
        int kRow = cache.kRow();
        int vRow = cache.vRow();
        DType dt = cache.spec().dtype();
        int[] table = b.slotTable();
        int base = b.slotStart()[s] + jLo;
        int n = Views.chunks(tPad, (long) kvh * (hd + vd), 16_384, pool.threads());
        pool.run(n, (c, worker) -> {
            int t1 = Views.chunkStart(c + 1, n, tPad);
            for (int t = Views.chunkStart(c, n, tPad); t < t1; t++) {
                if (t >= tc) {
                    for (int g = 0; g < kvh; g++) {
                        kb.asSlice(2L * ((long) g * tPad + t) * hd, 2L * hd).fill((byte) 0);
                        vb.asSlice(2L * ((long) g * tPad + t) * vd, 2L * vd).fill((byte) 0);
                    }
                    continue;
                }
                long slot = table[base + t];
                for (int g = 0; g < kvh; g++) {
                    toBf16(kc, dt, slot * kRow + (long) g * hd, kb, 2L * ((long) g * tPad + t) * hd, hd);
                    toBf16(vc, dt, slot * vRow + (long) g * vd, vb, 2L * ((long) g * tPad + t) * vd, vd);
                }
            }
        });
    }

    /** {@code n} cached values (element index {@code src}) as bf16 at byte {@code dstByte}. */
    private static void toBf16(MemorySegment seg, DType dt, long src, MemorySegment dst, long dstByte, int n) {
        switch (dt) {
            case BF16 -> MemorySegment.copy(seg, 2 * src, dst, dstByte, 2L * n);
            case F32 -> Convert.f32ToBf16(seg, 4 * src, dst, dstByte, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    float f = Float.float16ToFloat(seg.get(SHORT, 2 * (src + i)));
                    dst.set(SHORT, dstByte + 2L * i, io.jsgl.spi.host.Numerics.floatToBf16(f));
                }
            }
            default -> throw new IllegalArgumentException("KV dtype " + dt);
        }
    }

    /** {@code Q[h][i][:] = bf16(q[row0 + i][h * hd + :] * scale)}. */
    private void queries(AttentionArgs a, int row0, int rowsN, MemorySegment qb) {
        Tensor q = a.q();
        MemorySegment qs = Views.f32(q);
        int heads = a.heads();
        int hd = a.headDim();
        float scale = a.scale();
        int n = Views.chunks(rowsN, (long) heads * hd, 16_384, pool.threads());
        pool.run(n, (c, worker) -> {
            int r1 = Views.chunkStart(c + 1, n, rowsN);
            for (int i = Views.chunkStart(c, n, rowsN); i < r1; i++) {
                for (int h = 0; h < heads; h++) {
                    scaledBf16(qs, Views.at(q, row0 + i, h * hd), qb, 2L * ((long) h * rowsN + i) * hd, hd, scale);
                }
            }
        });
    }

    /** {@code n} f32 values times {@code scale}, rounded to nearest even bf16. */
    private static void scaledBf16(MemorySegment src, long srcByte, MemorySegment dst, long dstByte, int n, float scale) {
        int i = 0;
        for (; i <= n - F.length(); i += F.length()) { // head dims are whole vectors: no masks
            FloatVector v = FloatVector.fromMemorySegment(F, src, srcByte + 4L * i, LE).mul(scale);
            IntVector bits = v.reinterpretAsInts();
            IntVector r = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1).add(0x7fff))
                    .lanewise(VectorOperators.LSHR, 16);
            ((ShortVector) r.convertShape(VectorOperators.I2S, S, 0)).intoMemorySegment(dst, dstByte + 2L * i, LE);
        }
        for (; i < n; i += F.length()) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = FloatVector.fromMemorySegment(F, src, srcByte + 4L * i, LE, m).mul(scale);
            IntVector bits = v.reinterpretAsInts();
            IntVector r = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1).add(0x7fff))
                    .lanewise(VectorOperators.LSHR, 16);
            ((ShortVector) r.convertShape(VectorOperators.I2S, S, 0)).intoMemorySegment(dst, dstByte + 2L * i, LE,
                    m.cast(S));
        }
    }

    /**
     * Row {@code r} of the block's scores ({@code r = (head * n + i)}, query row {@code i} at key
     * offset {@code off + i} relative to the gathered keys) to normalized bf16 probabilities;
     * masked keys get 0.
     */
    private void softmax(AttentionArgs a, MemorySegment sb, MemorySegment pb, float[] inv, int rowCount, int n, int tb,
                         int off, int window, float cap) {
        int chunks = Views.chunks(rowCount, tb, 8_192, pool.threads());
        pool.run(chunks, (c, worker) -> {
            int r1 = Views.chunkStart(c + 1, chunks, rowCount);
            for (int r = Views.chunkStart(c, chunks, rowCount); r < r1; r++) {
                inv[r] = softmaxRow(sb, pb, r, n, tb, off, window, cap);
            }
        });
    }

    /**
     * Row {@code r} (head {@code r / n}, query row {@code r % n}) of scores to bf16 {@code exp(s - max)}
     * over the keys the row sees, zero elsewhere; returns 1 / their sum, which the caller applies to
     * the row's PV output (a row of the head dim instead of a third pass over all the keys).
     */
    private static float softmaxRow(MemorySegment sb, MemorySegment pb, int r, int n, int tb, int off, int window,
                                    float cap) {
        int i = r % n;
        int last = off + i; // relative index of the row's own position
        int hi = Math.min(tb, last + 1);
        int lo = window > 0 ? Math.max(0, last - window + 1) : 0;
        long so = 4L * r * tb;
        long po = 2L * r * tb;
        if (cap > 0) softCap(sb, so, lo, hi, cap);
        float mx = rowMax(sb, so, lo, hi);
        if (lo > 0) pb.asSlice(po, 2L * lo).fill((byte) 0);
        float sum = rowExpBf16(sb, so, pb, po, lo, hi, mx);
        if (hi < tb) pb.asSlice(po + 2L * hi, 2L * (tb - hi)).fill((byte) 0);
        return 1f / sum;
    }

    private static void softCap(MemorySegment sb, long so, int lo, int hi, float cap) {
        float inv = 1f / cap;
        for (int j = lo; j < hi; j += F.length()) {
            VectorMask<Float> m = F.indexInRange(j, hi);
            FloatVector.fromMemorySegment(F, sb, so + 4L * j, LE, m).mul(inv).lanewise(VectorOperators.TANH).mul(cap)
                    .intoMemorySegment(sb, so + 4L * j, LE, m);
        }
    }

    /** Whole vectors without masks, then one masked tail. */
    private static float rowMax(MemorySegment sb, long so, int lo, int hi) {
        FloatVector mx = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int j = lo;
        for (; j <= hi - F.length(); j += F.length()) mx = mx.max(FloatVector.fromMemorySegment(F, sb, so + 4L * j, LE));
        if (j < hi) {
            VectorMask<Float> m = F.indexInRange(j, hi);
            mx = mx.blend(mx.max(FloatVector.fromMemorySegment(F, sb, so + 4L * j, LE, m)), m);
        }
        return mx.reduceLanes(VectorOperators.MAX);
    }

    /** bf16 {@code exp(s - mx)} over {@code [lo, hi)} (round to nearest even); returns their f32 sum. */
    private static float rowExpBf16(MemorySegment sb, long so, MemorySegment pb, long po, int lo, int hi, float mx) {
        FloatVector sum = FloatVector.zero(F);
        int j = lo;
        for (; j <= hi - F.length(); j += F.length()) {
            FloatVector e = VectorExp.exp(FloatVector.fromMemorySegment(F, sb, so + 4L * j, LE).sub(mx));
            sum = sum.add(e);
            IntVector bits = e.reinterpretAsInts();
            IntVector rb = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1).add(0x7fff))
                    .lanewise(VectorOperators.LSHR, 16);
            ((ShortVector) rb.convertShape(VectorOperators.I2S, S, 0)).intoMemorySegment(pb, po + 2L * j, LE);
        }
        float tail = 0;
        for (; j < hi; j++) { // scalar: a masked bf16 store needs a mask cast C2 does not make cheap
            float e = (float) Math.exp(sb.get(FLOAT, so + 4L * j) - mx);
            tail += e;
            pb.set(SHORT, po + 2L * j, io.jsgl.spi.host.Numerics.floatToBf16(e));
        }
        return sum.reduceLanes(VectorOperators.ADD) + tail;
    }

    /**
     * The softmax's normalization, applied to the PV output: score row {@code r} in
     * {@code [from, to)} (head {@code headBase + r / n}, query row {@code row0 + r % n}) has its
     * {@code vd} output values multiplied by {@code inv[r]}.
     */
    private static void normalize(MemorySegment os, Tensor out, int row0, int n, int headBase, int vd, float[] inv,
                                  int from, int to) {
        for (int r = from; r < to; r++) {
            scale(os, 4L * (out.index(row0 + r % n, 0) + (long) (headBase + r / n) * vd), vd, inv[r]);
        }
    }

    /** {@code n} floats at byte {@code at} times {@code f}. */
    private static void scale(MemorySegment seg, long at, int n, float f) {
        int j = 0;
        for (; j <= n - F.length(); j += F.length()) {
            FloatVector.fromMemorySegment(F, seg, at + 4L * j, LE).mul(f).intoMemorySegment(seg, at + 4L * j, LE);
        }
        for (; j < n; j++) seg.set(FLOAT, at + 4L * j, seg.get(FLOAT, at + 4L * j) * f);
    }

    private Prim prim(Key key) {
        return prims.get(key, k -> {
            long t0 = profile.start();
            Prim p = new Prim(k);
            profile.stop("attention.create_primitive", t0);
            return p;
        });
    }

    /** The implementation oneDNN picked for the most recent primitive, for tests and reports. */
    String lastImplementation() {
        String impl = null;
        for (Prim p : prims.values()) impl = p.impl;
        for (Worker w : workers) for (Prim p : w.prims.values()) impl = p.impl;
        return impl;
    }

    /** A growable 64-byte-aligned native buffer. */
    private static final class Buf {
        private Arena arena;
        private MemorySegment seg = MemorySegment.NULL;

        MemorySegment get(long bytes) {
            if (seg.byteSize() < bytes) {
                if (arena != null) arena.close();
                arena = Arena.ofShared();
                seg = arena.allocate(Math.max(bytes, seg.byteSize() * 5 / 4), 64);
            }
            return seg;
        }

        void close() {
            if (arena != null) arena.close();
            arena = null;
            seg = MemorySegment.NULL;
        }
    }

    /**
     * A batched matmul {@code dst[b0, b1, m, n] = src[b0, b1, m, k] x wei[b0, 1, k, n]} (bf16 x bf16 ->
     * f32), dims {@code {b0, b1, m, k, n}}, each operand with its own strides.
     */
    private final class Prim implements AutoCloseable {
        final MemorySegment pd;
        final MemorySegment prim;
        final String impl;
        final MemorySegment srcMem;
        final MemorySegment weiMem;
        final MemorySegment dstMem;
        final Arena arena = Arena.ofShared();
        final MemorySegment args;
        /** OpenMP threads it runs on: the backend's, or 1 for a worker's own. */
        final int nthr;

        Prim(Key key) {
            this(key, dnnl.threads);
        }

        Prim(Key key, int nthr) {
            this.nthr = nthr;
            long[] d = key.dims;
            Dnnl.ompSetNumThreads(nthr);
            MemorySegment srcMd = Dnnl.mdStrides(new long[] {d[0], d[1], d[2], d[3]}, Dnnl.BF16, key.srcStrides);
            MemorySegment weiMd = Dnnl.mdStrides(new long[] {d[0], 1, d[3], d[4]}, Dnnl.BF16, key.weiStrides);
            MemorySegment dstMd = Dnnl.mdStrides(new long[] {d[0], d[1], d[2], d[4]}, Dnnl.F32, key.dstStrides);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(ADDRESS);
                Dnnl.check(Dnnl.matmulPd(out, dnnl.engine, srcMd, weiMd, MemorySegment.NULL, dstMd, MemorySegment.NULL),
                        "attention matmul " + Arrays.toString(d));
                pd = out.get(ADDRESS, 0);
                impl = Dnnl.pdImplInfo(pd);
                prim = Dnnl.primitiveCreate(pd);
                srcMem = Dnnl.memoryCreate(srcMd, dnnl.engine, MemorySegment.NULL);
                weiMem = Dnnl.memoryCreate(weiMd, dnnl.engine, MemorySegment.NULL);
                dstMem = Dnnl.memoryCreate(dstMd, dnnl.engine, MemorySegment.NULL);
            } finally {
                Dnnl.mdDestroy(srcMd);
                Dnnl.mdDestroy(weiMd);
                Dnnl.mdDestroy(dstMd);
            }
            args = arena.allocate(3 * Dnnl.EXEC_ARG_BYTES, 8);
            Dnnl.setArg(args, 0, Dnnl.ARG_SRC, srcMem);
            Dnnl.setArg(args, 1, Dnnl.ARG_WEIGHTS, weiMem);
            Dnnl.setArg(args, 2, Dnnl.ARG_DST, dstMem);
        }

        void execute(MemorySegment src, MemorySegment wei, MemorySegment dst) {
            Dnnl.memorySetHandle(srcMem, src);
            Dnnl.memorySetHandle(weiMem, wei);
            Dnnl.memorySetHandle(dstMem, dst);
            Dnnl.ompSetNumThreads(nthr);
            Dnnl.execute(prim, dnnl.stream, 3, args);
        }

        @Override
        public void close() {
            Dnnl.memoryDestroy(srcMem);
            Dnnl.memoryDestroy(weiMem);
            Dnnl.memoryDestroy(dstMem);
            Dnnl.primitiveDestroy(prim);
            Dnnl.pdDestroy(pd);
            arena.close();
        }
    }

    @Override
    public void close() {
        prims.close();
        for (Worker w : workers) w.close();
        kBuf.close();
        vBuf.close();
        qBuf.close();
        sBuf.close();
        pBuf.close();
    }
}
