package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.Bf16Lanes;
import io.jsgl.cpu.kernels.ParallelTask;
import io.jsgl.cpu.kernels.SharedPrefixPlan;
import io.jsgl.cpu.kernels.VectorExp;
import io.jsgl.cpu.kernels.Views;
import io.jsgl.cpu.kernels.WorkerPool;

import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.DType;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.op.AttentionArgs;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Paged causal attention over a ragged batch with online softmax (one pass over the keys, no
 * score matrix). First every new row's K and V go to their slots; then each work item takes
 * up to {@link #QB} query rows of one sequence and the query heads of one KV head, and walks
 * that sequence's keys in blocks of {@link #KB}. A block is gathered from the pool once (widened
 * to f32) and serves every query of the item, which is what makes GQA cheap: the group's heads
 * share each key load.
 *
 * <p>Per query the running max {@code m}, denominator {@code l} and output accumulator are
 * rescaled by {@code exp(m_old - m_new)} whenever a block raises the max, the standard
 * flash-attention recurrence, so the result equals the reference's two-pass softmax up to f32
 * rounding.
 */
final class Attention implements ParallelTask {
    static final int QB = 16;
    /** Keys per block: two vectors of scores. */
    static final int KB = 32;
    /** Queries folded into a block together, when they see the same keys of it. */
    private static final int TILE = 4;
    /** Queries of a work item from which its key blocks are transposed for scoring: one tile. */
    private static final int TRANSPOSE_MIN_QUERIES = TILE;
    /**
     * How far a score may lie above a query's reference point m before m moves: probabilities and
     * the denominator then stay below e^8 times their normalized size, far inside f32's range.
     */
    private static final float HEADROOM = 8f;
    /**
     * Heads of a decode row's group from which {@link DecodeGroup} takes the row. Below four its
     * passes would be mostly padding; at four, with loops of its own, it beats this class's walk.
     */
    private static final int DECODE_GROUP_MIN = 4;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final WorkerPool pool;
    private final Scratch[] scratch;
    private final SharedPrefixPlan plan = new SharedPrefixPlan();
    /** Softmax state each shared-prefix sequence's heads carry from the shared pass: [seq][head]. */
    private float[] stateM = new float[0];
    private float[] stateL = new float[0];
    private float[] stateAcc = new float[0];
    private boolean sharing;
    private boolean shareActive;
    private int heads;
    private int[] itemStart = new int[17];

    // the current call
    private boolean storing;
    private AttentionBatch b;
    private Tensor qt;
    private Tensor kt;
    private Tensor vt;
    private Tensor outT;
    private int layer;
    private int kvHeads;
    private int hd;
    private int vd;
    private int hdp;
    private int vdp;
    private float scale;
    private int window;
    private float cap;
    private boolean latent;
    private Avx512KvCache cache;
    private MemorySegment qs;
    private MemorySegment ks;
    private MemorySegment vs;
    private MemorySegment os;
    private int group;
    private int split;
    private int headsPerItem;
    private int storeChunks;

    Attention(WorkerPool pool) {
        this.pool = pool;
        this.scratch = new Scratch[pool.threads()];
        for (int i = 0; i < scratch.length; i++) scratch[i] = new Scratch();
    }

    void run(AttentionArgs a, AttentionBatch b) {
        if (!(a.cache() instanceof Avx512KvCache c)) {
            throw new IllegalArgumentException("KV cache was not allocated by this backend");
        }
        run(a.q(), a.k(), a.v(), a.out(), c, a.layer(), a.heads(), a.kvHeads(), a.headDim(), a.vHeadDim(),
                a.scale(), a.slidingWindow(), a.softCap(), b);
    }

