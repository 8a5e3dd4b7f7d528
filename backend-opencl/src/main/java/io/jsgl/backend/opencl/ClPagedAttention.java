package io.jsgl.backend.opencl;

import io.jsgl.spi.op.AttentionArgs;

/**
 * The general paged attention of {@code attention.cl} (extend and decode rows of a ragged batch,
 * after the KV store): {@code attention_w} (value heads up to 128: warps split the keys of the value
 * pass, the last split merges) or {@code attention} + {@code attention_combine}. Query heads of a kv
 * head share a work-group up to {@link #MAX_HEADS}; with few work-groups the keys are split (down to
 * 32 a split) so that the device has {@code target} work-groups.
 */
final class ClPagedAttention {
    static final int THREADS = 128;
    /** Query heads a work-group takes at most. */
    static final int MAX_HEADS = 8;
    /** Channel pairs a thread of {@code attention} accumulates (value heads up to MAX_PAIRS x THREADS). */
    static final int MAX_PAIRS = 16;

    private final boolean warp;
    private final int forcedSplit;
    private final long target;
    private final long localMem;

    /**
     * @param warp        opencl.attention=warp: attention_w where value heads are <= 128
     * @param forcedSplit opencl.attentionSplit: keys a split (0 = automatic)
     * @param target      work-groups before keys are split
     */
    ClPagedAttention(boolean warp, int forcedSplit, long target, long localMem) {
        this.warp = warp;
        this.forcedSplit = forcedSplit;
        this.target = target;
        this.localMem = localMem;
    }

    /** Enqueues the attention of every row (kernels of {@code program}, one kernel object per call site). */
    void launch(OpenClBackend be, String program, AttentionArgs a, ClPreparedBatch pb, ClBuffer q, ClBuffer out,
                ClBuffer kc, ClBuffer vc, ClAttentionScratch scratch, ClBuffer dummy) {
        int rows = pb.layout.rows();
        int hd = a.headDim();
        int vd = a.vHeadDim();
        int group = a.heads() / a.kvHeads();
        boolean w = warp && vd <= 128;
        int hb = w ? Math.min(group, MAX_HEADS) : Math.min(Math.min(group, MAX_HEADS), MAX_PAIRS * THREADS / vd);
        if (hb < 1) {
            throw new UnsupportedOperationException("opencl attention supports value heads up to "
                    + MAX_PAIRS * THREADS + " channels, got " + vd);
        }
        int nhb = (group + hb - 1) / hb;
        long localBytes = w ? 4L * (hb * hd + 4L * hb * vd) + 4L * (MAX_HEADS * THREADS + THREADS + 64)
                : 4L * (hb * hd + 2L * hb * THREADS + THREADS);
        if (localBytes > localMem) {
            throw new UnsupportedOperationException("attention with head dim " + hd + " needs " + localBytes
                    + " bytes of local memory, device has " + localMem);
        }
        int keys = a.slidingWindow() > 0 ? Math.min(a.slidingWindow(), pb.maxKeys) : pb.maxKeys;
        long groups = (long) rows * a.kvHeads() * nhb;
        int splitLen = keys;
        if (forcedSplit > 0) {
            splitLen = forcedSplit;
        } else if (groups < target && keys > 64) {
            // few work-groups (decode, small batches): split the keys, down to 32 a split
            int want = (int) Math.min((target + groups - 1) / groups, (keys + 31) / 32);
            splitLen = (int) roundUp((keys + want - 1) / want, 32);
        }
        splitLen = Math.max(1, splitLen);
        int nsplit = (keys + splitLen - 1) / splitLen;
        ClBuffer part = dummy;
        if (nsplit > 1) {
            part = scratch.partials(4L * rows * a.heads() * nsplit * (vd + 2));
            if (w) scratch.counters(groups);
        } else {
            nsplit = 1;
        }
        if (w) {
            sharedArgs(be.site(program, "attention_w", a), a, pb, q, kc, vc, out, part, hb, nhb, splitLen, nsplit)
                    .mem(scratch.counters()).local(4L * hb * hd).local(4L * 4 * hb * vd)
                    .run(be.queue(), groups * nsplit * THREADS, THREADS);
            return;
        }
        sharedArgs(be.site(program, "attention", a), a, pb, q, kc, vc, out, part, hb, nhb, splitLen, nsplit)
                .local(4L * hb * hd).local(4L * hb * THREADS).local(4L * hb * THREADS).local(4L * THREADS)
                .run(be.queue(), groups * nsplit * THREADS, THREADS);
        if (nsplit > 1) {
            be.site(program, "attention_combine", a).begin()
                    .mem(part).view(out, a.out())
                    .i(a.heads()).i(vd).i(nsplit).i(rows)
                    .run(be.queue(), roundUp(vd, 32), (long) rows * a.heads(), 32, 1);
        }
    }

    /** The arguments attention and attention_w share, in their common order; each adds its own after them. */
    private static ClKernel sharedArgs(ClKernel k, AttentionArgs a, ClPreparedBatch pb, ClBuffer q, ClBuffer kc, ClBuffer vc,
                                       ClBuffer out, ClBuffer part, int hb, int nhb, int splitLen, int nsplit) {
        return k.begin()
                .view(q, a.q())
                .mem(kc).mem(vc)
                .view(out, a.out())
                .mem(part)
                .mem(pb.table).i(pb.rowSeqOff).i(pb.rowPosOff).i(pb.slotStartOff).i(pb.slotTableOff)
                .i(a.heads()).i(a.kvHeads()).i(a.headDim()).i(a.vHeadDim()).i(hb).i(nhb)
                .f(a.scale()).i(a.slidingWindow()).f(a.softCap()).i(splitLen).i(nsplit);
    }

    private static long roundUp(long v, long m) {
        return (v + m - 1) / m * m;
    }
}
