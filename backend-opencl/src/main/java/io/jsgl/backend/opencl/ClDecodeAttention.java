package io.jsgl.backend.opencl;

import io.jsgl.spi.op.AttentionArgs;
import io.jsgl.spi.op.RopeArgs;

/**
 * The decode attention kernel ({@code attention_decode.cl}, {@code attention_d}): for batches whose
 * every row is one sequence's one new token, one work-group per (row, kv head, head block) reads
 * all of the row's keys, with no key splits and no device-wide synchronization. Where one work-group
 * covers a kv head it also does the RoPE and the KV store of the new token first (what
 * {@code rope_kv_store} or {@code kv_store} would do in a launch of their own). The split kernel
 * spends ~22 us a layer on the H100 at ~530 keys on ~10 dependent memory round trips (tables,
 * slots, K, V, partials, counter, merge); this one makes about four a chunk round, but measured
 * 35 us a layer there (31 without the RoPE prologue), so it is off by default
 * (opencl.decodeAttention) until that is understood.
 */
final class ClDecodeAttention {
    /** Head dims (k and v) up to which the kernel applies (AD_MAXD). */
    static final int MAX_DIM = 128;

    private ClDecodeAttention() {}

    /** Query heads a work-group takes (the kernel's AD_MAXG: 4 or 8). */
    static int headsPerGroup(int group) {
        return group <= 4 ? 4 : 8;
    }

    /** Whether the kernel handles this attention: a decode batch, head dims it is built for, keys within the limit. */
    static boolean applies(AttentionArgs a, ClPreparedBatch pb, int keys, int maxKeys, long maxWorkGroup, int warps) {
        int hd = a.headDim();
        int vd = a.vHeadDim();
        return pb.decodeOnly && hd % 8 == 0 && hd <= MAX_DIM && vd % 2 == 0 && vd <= MAX_DIM && keys <= maxKeys
                && maxWorkGroup >= 32L * warps;
    }

    /**
     * The program: KV dtype code, warps a work-group, heads a work-group, 64-channel value blocks a
     * lane, k head dim (compile-time, so the K-row loop unrolls fully and its loads issue together).
     */
    static String program(int kvCode, int warps, int group, int vd, int hd) {
        return "attdec-" + kvCode + "-" + warps + "-" + headsPerGroup(group) + "-" + (vd <= 64 ? 1 : 2) + "-" + hd;
    }

    /** The program's source; {@code unroll}: unroll the K-row and value loops fully (GPUs). */
    static String source(String program, String common, String kv, String kernel, boolean unroll) {
        String[] p = program.split("-");
        return "#define KVT " + p[1] + "\n#define AD_W " + p[2] + "\n#define AD_MAXG " + p[3] + "\n#define AD_VC " + p[4]
                + "\n#define AD_HD " + p[5] + "\n" + common + kv + (unroll
                        ? kernel.replace("#pragma unroll AD_UNROLL_V", "#pragma unroll 32")
                        // CPU devices: no unrolling at all (PoCL took minutes to compile the unrolled kernel)
                        : kernel.replaceAll("#pragma unroll[^\n]*", "#pragma unroll 1"));
    }

    /**
     * Enqueues attention_d. With {@code fused} the work-groups rotate q and k by {@code rope} (null:
     * no rotation; {@code pos} and {@code freqs} are then placeholders) and store the new k and v;
     * without, the KV store has already run.
     */
    static void launch(ClKernel k, java.lang.foreign.MemorySegment queue, AttentionArgs a, ClPreparedBatch pb,
                       ClBuffer q, ClBuffer kb, ClBuffer v, ClBuffer out, ClBuffer kc, ClBuffer vc, boolean fused,
                       RopeArgs rope, ClBuffer pos, ClBuffer freqs, int warps) {
        int group = a.heads() / a.kvHeads();
        int hb = Math.min(group, headsPerGroup(group));
        int nhb = (group + hb - 1) / hb;
        int rows = pb.layout.rows();
        k.begin()
                .view(q, a.q())
                .view(kb, a.k())
                .view(v, a.v())
                .mem(kc).mem(vc)
                .view(out, a.out())
                .mem(pb.table).i(pb.rowPosOff).i(pb.rowBaseOff).i(pb.newSlotsOff)
                .i(a.heads()).i(a.kvHeads()).i(a.headDim()).i(a.vHeadDim()).i(hb).i(nhb)
                .f(a.scale()).i(a.slidingWindow()).f(a.softCap())
                .i(fused ? 1 : 0);
        ClFusedRope.args(k, rope, pos, freqs)
                .run(queue, (long) rows * a.kvHeads() * nhb * 32L * warps, 32L * warps);
    }

    /** Head blocks per kv head (the fused RoPE/KV store needs 1: no other work-group reads the kv head's k). */
    static int headBlocks(AttentionArgs a) {
        int group = a.heads() / a.kvHeads();
        int hb = Math.min(group, headsPerGroup(group));
        return (group + hb - 1) / hb;
    }
}