    /**
     * The kernel behind both attentions. For a latent (MLA) pool {@code v} is null: the values are
     * the first {@code vd} channels of each stored key row, and only k is stored.
     */
    void run(Tensor q, Tensor k, Tensor v, Tensor out, Avx512KvCache cache, int layer, int heads, int kvHeads,
             int headDim, int vHeadDim, float scale, int window, float softCap, AttentionBatch b) {
        this.qt = q;
        this.kt = k;
        this.vt = v;
        this.outT = out;
        this.layer = layer;
        this.kvHeads = kvHeads;
        this.hd = headDim;
        this.vd = vHeadDim;
        this.scale = scale;
        this.window = window;
        this.cap = softCap;
        this.b = b;
        this.cache = cache;
        this.qs = Views.f32(q);
        this.ks = Views.f32(k);
        this.vs = v == null ? null : Views.f32(v);
        this.os = Views.f32(out);
        this.group = heads / kvHeads;
        this.latent = v == null;
        this.hdp = cache.kStride;
        this.vdp = latent ? Avx512KvCache.roundUp(vHeadDim, cache.dtype == DType.BF16 ? 32 : 16) : cache.vStride;

        storing = true;
        storeChunks = Views.chunks(b.rows(), (long) kvHeads * (headDim + vHeadDim), 16_384, pool.threads());
        pool.run(storeChunks, this);
        storing = false;

        int n = b.sequences();
        this.heads = heads;
        shareActive = false;
        if (!latent && window <= 0 && n > 1) {
            plan.plan(b, KB);
            if (plan.items > 0) {
                if (stateM.length < n * heads) {
                    stateM = new float[n * heads];
                    stateL = new float[n * heads];
                }
                if (stateAcc.length < n * heads * vdp) stateAcc = new float[n * heads * vdp];
                shareActive = true;
                sharing = true;
                pool.run(plan.items * kvHeads, this);
                sharing = false;
            }
        }
        if (itemStart.length < n + 1) itemStart = new int[Math.max(n + 1, 2 * itemStart.length)];
        int items = 0;
        for (int s = 0; s < n; s++) {
            itemStart[s] = items;
            items += (b.qLen()[s] + QB - 1) / QB * kvHeads;
        }
        itemStart[n] = items;
        // Too few items (a single decode row, few KV heads) would idle cores: split the query
        // heads of a group instead, giving up some sharing of key loads.
        split = 1;
        while ((long) items * split < pool.threads() && split < group) {
            int next = split + 1;
            while (group % next != 0) next++;
            split = next;
        }
        headsPerItem = group / split;
        storing = false;
        pool.run(items * split, this);

        this.b = null;
        this.cache = null;
        this.qt = this.kt = this.vt = this.outT = null;
        this.qs = this.ks = this.vs = this.os = null;
    }

    @Override
    public void run(int chunk, int worker) {
        if (storing) {
            storeRows(Views.chunkStart(chunk, storeChunks, b.rows()), Views.chunkStart(chunk + 1, storeChunks, b.rows()));
            return;
        }
        if (sharing) {
            attendShared(chunk / kvHeads, chunk % kvHeads, scratch[worker]);
            return;
        }
        int item = chunk / split;
        int sub = chunk % split;
        int s = Arrays.binarySearch(itemStart, 0, b.sequences() + 1, item);
        if (s < 0) s = -s - 2;
        while (s + 1 <= b.sequences() && itemStart[s + 1] <= item) s++; // sequences with no items never occur, but be safe
        int local = item - itemStart[s];
        int kvHead = local % kvHeads;
        int qBlock = local / kvHeads;
        attend(s, qBlock, kvHead, sub, scratch[worker]);
    }

