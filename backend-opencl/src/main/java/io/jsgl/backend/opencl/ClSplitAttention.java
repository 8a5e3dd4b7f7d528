package io.jsgl.backend.opencl;

import io.jsgl.spi.op.AttentionArgs;
import io.jsgl.spi.op.RopeArgs;
import java.lang.foreign.MemorySegment;

/**
 * The split decode attention kernel ({@code attention_split.cl}, {@code attention_s}): for batches
 * whose every row is one sequence's one new token (stored in the slot its position names), one
 * work-group per (row, kv head, split of a few dozen keys) stages the split's K and V rows in local
 * memory with wide loads, and the last split of a (row, kv head) to finish merges the partials. It
 * also does the RoPE of q and k and the KV store of the new token (what {@code rope_kv_store} does in
 * a launch of its own): the new key is taken from the fresh k and v, and the in-place writes wait for
 * the merge, when no work-group reads q or k any more. The split kernel before it ({@code attention_w})
 * made ~10 dependent round trips of narrow loads a layer; this one makes five, wide.
 */
final class ClSplitAttention {
    static final int THREADS = 128;
    /** Query heads a kv head may have (one work-group takes all of them). */
    static final int MAX_GROUP = 8;
    /** Head dims (k and v) up to which it applies. */
    static final int MAX_DIM = 256;
    /** Static local memory a work-group may take (NVIDIA's limit for static __local arrays is 48 KiB). */
    private static final long MAX_LOCAL = 40L << 10;

    private ClSplitAttention() {}

    /** Whether the kernel handles this attention: a decode batch with fresh new slots, shapes it is built for. */
    static boolean applies(AttentionArgs a, ClPreparedBatch pb, int keys, int maxKeys, long localMem, int kvBytes) {
        int hd = a.headDim();
        int vd = a.vHeadDim();
        int group = a.heads() / a.kvHeads();
        return pb.decodeFresh && a.heads() % a.kvHeads() == 0 && group <= MAX_GROUP && hd % 8 == 0 && vd % 8 == 0
                && hd <= MAX_DIM && vd <= MAX_DIM && keys <= maxKeys
                && localBytes(16, hd, vd, kvBytes, headsPerGroup(group)) <= Math.min(MAX_LOCAL, localMem);
    }

    /** The query heads the local arrays are sized for (AS_HB): 4 or 8. */
    static int headsPerGroup(int group) {
        return group <= 4 ? 4 : 8;
    }

    static long localBytes(int sl, int hd, int vd, int es, int hb) {
        return (long) sl * (hd * es + 16) + (long) sl * vd * es + 8L * hb * hd + 4L * hb * sl + 4L * hd + 4L * sl + 64;
    }

    /**
     * Keys a split takes (16, 32 or 64): {@code forced} if set, else the most that still give every
     * compute unit {@code target / computeUnits} work-groups, within the local memory limit.
     */
    static int splitKeys(int forced, long rowHeads, int keys, long target, int hd, int vd, int es, int hb, long localMem) {
        long limit = Math.min(MAX_LOCAL, localMem);
        int sl = forced > 0 ? forced : 64;
        if (forced <= 0) {
            while (sl > 16 && rowHeads * ((keys + sl - 1) / sl) < target) sl /= 2;
        }
        while (sl > 16 && localBytes(sl, hd, vd, es, hb) > limit) sl /= 2;
        return sl;
    }

    /** The program: KV dtype code, head dims, heads a work-group, keys a split, splits the merge loads at once. */
    static String program(int kvCode, int hd, int vd, int hb, int sl, int mb) {
        return "attsplit-" + kvCode + "-" + hd + "-" + vd + "-" + hb + "-" + sl + "-" + mb;
    }

    static String source(String program, String common, String kv, String kernel) {
        String[] p = program.split("-");
        return "#define KVT " + p[1] + "\n#define AS_HD " + p[2] + "\n#define AS_VD " + p[3] + "\n#define AS_HB " + p[4]
                + "\n#define AS_SL " + p[5] + "\n#define AS_MB " + p[6] + "\n" + common + kv + kernel;
    }

    /** Enqueues attention_s; {@code rope} null: q and k are already rotated (the new k and v are still stored). */
    static void launch(ClKernel k, MemorySegment queue, AttentionArgs a, ClPreparedBatch pb, int sl, ClBuffer q,
                       ClBuffer kb, ClBuffer v, ClBuffer out, ClBuffer kc, ClBuffer vc, ClBuffer part, ClBuffer counters,
                       RopeArgs rope, ClBuffer pos, ClBuffer freqs, int nsplit) {
        int rows = pb.layout.rows();
        k.begin()
                .view(q, a.q())
                .view(kb, a.k())
                .view(v, a.v())
                .mem(kc).mem(vc)
                .view(out, a.out())
                .mem(part).mem(counters)
                .mem(pb.table).i(pb.rowPosOff).i(pb.rowBaseOff).i(pb.newSlotsOff)
                .i(a.heads()).i(a.kvHeads()).f(a.scale()).i(a.slidingWindow()).f(a.softCap()).i(nsplit)
                .i(rope == null ? 0 : 1);
        ClFusedRope.args(k, rope, pos, freqs)
                .run(queue, (long) rows * a.kvHeads() * nsplit * THREADS, THREADS);
    }
}
