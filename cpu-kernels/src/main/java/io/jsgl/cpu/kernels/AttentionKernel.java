package io.jsgl.cpu.kernels;

import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.DType;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.op.AttentionArgs;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Paged causal attention with an online softmax, grouped-query heads, sliding window and soft-cap.
 *
 * <p>Work is split into chunks of (sequence, KV head, block of query rows). A chunk walks the keys
 * its rows can see in blocks of 16: the block's K is transposed once into {@code [dim][16]} and its
 * V widened once to f32, then every (query row, query head of the group) pair of the chunk takes 16
 * scores with {@code headDim} broadcast FMAs, updates its running max and sum, and accumulates
 * {@code p * V} over the value dimension. Converting a block once for all pairs of the chunk is
 * what makes prefill fast; chunks go largest-first so the causal triangle balances across threads.
 */
public final class AttentionKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final int B = 16; // lanes per vector
    /** Keys per block: four vectors of scores, so the softmax bookkeeping is paid once per 64 keys. */
    private static final int KB = 64;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** Query rows per chunk. */
    private static final int ROW_BLOCK = 32;
    /** (row, head) pairs of a chunk from which its key blocks are transposed for scoring. */
    private static final int TRANSPOSE_MIN_PAIRS = 8;

    private final WorkerPool pool;
    private final Scratch[] scratch;
    private final SharedPrefixPlan plan = new SharedPrefixPlan();
    /** Softmax state of each shared-prefix decode row's heads after the shared pass: [seq][head]. */
    private float[] stateM = new float[0];
    private float[] stateL = new float[0];
    private float[] stateAcc = new float[0];
    /** Split decode: each part's unnormalized softmax state, [chunk][part][pair] (acc: x vdPad). */
    private float[] partM = new float[0];
    private float[] partL = new float[0];
    private float[] partAcc = new float[0];

    private static final class Scratch {
        float[] kT = new float[0];
        float[] vB = new float[0];
        float[] q = new float[0];
        float[] acc = new float[0];
        float[] m = new float[0];
        float[] l = new float[0];
        final float[] p = new float[KB];

        void ensure(int hd, int vdPad, int pairs) {
            if (kT.length < hd * KB) kT = new float[hd * KB];
            if (vB.length < KB * vdPad) vB = new float[KB * vdPad];
            if (q.length < pairs * hd) q = new float[pairs * hd];
            if (acc.length < pairs * vdPad) acc = new float[pairs * vdPad];
            if (m.length < pairs) {
                m = new float[pairs];
                l = new float[pairs];
            }
        }
    }

    public AttentionKernel(WorkerPool pool) {
        this.pool = pool;
        this.scratch = new Scratch[pool.threads()];
        for (int i = 0; i < scratch.length; i++) scratch[i] = new Scratch();
    }

    public void run(AttentionArgs a, AttentionBatch b) {
        if (!(a.cache() instanceof CpuKvCache cache)) {
            throw new IllegalArgumentException("KV cache " + a.cache().getClass().getName() + " is not this backend's");
        }
        int rows = b.rows();
        if (rows == 0) return;
        Views.checkRows(a.q(), rows, "attention q");
        Views.checkRows(a.k(), rows, "attention k");
        Views.checkRows(a.v(), rows, "attention v");
        Views.checkRows(a.out(), rows, "attention out");
        store(a, b, cache);
        int kvh = a.kvHeads();
        int group = a.heads() / kvh;
        // chunk list: (sequence, kv head, row block), largest row offsets first
        int count = 0;
        for (int s = 0; s < b.sequences(); s++) count += ceilDiv(b.qLen()[s], ROW_BLOCK) * kvh;
        int[] seqOf = new int[count];
        int[] headOf = new int[count];
        int[] startOf = new int[count];
        int c = 0;
        int maxBlocks = 0;
        for (int s = 0; s < b.sequences(); s++) maxBlocks = Math.max(maxBlocks, ceilDiv(b.qLen()[s], ROW_BLOCK));
        for (int blk = maxBlocks - 1; blk >= 0; blk--) {
            for (int s = 0; s < b.sequences(); s++) {
                if (blk * ROW_BLOCK >= b.qLen()[s]) continue;
                for (int g = 0; g < kvh; g++) {
                    seqOf[c] = s;
                    headOf[c] = g;
                    startOf[c] = blk * ROW_BLOCK;
                    c++;
                }
            }
        }
        MemorySegment qs = Views.f32(a.q());
        MemorySegment os = Views.f32(a.out());
        MemorySegment kc = cache.k[a.layer()];
        MemorySegment vc = cache.v[a.layer()];
        DType dt = cache.spec().dtype();
        int n = b.sequences();
        Shared shared = null;
        if (a.slidingWindow() <= 0 && n > 1) {
            plan.plan(b, KB);
            if (plan.items > 0) {
                int heads = a.heads();
                int vdPad = (a.vHeadDim() + B - 1) / B * B;
                if (stateM.length < n * heads) {
                    stateM = new float[n * heads];
                    stateL = new float[n * heads];
                }
                if (stateAcc.length < n * heads * vdPad) stateAcc = new float[n * heads * vdPad];
                shared = new Shared(plan, stateM, stateL, stateAcc, heads);
                Shared sh = shared;
                pool.run(plan.items * kvh, (ch, worker) ->
                        sharedPass(a, b, cache, dt, kc, vc, qs, sh, ch / kvh, ch % kvh, group, scratch[worker]));
            }
        }
        Shared sh = shared;
        int split = shared == null ? decodeSplit(b, count) : 1;
        Parts parts = null;
        if (split > 1) {
            int vdPad = (a.vHeadDim() + B - 1) / B * B;
            int states = count * split * group;
            if (partM.length < states) {
                partM = new float[states];
                partL = new float[states];
            }
            if (partAcc.length < states * vdPad) partAcc = new float[states * vdPad];
            parts = new Parts(split, partM, partL, partAcc);
        }
        Parts ps = parts;
        pool.run(count * split, (ch, worker) -> {
            int c0 = ch / split;
            int s = seqOf[c0];
            int i0 = startOf[c0];
            int i1 = Math.min(b.qLen()[s], i0 + ROW_BLOCK);
            chunk(a, b, cache, dt, kc, vc, qs, os, s, headOf[c0], group, i0, i1, scratch[worker], sh, ps, ch);
        });
        if (ps != null) {
            pool.run(count, (c0, worker) -> combine(a, b, os, ps, c0, seqOf[c0], headOf[c0], group));
        }
    }

    /**
     * Parts to split each chunk's keys into when every chunk is one decode row and there are too
     * few chunks for the threads (one sequence has only {@code kvHeads} of them): flash-decoding,
     * each part at least two key blocks long, merged by {@link #combine}.
     */
    private int decodeSplit(AttentionBatch b, int count) {
        int threads = pool.threads();
        if (threads == 1 || count >= threads) return 1;
        int maxKeys = 0;
        for (int s = 0; s < b.sequences(); s++) {
            if (b.qLen()[s] != 1) return 1;
            maxKeys = Math.max(maxKeys, b.position(s, 0) + 1);
        }
        int split = Math.min(ceilDiv(2 * threads, count), maxKeys / (2 * KB));
        return Math.max(1, Math.min(split, WorkerPool.MAX_CHUNKS / count));
    }

    /** Where the parts of a split decode leave their state. */
    private record Parts(int split, float[] m, float[] l, float[] acc) {}

    /** Merges the parts of decode chunk {@code c0} (sequence s, KV head g) and writes its heads' output. */
    private static void combine(AttentionArgs a, AttentionBatch b, MemorySegment os, Parts ps, int c0, int s, int g,
                                int group) {
        int vd = a.vHeadDim();
        int vdPad = (vd + B - 1) / B * B;
        int row = b.qStart()[s];
        for (int hh = 0; hh < group; hh++) {
            int st0 = c0 * ps.split * group + hh; // part p's state is at st0 + p * group
            float mx = Float.NEGATIVE_INFINITY;
            for (int part = 0; part < ps.split; part++) mx = Math.max(mx, ps.m[st0 + part * group]);
            float sum = 0f;
            for (int part = 0; part < ps.split; part++) {
                float m = ps.m[st0 + part * group];
                sum += m == Float.NEGATIVE_INFINITY ? 0f : ps.l[st0 + part * group] * (float) Math.exp(m - mx);
            }
            float inv = 1f / sum;
            long oo = Views.at(a.out(), row, (g * group + hh) * vd);
            for (int dv = 0; dv < vd; dv += B) {
                FloatVector o = FloatVector.zero(F);
                for (int part = 0; part < ps.split; part++) {
                    int st = st0 + part * group;
                    if (ps.m[st] == Float.NEGATIVE_INFINITY) continue; // a part with no visible key
                    float w = (float) Math.exp(ps.m[st] - mx) * inv;
                    o = FloatVector.fromArray(F, ps.acc, st * vdPad + dv).fma(FloatVector.broadcast(F, w), o);
                }
                o.intoMemorySegment(os, oo + 4L * dv, LE, F.indexInRange(dv, vd));
            }
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Writes the new rows' K and V into their slots. */
    private void store(AttentionArgs a, AttentionBatch b, CpuKvCache cache) {
        MemorySegment ks = Views.f32(a.k());
        MemorySegment vs = Views.f32(a.v());
        MemorySegment kc = cache.k[a.layer()];
        MemorySegment vc = cache.v[a.layer()];
        DType dt = cache.spec().dtype();
        int rows = b.rows();
        int slots = cache.spec().slots();
        for (int r = 0; r < rows; r++) {
            int slot = b.newSlots()[r];
            if (slot < 0 || slot >= slots) throw new IndexOutOfBoundsException("slot " + slot + " outside KV pool of " + slots);
        }
        int n = Views.chunks(rows, cache.kRow + cache.vRow, 16_384, pool.threads());
        pool.run(n, (c, worker) -> {
            int r1 = Views.chunkStart(c + 1, n, rows);
            for (int r = Views.chunkStart(c, n, rows); r < r1; r++) {
                int slot = b.newSlots()[r];
                Convert.fromF32(ks, Views.at(a.k(), r, 0), kc, dt, (long) slot * cache.kRow, cache.kRow);
                Convert.fromF32(vs, Views.at(a.v(), r, 0), vc, dt, (long) slot * cache.vRow, cache.vRow);
            }
        });
    }

    /**
     * One (query row, head) pair against one key block: 64 scores as four vectors, masking to lanes {@code [lo, hi)}, the online-softmax update of the
     * pair's max and sum, and {@code acc = acc * corr + sum_j p_j V_j} four value vectors at a time.
     * Vectors never cross a method boundary here: a Vector API value passed to or returned from a
     * method C2 does not inline is boxed on the heap, which costs more than the math.
     */
    private static void pairUpdate(float[] q, int pair, int hd, float[] kT, float cap, int lo, int hi, float[] m,
                                   float[] l, float[] p, float[] acc, int vdPad, float[] vB) {
        int qb = pair * hd;
        // four score vectors (keys 0-15, 16-31, ...): four independent FMA chains over the head dim
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = FloatVector.zero(F);
        FloatVector s2 = FloatVector.zero(F);
        FloatVector s3 = FloatVector.zero(F);
        for (int d = 0; d < hd; d++) {
            FloatVector qd = FloatVector.broadcast(F, q[qb + d]);
            int ko = d * KB;
            s0 = FloatVector.fromArray(F, kT, ko).fma(qd, s0);
            s1 = FloatVector.fromArray(F, kT, ko + B).fma(qd, s1);
            s2 = FloatVector.fromArray(F, kT, ko + 2 * B).fma(qd, s2);
            s3 = FloatVector.fromArray(F, kT, ko + 3 * B).fma(qd, s3);
        }
        s0.intoArray(p, 0);
        s1.intoArray(p, B);
        s2.intoArray(p, 2 * B);
        s3.intoArray(p, 3 * B);
        softmaxAndValues(pair, cap, lo, hi, m, l, p, acc, vdPad, vB);
    }

    /**
     * Decode's pair update: with one query row a key block serves only the group's few heads, too
     * few to repay transposing it, so each visible key's score is a dot product with its row of
     * {@code kB} ({@code [64][hdPad]}, zero-padded channels).
     */
    private static void pairUpdateDirect(float[] q, int pair, int hd, float[] kB, int hdPad, float cap, int lo, int hi,
                                         float[] m, float[] l, float[] p, float[] acc, int vdPad, float[] vB) {
        int qb = pair * hdPad;
        for (int jj = lo; jj < hi; jj++) {
            int ko = jj * hdPad;
            FloatVector dot = FloatVector.fromArray(F, q, qb).mul(FloatVector.fromArray(F, kB, ko));
            for (int d = B; d < hdPad; d += B) {
                dot = FloatVector.fromArray(F, q, qb + d).fma(FloatVector.fromArray(F, kB, ko + d), dot);
            }
            p[jj] = dot.reduceLanes(VectorOperators.ADD);
        }
        softmaxAndValues(pair, cap, lo, hi, m, l, p, acc, vdPad, vB);
    }

    /**
     * Scores {@code p[0..64)} (lanes {@code [lo, hi)} visible) into the pair's running max and
     * sum, then {@code acc = acc * corr + sum_j p_j V_j}, four value vectors at a time.
     */
    private static void softmaxAndValues(int pair, float cap, int lo, int hi, float[] m, float[] l, float[] p,
                                         float[] acc, int vdPad, float[] vB) {
        FloatVector s0 = FloatVector.fromArray(F, p, 0);
        FloatVector s1 = FloatVector.fromArray(F, p, B);
        FloatVector s2 = FloatVector.fromArray(F, p, 2 * B);
        FloatVector s3 = FloatVector.fromArray(F, p, 3 * B);
        if (cap > 0) {
            s0 = s0.div(cap).lanewise(VectorOperators.TANH).mul(cap);
            s1 = s1.div(cap).lanewise(VectorOperators.TANH).mul(cap);
            s2 = s2.div(cap).lanewise(VectorOperators.TANH).mul(cap);
            s3 = s3.div(cap).lanewise(VectorOperators.TANH).mul(cap);
        }
        // keys j in [lo, hi) are visible; the rest score -inf
        FloatVector ninf = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        s0 = ninf.blend(s0, F.indexInRange(-lo, hi - lo));
        s1 = ninf.blend(s1, F.indexInRange(B - lo, hi - lo));
        s2 = ninf.blend(s2, F.indexInRange(2 * B - lo, hi - lo));
        s3 = ninf.blend(s3, F.indexInRange(3 * B - lo, hi - lo));
        float mOld = m[pair];
        float mx = Math.max(mOld, s0.max(s1).max(s2.max(s3)).reduceLanes(VectorOperators.MAX));
        FloatVector p0 = VectorExp.exp(s0.sub(mx));
        FloatVector p1 = VectorExp.exp(s1.sub(mx));
        FloatVector p2 = VectorExp.exp(s2.sub(mx));
        FloatVector p3 = VectorExp.exp(s3.sub(mx));
        float corr = mOld == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(mOld - mx);
        l[pair] = l[pair] * corr + p0.add(p1).add(p2.add(p3)).reduceLanes(VectorOperators.ADD);
        m[pair] = mx;
        p0.intoArray(p, 0);
        p1.intoArray(p, B);
        p2.intoArray(p, 2 * B);
        p3.intoArray(p, 3 * B);
        int ab = pair * vdPad;
        int dv = 0;
        for (; dv + 4 * B <= vdPad; dv += 4 * B) {
            FloatVector a0 = FloatVector.fromArray(F, acc, ab + dv).mul(corr);
            FloatVector a1 = FloatVector.fromArray(F, acc, ab + dv + B).mul(corr);
            FloatVector a2 = FloatVector.fromArray(F, acc, ab + dv + 2 * B).mul(corr);
            FloatVector a3 = FloatVector.fromArray(F, acc, ab + dv + 3 * B).mul(corr);
            for (int jj = lo; jj < hi; jj++) {
                FloatVector pj = FloatVector.broadcast(F, p[jj]);
                int vo = jj * vdPad + dv;
                a0 = FloatVector.fromArray(F, vB, vo).fma(pj, a0);
                a1 = FloatVector.fromArray(F, vB, vo + B).fma(pj, a1);
                a2 = FloatVector.fromArray(F, vB, vo + 2 * B).fma(pj, a2);
                a3 = FloatVector.fromArray(F, vB, vo + 3 * B).fma(pj, a3);
            }
            a0.intoArray(acc, ab + dv);
            a1.intoArray(acc, ab + dv + B);
            a2.intoArray(acc, ab + dv + 2 * B);
            a3.intoArray(acc, ab + dv + 3 * B);
        }
        for (; dv < vdPad; dv += B) {
            FloatVector av = FloatVector.fromArray(F, acc, ab + dv).mul(corr);
            for (int jj = lo; jj < hi; jj++) {
                av = FloatVector.fromArray(F, vB, jj * vdPad + dv).fma(FloatVector.broadcast(F, p[jj]), av);
            }
            av.intoArray(acc, ab + dv);
        }
    }

    /** Column {@code jj} of the transposed key block from one cached key row. */
    private static void transposeKey(MemorySegment kc, DType dt, long base, int hd, float[] kT, int jj) {
        switch (dt) {
            case F32 -> {
                for (int d = 0; d < hd; d++) kT[d * KB + jj] = kc.get(FLOAT, 4 * (base + d));
            }
            case BF16 -> {
                for (int d = 0; d < hd; d++) {
                    kT[d * KB + jj] = Float.intBitsToFloat((kc.get(SHORT, 2 * (base + d)) & 0xffff) << 16);
                }
            }
            default -> {
                for (int d = 0; d < hd; d++) kT[d * KB + jj] = read(kc, dt, base + d);
            }
        }
    }

    /**
     * {@code n} pool elements from element {@code index} into {@code dst[at..]} as f32. Straight into
     * the array: a vector store into a heap segment at a call site that also sees native segments
     * fell off the Vector API intrinsics (JFR showed the generic store path on top).
     */
    private static void widen(MemorySegment seg, DType dt, long index, float[] dst, int at, int n) {
        switch (dt) {
            case F32 -> MemorySegment.copy(seg, FLOAT, 4 * index, dst, at, n);
            case BF16 -> {
                for (int i = 0; i < n; i++) dst[at + i] = Float.intBitsToFloat((seg.get(SHORT, 2 * (index + i)) & 0xffff) << 16);
            }
            default -> {
                for (int i = 0; i < n; i++) dst[at + i] = read(seg, dt, index + i);
            }
        }
    }

    /** Query head columns {@code [col, col+hd)} of {@code row}, pre-scaled, into pair {@code pair}'s zero-padded slot. */
    private static void loadQuery(MemorySegment qs, Tensor qt, int row, int col, int hd, int hdPad, float scale, float[] q,
                                  int pair) {
        long qo = Views.at(qt, row, col);
        for (int d = 0; d < hd; d++) q[pair * hdPad + d] = qs.get(FLOAT, qo + 4L * d) * scale;
        for (int d = hd; d < hdPad; d++) q[pair * hdPad + d] = 0f;
    }

    /**
     * Keys {@code table[from .. from+jn)} of KV head g into one block: K transposed to {@code [d][KB]}
     * (or, for direct scoring, row-major {@code [KB][hdPad]}), V widened to {@code [KB][vdPad]};
     * rows past jn are zero.
     */
    private static void loadBlock(MemorySegment kc, MemorySegment vc, DType dt, CpuKvCache cache, int[] table, int from,
                                  int jn, int g, int hd, int vd, int hdPad, int vdPad, boolean direct, float[] kT,
                                  float[] vB) {
        for (int jj = 0; jj < KB; jj++) {
            if (jj < jn) {
                long slot = table[from + jj];
                if (direct) {
                    widen(kc, dt, slot * cache.kRow + (long) g * hd, kT, jj * hdPad, hd);
                    if (hdPad > hd) java.util.Arrays.fill(kT, jj * hdPad + hd, jj * hdPad + hdPad, 0f);
                } else {
                    transposeKey(kc, dt, slot * cache.kRow + (long) g * hd, hd, kT, jj);
                }
                widen(vc, dt, slot * cache.vRow + (long) g * vd, vB, jj * vdPad, vd);
            } else {
                if (direct) java.util.Arrays.fill(kT, jj * hdPad, jj * hdPad + hdPad, 0f);
                else for (int d = 0; d < hd; d++) kT[d * KB + jj] = 0f;
                java.util.Arrays.fill(vB, jj * vdPad, jj * vdPad + vdPad, 0f);
            }
        }
    }

    /** The plan of this call and where its shared pass leaves each row's softmax state. */
    private record Shared(SharedPrefixPlan plan, float[] m, float[] l, float[] acc, int heads) {}

    /**
     * Cascade attention's shared pass for one plan item and KV head: the item's decode rows (every
     * query head of the group) walk the keys their sequences share, each block loaded once from
     * the first member's slots, and leave their unnormalized state for {@link #chunk} to continue.
     */
    private static void sharedPass(AttentionArgs a, AttentionBatch b, CpuKvCache cache, DType dt, MemorySegment kc,
                                   MemorySegment vc, MemorySegment qs, Shared shared, int item, int g, int group,
                                   Scratch w) {
        SharedPrefixPlan plan = shared.plan;
        int m0 = plan.itemFrom[item], m1 = plan.itemTo[item], keys = plan.itemShared[item];
        int leader = plan.members[m0];
        int hd = a.headDim();
        int vd = a.vHeadDim();
        int vdPad = (vd + B - 1) / B * B;
        int pairs = (m1 - m0) * group;
        boolean direct = pairs < TRANSPOSE_MIN_PAIRS;
        int hdPad = direct ? (hd + B - 1) / B * B : hd;
        w.ensure(hdPad, vdPad, pairs);
        float[] kT = w.kT, vB = w.vB, q = w.q, acc = w.acc, m = w.m, l = w.l, p = w.p;
        float scale = a.scale();
        float cap = a.softCap();
        for (int mi = m0; mi < m1; mi++) {
            int row = b.qStart()[plan.members[mi]];
            for (int hh = 0; hh < group; hh++) {
                loadQuery(qs, a.q(), row, (g * group + hh) * hd, hd, hdPad, scale, q, (mi - m0) * group + hh);
            }
        }
        java.util.Arrays.fill(m, 0, pairs, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(l, 0, pairs, 0f);
        java.util.Arrays.fill(acc, 0, pairs * vdPad, 0f);
        int slotBase = b.slotStart()[leader];
        int[] table = b.slotTable();
        for (int j0 = 0; j0 < keys; j0 += KB) {
            int jn = Math.min(KB, keys - j0);
            loadBlock(kc, vc, dt, cache, table, slotBase + j0, jn, g, hd, vd, hdPad, vdPad, direct, kT, vB);
            for (int pair = 0; pair < pairs; pair++) {
                if (direct) pairUpdateDirect(q, pair, hd, kT, hdPad, cap, 0, jn, m, l, p, acc, vdPad, vB);
                else pairUpdate(q, pair, hd, kT, cap, 0, jn, m, l, p, acc, vdPad, vB);
            }
        }
        for (int mi = m0; mi < m1; mi++) {
            int s = plan.members[mi];
            for (int hh = 0; hh < group; hh++) {
                int pair = (mi - m0) * group + hh;
                int st = s * shared.heads + g * group + hh;
                shared.m[st] = m[pair];
                shared.l[st] = l[pair];
                System.arraycopy(acc, pair * vdPad, shared.acc, st * vdPad, vdPad);
            }
        }
    }

    private static float read(MemorySegment seg, DType dt, long index) {
        return switch (dt) {
            case F32 -> seg.get(FLOAT, 4 * index);
            case BF16 -> Float.intBitsToFloat((seg.get(SHORT, 2 * index) & 0xffff) << 16);
            case F16 -> Float.float16ToFloat(seg.get(SHORT, 2 * index));
            default -> throw new IllegalStateException();
        };
    }

    private static void chunk(AttentionArgs a, AttentionBatch b, CpuKvCache cache, DType dt, MemorySegment kc,
                              MemorySegment vc, MemorySegment qs, MemorySegment os, int s, int g, int group,
                              int i0, int i1, Scratch w, Shared shared, Parts parts, int ch) {
        int hd = a.headDim();
        int vd = a.vHeadDim();
        int vdPad = (vd + B - 1) / B * B;
        int nRows = i1 - i0;
        int pairs = nRows * group;
        // few pairs (decode): score keys directly from row-major K instead of transposing blocks
        boolean direct = pairs < TRANSPOSE_MIN_PAIRS;
        int hdPad = direct ? (hd + B - 1) / B * B : hd;
        w.ensure(hdPad, vdPad, pairs);
        float[] kT = w.kT;
        float[] vB = w.vB;
        float[] q = w.q;
        float[] acc = w.acc;
        float[] m = w.m;
        float[] l = w.l;
        float[] p = w.p;
        Tensor qt = a.q();
        float scale = a.scale();
        float cap = a.softCap();
        int window = a.slidingWindow();
        // queries, pre-scaled, pair = (row - i0) * group + hh
        for (int i = i0; i < i1; i++) {
            int row = b.qStart()[s] + i;
            for (int hh = 0; hh < group; hh++) {
                loadQuery(qs, qt, row, (g * group + hh) * hd, hd, hdPad, scale, q, (i - i0) * group + hh);
            }
        }
        java.util.Arrays.fill(m, 0, pairs, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(l, 0, pairs, 0f);
        java.util.Arrays.fill(acc, 0, pairs * vdPad, 0f);
        int posFirst = b.position(s, i0);
        int posLast = b.position(s, i1 - 1);
        int jStart = window > 0 ? Math.max(0, posFirst - window + 1) : 0;
        int sharedKeys = shared == null ? 0 : shared.plan.prefixLen[s];
        if (sharedKeys > 0) { // a decode row whose first keys the shared pass walked: continue from its state
            for (int hh = 0; hh < group; hh++) {
                int st = s * shared.heads + g * group + hh;
                m[hh] = shared.m[st];
                l[hh] = shared.l[st];
                System.arraycopy(shared.acc, st * vdPad, acc, hh * vdPad, vdPad);
            }
            jStart = sharedKeys;
        }
        int jEnd = posLast + 1;
        if (parts != null) { // this chunk's part of the keys, in whole blocks
            int per = ceilDiv(ceilDiv(jEnd - jStart, KB), parts.split) * KB;
            jStart += (ch % parts.split) * per;
            jEnd = Math.min(jEnd, jStart + per);
        }
        int slotBase = b.slotStart()[s];
        int[] table = b.slotTable();
        for (int j0 = jStart; j0 < jEnd; j0 += KB) {
            int jn = Math.min(KB, jEnd - j0);
            loadBlock(kc, vc, dt, cache, table, slotBase + j0, jn, g, hd, vd, hdPad, vdPad, direct, kT, vB);
            // rows before position j0 see none of this block; rows ascend in position
            int iFirst = Math.max(i0, j0 - b.position(s, 0));
            for (int i = iFirst; i < i1; i++) {
                int pos = b.position(s, i);
                int first = window > 0 ? pos - window + 1 : 0;
                if (j0 + KB - 1 < first) continue;
                // lanes jj valid when first <= j0 + jj <= pos and jj < jn
                int lo = Math.max(0, first - j0);
                int hi = Math.min(jn, pos - j0 + 1);
                for (int hh = 0; hh < group; hh++) {
                    int pair = (i - i0) * group + hh;
                    if (direct) pairUpdateDirect(q, pair, hd, kT, hdPad, cap, lo, hi, m, l, p, acc, vdPad, vB);
                    else pairUpdate(q, pair, hd, kT, cap, lo, hi, m, l, p, acc, vdPad, vB);
                }
            }
        }
        if (parts != null) { // a decode row: pairs are its group's heads
            for (int hh = 0; hh < group; hh++) {
                int st = ch * group + hh;
                parts.m[st] = m[hh];
                parts.l[st] = l[hh];
                System.arraycopy(acc, hh * vdPad, parts.acc, st * vdPad, vdPad);
            }
            return;
        }
        Tensor ot = a.out();
        for (int i = i0; i < i1; i++) {
            int row = b.qStart()[s] + i;
            for (int hh = 0; hh < group; hh++) {
                int pair = (i - i0) * group + hh;
                float inv = 1f / l[pair];
                long oo = Views.at(ot, row, (g * group + hh) * vd);
                int ab = pair * vdPad;
                for (int dv = 0; dv < vd; dv += B) {
                    VectorMask<Float> mk = F.indexInRange(dv, vd);
                    FloatVector.fromArray(F, acc, ab + dv).mul(inv).intoMemorySegment(os, oo + 4L * dv, LE, mk);
                }
            }
        }
    }
}