    /**
     * The shared pass of one plan item: the item's decode rows (every head of the KV head's group)
     * walk the keys their sequences share, gathered once from the first member's slots, and leave
     * their unnormalized softmax state for {@link #attend} to continue from.
     */
    private void attendShared(int item, int kvHead, Scratch sc) {
        int m0 = plan.itemFrom[item], m1 = plan.itemTo[item], shared = plan.itemShared[item];
        int leader = plan.members[m0];
        int queries = (m1 - m0) * group;
        sc.ensure(queries, hdp, vdp);
        boolean transposed = queries >= TRANSPOSE_MIN_QUERIES;
        for (int mi = m0; mi < m1; mi++) {
            int row = b.qStart()[plan.members[mi]];
            for (int hh = 0; hh < group; hh++) {
                startQuery(sc, (mi - m0) * group + hh, row, kvHead * group + hh);
            }
        }
        for (int j0 = 0; j0 < shared; j0 += KB) {
            int jn = Math.min(KB, shared - j0);
            gather(leader, kvHead, j0, jn, sc, transposed);
            for (int qi = 0; qi < queries; qi++) update(sc, qi, 0, jn, hdp, vdp, transposed);
        }
        for (int mi = m0; mi < m1; mi++) {
            int s = plan.members[mi];
            for (int hh = 0; hh < group; hh++) {
                int qi = (mi - m0) * group + hh;
                int st = s * heads + kvHead * group + hh;
                stateM[st] = sc.m[qi];
                stateL[st] = sc.l[qi];
                System.arraycopy(sc.acc, qi * vdp, stateAcc, st * vdp, vdp);
            }
        }
    }

    /** Query qi of the scratch: head {@code head} of {@code row}, zero-padded, with an empty softmax state. */
    private void startQuery(Scratch sc, int qi, int row, int head) {
        MemorySegment.copy(qs, ValueLayout.JAVA_FLOAT, Views.at(qt, row, head * hd), sc.q, qi * hdp, hd);
        Arrays.fill(sc.q, qi * hdp + hd, (qi + 1) * hdp, 0f);
        Arrays.fill(sc.acc, qi * vdp, (qi + 1) * vdp, 0f);
        sc.m[qi] = Float.NEGATIVE_INFINITY;
        sc.l[qi] = 0f;
    }

    private void storeRows(int from, int to) {
        for (int r = from; r < to; r++) {
            int slot = b.newSlots()[r];
            for (int h = 0; h < kvHeads; h++) {
                long kRow = cache.kOffset(layer, h, slot);
                long kSrc = Views.at(kt, r, h * hd);
                for (int c = 0; c < hd; c++) cache.put(cache.k, kRow, c, ks.get(ValueLayout.JAVA_FLOAT_UNALIGNED, kSrc + 4L * c));
                if (latent) continue;
                long vRow = cache.vOffset(layer, h, slot);
                long vSrc = Views.at(vt, r, h * vd);
                for (int c = 0; c < vd; c++) cache.put(cache.v, vRow, c, vs.get(ValueLayout.JAVA_FLOAT_UNALIGNED, vSrc + 4L * c));
            }
        }
    }

    private void attend(int s, int qBlock, int kvHead, int sub, Scratch sc) {
        int qLen = b.qLen()[s];
        int kvLen = b.kvLen()[s];
        int i0 = qBlock * QB;
        int i1 = Math.min(qLen, i0 + QB);
        int hpi = headsPerItem;
        int h0 = kvHead * group + sub * hpi;
        int hd = this.hd;
        int vd = this.vd;
        int hdp = this.hdp;
        int vdp = this.vdp;
        int window = this.window;
        sc.ensure((i1 - i0) * hpi, hdp, vdp);
        // Transposing a key block pays off once a tile of queries scores against it: prefill, or a
        // decode row of a GQA group of four or more heads; fewer score each key directly.
        boolean transposed = (i1 - i0) * hpi >= TRANSPOSE_MIN_QUERIES;

        for (int i = i0; i < i1; i++) {
            int row = b.qStart()[s] + i;
            for (int hh = 0; hh < hpi; hh++) {
                startQuery(sc, (i - i0) * hpi + hh, row, h0 + hh);
            }
        }

        int firstPos = kvLen - qLen + i0;
        int lastPos = kvLen - qLen + i1 - 1;
        int lo = window > 0 ? Math.max(0, firstPos - window + 1) : 0;
        int shared = shareActive ? plan.prefixLen[s] : 0;
        if (shared > 0) { // a decode row whose first keys the shared pass walked: continue from its state
            for (int hh = 0; hh < hpi; hh++) {
                int st = s * heads + h0 + hh;
                sc.m[hh] = stateM[st];
                sc.l[hh] = stateL[st];
                System.arraycopy(stateAcc, st * vdp, sc.acc, hh * vdp, vdp);
            }
            lo = shared;
        }
        if (i1 - i0 == 1 && !latent && hpi >= DECODE_GROUP_MIN && hpi <= DecodeGroup.Q && vdp % 32 == 0) {
            sc.decode.run(cache, layer, kvHead, b.slotTable(), b.slotStart()[s], lo, lastPos + 1, sc.q, hpi, hdp, vdp,
                    scale, cap, sc.m, sc.l, sc.acc);
            lo = lastPos + 1;
        }
        for (int j0 = lo; j0 <= lastPos; j0 += KB) {
            int jn = Math.min(KB, lastPos + 1 - j0);
            gather(s, kvHead, j0, jn, sc, transposed);
            // Queries go in order (position, then head); four in a row that see the same keys of
            // the block (the heads of one position, or of neighbours the block lies wholly before)
            // are folded in together, so that each key and value load feeds four queries.
            int queries = (i1 - i0) * hpi;
            int base = kvLen - qLen + i0;
            for (int qi = 0; qi < queries; ) {
                int pos = base + qi / hpi;
                int ja = visibleFrom(pos, j0), je = visibleTo(pos, j0, jn);
                if (ja >= je) {
                    qi++;
                    continue;
                }
                if (transposed && qi + TILE <= queries) {
                    int last = base + (qi + TILE - 1) / hpi;
                    if (visibleFrom(last, j0) == ja && visibleTo(last, j0, jn) == je) {
                        updateTile(sc, qi, ja, je, vdp);
                        qi += TILE;
                        continue;
                    }
                }
                update(sc, qi, ja, je, hdp, vdp, transposed);
                qi++;
            }
        }

        for (int i = i0; i < i1; i++) {
            int row = b.qStart()[s] + i;
            for (int hh = 0; hh < hpi; hh++) {
                int qi = (i - i0) * hpi + hh;
                FloatVector inv = FloatVector.broadcast(F, 1f / sc.l[qi]);
                long o = Views.at(outT, row, (h0 + hh) * vd);
                for (int d = 0; d < vd; d += F.length()) {
                    VectorMask<Float> m = F.indexInRange(d, vd);
                    FloatVector.fromArray(F, sc.acc, qi * vdp + d).mul(inv).intoMemorySegment(os, o + 4L * d, LE, m);
                }
            }
        }
    }

    /** First key of the block at {@code j0} that the query at {@code pos} sees, relative to j0. */
    private int visibleFrom(int pos, int j0) {
        int first = window > 0 ? Math.max(0, pos - window + 1) : 0;
        return Math.max(j0, first) - j0;
    }

    /** One past the last key of the block {@code [j0, j0+jn)} that the query at {@code pos} sees, relative to j0. */
    private static int visibleTo(int pos, int j0, int jn) {
        return Math.min(j0 + jn, pos + 1) - j0;
    }

    /**
     * Keys {@code [j0, j0+jn)} of sequence s, head kvHead, widened to f32 rows of the scratch, or
     * transposed ({@code kT[d][j]}) for the score loop; values widened to f32 rows.
     */
    private void gather(int s, int kvHead, int j0, int jn, Scratch sc, boolean transposed) {
        int base = b.slotStart()[s] + j0;
        for (int j = 0; j < jn; j++) {
            int slot = b.slotTable()[base + j];
            long kRow = cache.kOffset(layer, kvHead, slot);
            widenRow(cache.k, kRow, hdp, sc.k, j * hdp);
            // a latent row is its own value: its first vd channels
            if (latent) System.arraycopy(sc.k, j * hdp, sc.v, j * vdp, vdp);
            else widenRow(cache.v, cache.vOffset(layer, kvHead, slot), vdp, sc.v, j * vdp);
        }
        if (!transposed) return;
        if (hd % 16 == 0) {
            for (int h = 0; 16 * h < jn; h++) {
                for (int t = 0; t < hd / 16; t++) KeyTranspose.tile(sc.k, hdp, 16 * h, jn - 1, t, sc.kT, KB, 16 * h);
            }
        } else {
            float[] k = sc.k, kT = sc.kT;
            for (int j = 0; j < jn; j++) {
                for (int d = 0; d < hd; d++) kT[d * KB + j] = k[j * hdp + d];
            }
        }
    }

    private void widenRow(MemorySegment pool, long src, int n, float[] dst, int at) {
        switch (cache.dtype) {
            case F32 -> MemorySegment.copy(pool, ValueLayout.JAVA_FLOAT, src, dst, at, n);
            case BF16 -> {
                for (int c = 0; c < n; c += 32) {
                    IntVector v = IntVector.fromMemorySegment(I, pool, src + 2L * c, LE);
                    Bf16Lanes.low(v).intoArray(dst, at + c);
                    Bf16Lanes.high(v).intoArray(dst, at + c + 16);
                }
            }
            case F16 -> {
                for (int c = 0; c < n; c++) {
                    dst[at + c] = Float.float16ToFloat(pool.get(ValueLayout.JAVA_SHORT_UNALIGNED, src + 2L * c));
                }
            }
            default -> throw new IllegalStateException("KV dtype " + cache.dtype);
        }
    }

    /**
     * Folds keys {@code [ja, je)} of the gathered block into query qi's softmax state; keys
     * outside that range are masked. Scores land in {@code s[j]} by key index within the block.
     */
    private void update(Scratch sc, int qi, int ja, int je, int hdp, int vdp, boolean transposed) {
        if (transposed) scoreTransposed(sc, qi * hdp);
        else scoreDirect(sc, qi * hdp, ja, je, hdp);
        float corr = softmaxStep(sc, qi, 0, ja, je);
        accumulateValues(sc, qi, ja, je - ja, corr, vdp);
    }

    /** {@link #update} for queries {@code qi .. qi+3}, which see the same keys of the block. */
    private void updateTile(Scratch sc, int qi, int ja, int je, int vdp) {
        scoreTile(sc, qi);
        float c0 = softmaxStep(sc, qi, 0, ja, je);
        float c1 = softmaxStep(sc, qi + 1, KB, ja, je);
        float c2 = softmaxStep(sc, qi + 2, 2 * KB, ja, je);
        float c3 = softmaxStep(sc, qi + 3, 3 * KB, ja, je);
        accumulateValuesTile(sc, qi, ja, je - ja, c0, c1, c2, c3, vdp);
    }

    /**
     * The online-softmax step of query qi over the block's scores at {@code s[at ..]}: scales
     * them, raises the running max, turns the live ones into unnormalized probabilities in place
     * and adds them to the denominator. Returns the factor {@code exp(m_old - m_new)} by which the
     * query's accumulated values must shrink.
     */
    private float softmaxStep(Scratch sc, int qi, int at, int ja, int je) {
        float[] p = sc.s;
        FloatVector s0 = FloatVector.fromArray(F, p, at).mul(scale);
        FloatVector s1 = FloatVector.fromArray(F, p, at + 16).mul(scale);
        if (cap > 0) {
            s0 = s0.div(cap).lanewise(VectorOperators.TANH).mul(cap);
            s1 = s1.div(cap).lanewise(VectorOperators.TANH).mul(cap);
        }
        // Reductions run over both vectors at once (a reduction is a chain of shuffles); dead lanes,
        // outside [ja, je), become -inf before the max and 0 before the sum. The masks are built
        // even for a whole block (then empty): a mask that may be null stops C2 from intrinsifying
        // the blends, which then run the Vector API's Java fallback.
        VectorMask<Float> dead0 = F.indexInRange(0, je).andNot(F.indexInRange(0, ja)).not();
        VectorMask<Float> dead1 = F.indexInRange(16, je).andNot(F.indexInRange(16, ja)).not();
        // The reference point m only has to keep exp(s - m) in range, not be the max: it moves, with
        // a reduction and a rescale, only when a live score passes m + HEADROOM, which after the
        // first blocks is rare (a compare and a mask test instead of a reduction on the critical path).
        float mOld = sc.m[qi];
        float bound = mOld + HEADROOM;
        float mNew = mOld;
        float corr = 1f;
        if (s0.compare(VectorOperators.GT, bound).andNot(dead0).or(s1.compare(VectorOperators.GT, bound).andNot(dead1))
                .anyTrue()) {
            FloatVector top = s0.blend(Float.NEGATIVE_INFINITY, dead0).max(s1.blend(Float.NEGATIVE_INFINITY, dead1));
            mNew = Math.max(mOld, top.reduceLanes(VectorOperators.MAX));
            corr = (float) Math.exp(mOld - mNew); // 0 for the first block, where mOld is -inf
        }
        FloatVector e0 = VectorExp.exp(s0.sub(mNew));
        FloatVector e1 = VectorExp.exp(s1.sub(mNew));
        FloatVector both = e0.blend(0f, dead0).add(e1.blend(0f, dead1));
        float sum = both.reduceLanes(VectorOperators.ADD);
        e0.intoArray(p, at);
        e1.intoArray(p, at + 16);
        sc.m[qi] = mNew;
        sc.l[qi] = sc.l[qi] * corr + sum;
        return corr;
    }

    /**
     * The whole block's scores from the transposed keys, sixteen keys per vector with the
     * query's channels broadcast: no horizontal reduction per key.
     */
    private void scoreTransposed(Scratch sc, int qo) {
        float[] q = sc.q;
        float[] kT = sc.kT;
        FloatVector s0 = FloatVector.zero(F), s1 = s0;
        for (int d = 0; d < hd; d++) {
            FloatVector qd = FloatVector.broadcast(F, q[qo + d]);
            s0 = FloatVector.fromArray(F, kT, d * KB).fma(qd, s0);
            s1 = FloatVector.fromArray(F, kT, d * KB + 16).fma(qd, s1);
        }
        s0.intoArray(sc.s, 0);
        s1.intoArray(sc.s, 16);
    }

    /** {@link #scoreTransposed} for queries {@code qi .. qi+3}: query r's scores land at {@code s[r KB ..]}. */
    private void scoreTile(Scratch sc, int qi) {
        float[] q = sc.q;
        float[] kT = sc.kT;
        int hdp = this.hdp;
        int q0 = qi * hdp, q1 = q0 + hdp, q2 = q1 + hdp, q3 = q2 + hdp;
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        for (int d = 0; d < hd; d++) {
            FloatVector k0 = FloatVector.fromArray(F, kT, d * KB);
            FloatVector k1 = FloatVector.fromArray(F, kT, d * KB + 16);
            FloatVector x = FloatVector.broadcast(F, q[q0 + d]);
            s00 = k0.fma(x, s00);
            s01 = k1.fma(x, s01);
            x = FloatVector.broadcast(F, q[q1 + d]);
            s10 = k0.fma(x, s10);
            s11 = k1.fma(x, s11);
            x = FloatVector.broadcast(F, q[q2 + d]);
            s20 = k0.fma(x, s20);
            s21 = k1.fma(x, s21);
            x = FloatVector.broadcast(F, q[q3 + d]);
            s30 = k0.fma(x, s30);
            s31 = k1.fma(x, s31);
        }
        float[] p = sc.s;
        s00.intoArray(p, 0);
        s01.intoArray(p, 16);
        s10.intoArray(p, KB);
        s11.intoArray(p, KB + 16);
        s20.intoArray(p, 2 * KB);
        s21.intoArray(p, 2 * KB + 16);
        s30.intoArray(p, 3 * KB);
        s31.intoArray(p, 3 * KB + 16);
    }

    /** Scores of keys {@code [ja, je)}, one dot product each over the padded channels. */
    private static void scoreDirect(Scratch sc, int qo, int ja, int je, int hdp) {
        float[] q = sc.q;
        float[] k = sc.k;
        float[] p = sc.s;
        for (int j = ja; j < je; j++) {
            int ko = j * hdp;
            FloatVector dot = FloatVector.fromArray(F, q, qo).mul(FloatVector.fromArray(F, k, ko));
            for (int d = F.length(); d < hdp; d += F.length()) {
                dot = FloatVector.fromArray(F, q, qo + d).fma(FloatVector.fromArray(F, k, ko + d), dot);
            }
            p[j] = dot.reduceLanes(VectorOperators.ADD);
        }
    }

    /** {@code acc = acc * corr + sum_j p_j V_j}, four vectors of channels held in registers over the keys. */
    private static void accumulateValues(Scratch sc, int qi, int ja, int n, float corr, int vdp) {
        float[] acc = sc.acc;
        float[] v = sc.v;
        float[] p = sc.s;
        int ao = qi * vdp;
        FloatVector c = FloatVector.broadcast(F, corr);
        int d = 0;
        for (; d + 4 * 16 <= vdp; d += 4 * 16) {
            FloatVector a0 = FloatVector.fromArray(F, acc, ao + d).mul(c);
            FloatVector a1 = FloatVector.fromArray(F, acc, ao + d + 16).mul(c);
            FloatVector a2 = FloatVector.fromArray(F, acc, ao + d + 32).mul(c);
            FloatVector a3 = FloatVector.fromArray(F, acc, ao + d + 48).mul(c);
            for (int j = 0; j < n; j++) {
                FloatVector pj = FloatVector.broadcast(F, p[ja + j]);
                int vo = (ja + j) * vdp + d;
                a0 = FloatVector.fromArray(F, v, vo).fma(pj, a0);
                a1 = FloatVector.fromArray(F, v, vo + 16).fma(pj, a1);
                a2 = FloatVector.fromArray(F, v, vo + 32).fma(pj, a2);
                a3 = FloatVector.fromArray(F, v, vo + 48).fma(pj, a3);
            }
            a0.intoArray(acc, ao + d);
            a1.intoArray(acc, ao + d + 16);
            a2.intoArray(acc, ao + d + 32);
            a3.intoArray(acc, ao + d + 48);
        }
        for (; d < vdp; d += 16) {
            FloatVector a0 = FloatVector.fromArray(F, acc, ao + d).mul(c);
            for (int j = 0; j < n; j++) {
                a0 = FloatVector.fromArray(F, v, (ja + j) * vdp + d).fma(FloatVector.broadcast(F, p[ja + j]), a0);
            }
            a0.intoArray(acc, ao + d);
        }
    }

    /**
     * {@link #accumulateValues} for queries {@code qi .. qi+3}, whose probabilities sit at
     * {@code s[r KB ..]}: two vectors of channels of four queries in eight registers, so that each
     * value load feeds four FMAs.
     */
    private static void accumulateValuesTile(Scratch sc, int qi, int ja, int n, float c0, float c1, float c2, float c3,
                                             int vdp) {
        float[] acc = sc.acc;
        float[] v = sc.v;
        float[] p = sc.s;
        int a0 = qi * vdp, a1 = a0 + vdp, a2 = a1 + vdp, a3 = a2 + vdp;
        FloatVector f0 = FloatVector.broadcast(F, c0), f1 = FloatVector.broadcast(F, c1);
        FloatVector f2 = FloatVector.broadcast(F, c2), f3 = FloatVector.broadcast(F, c3);
        int d = 0;
        for (; d + 32 <= vdp; d += 32) {
            FloatVector x00 = FloatVector.fromArray(F, acc, a0 + d).mul(f0), x01 = FloatVector.fromArray(F, acc, a0 + d + 16).mul(f0);
            FloatVector x10 = FloatVector.fromArray(F, acc, a1 + d).mul(f1), x11 = FloatVector.fromArray(F, acc, a1 + d + 16).mul(f1);
            FloatVector x20 = FloatVector.fromArray(F, acc, a2 + d).mul(f2), x21 = FloatVector.fromArray(F, acc, a2 + d + 16).mul(f2);
            FloatVector x30 = FloatVector.fromArray(F, acc, a3 + d).mul(f3), x31 = FloatVector.fromArray(F, acc, a3 + d + 16).mul(f3);
            for (int j = ja; j < ja + n; j++) {
                int vo = j * vdp + d;
                FloatVector v0 = FloatVector.fromArray(F, v, vo);
                FloatVector v1 = FloatVector.fromArray(F, v, vo + 16);
                FloatVector pj = FloatVector.broadcast(F, p[j]);
                x00 = v0.fma(pj, x00);
                x01 = v1.fma(pj, x01);
                pj = FloatVector.broadcast(F, p[KB + j]);
                x10 = v0.fma(pj, x10);
                x11 = v1.fma(pj, x11);
                pj = FloatVector.broadcast(F, p[2 * KB + j]);
                x20 = v0.fma(pj, x20);
                x21 = v1.fma(pj, x21);
                pj = FloatVector.broadcast(F, p[3 * KB + j]);
                x30 = v0.fma(pj, x30);
                x31 = v1.fma(pj, x31);
            }
            x00.intoArray(acc, a0 + d);
            x01.intoArray(acc, a0 + d + 16);
            x10.intoArray(acc, a1 + d);
            x11.intoArray(acc, a1 + d + 16);
            x20.intoArray(acc, a2 + d);
            x21.intoArray(acc, a2 + d + 16);
            x30.intoArray(acc, a3 + d);
            x31.intoArray(acc, a3 + d + 16);
        }
        if (d < vdp) { // vdp is a multiple of 16: at most one vector of channels is left
            FloatVector x0 = FloatVector.fromArray(F, acc, a0 + d).mul(f0), x1 = FloatVector.fromArray(F, acc, a1 + d).mul(f1);
            FloatVector x2 = FloatVector.fromArray(F, acc, a2 + d).mul(f2), x3 = FloatVector.fromArray(F, acc, a3 + d).mul(f3);
            for (int j = ja; j < ja + n; j++) {
                FloatVector vj = FloatVector.fromArray(F, v, j * vdp + d);
                x0 = vj.fma(FloatVector.broadcast(F, p[j]), x0);
                x1 = vj.fma(FloatVector.broadcast(F, p[KB + j]), x1);
                x2 = vj.fma(FloatVector.broadcast(F, p[2 * KB + j]), x2);
                x3 = vj.fma(FloatVector.broadcast(F, p[3 * KB + j]), x3);
            }
            x0.intoArray(acc, a0 + d);
            x1.intoArray(acc, a1 + d);
            x2.intoArray(acc, a2 + d);
            x3.intoArray(acc, a3 + d);
        }
    }

    /** One worker's buffers, grown on demand and then reused by every call. */
    private static final class Scratch {
        float[] q = new float[0];
        float[] acc = new float[0];
        float[] m = new float[0];
        float[] l = new float[0];
        float[] k = new float[0];
        float[] v = new float[0];
        float[] kT = new float[0];
        final float[] s = new float[TILE * KB];
        final DecodeGroup decode = new DecodeGroup();

        void ensure(int queries, int hdp, int vdp) {
            if (q.length < queries * hdp) q = new float[queries * hdp];
            if (acc.length < queries * vdp) acc = new float[queries * vdp];
            if (m.length < queries) {
                m = new float[queries];
                l = new float[queries];
            }
            if (k.length < KB * hdp) k = new float[KB * hdp];
            if (kT.length < KB * hdp) kT = new float[KB * hdp];
            if (v.length < KB * vdp) v = new float[KB * vdp];
        }
    }
}
