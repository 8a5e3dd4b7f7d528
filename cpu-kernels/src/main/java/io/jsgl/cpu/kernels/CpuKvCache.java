package io.jsgl.cpu.kernels;

import io.jsgl.spi.DType;
import io.jsgl.spi.KvCache;
import io.jsgl.spi.KvCacheSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The KV pool in host memory: per layer, K as {@code [slot][kvHeads * headDim]} and V as
 * {@code [slot][kvHeads * vHeadDim]} in the spec's dtype (F32, BF16 or F16), one native segment
 * per layer and tensor so a pool may exceed 2 GiB in total.
 */
public final class CpuKvCache implements KvCache {
    private final KvCacheSpec spec;
    private final Arena arena = Arena.ofShared();
    final MemorySegment[] k;
    final MemorySegment[] v;
    final int kRow;
    final int vRow;

    public CpuKvCache(KvCacheSpec spec) {
        if (spec.isLatent()) {
            throw new IllegalArgumentException("a LATENT (MLA) KV pool needs a backend declaring MLA_ATTENTION; "
                    + "this one stores K/V pools only");
        }
        DType d = spec.dtype();
        if (d != DType.F32 && d != DType.BF16 && d != DType.F16) {
            throw new IllegalArgumentException("KV cache dtype " + d + " is not supported (F32, BF16, F16)");
        }
        this.spec = spec;
        this.kRow = spec.kvHeads() * spec.headDim();
        this.vRow = spec.kvHeads() * spec.vHeadDim();
        this.k = new MemorySegment[spec.layers()];
        this.v = new MemorySegment[spec.layers()];
        for (int l = 0; l < spec.layers(); l++) {
            k[l] = HugePages.allocate(arena, (long) spec.slots() * kRow * d.bytes());
            v[l] = HugePages.allocate(arena, (long) spec.slots() * vRow * d.bytes());
        }
    }

    /** Layer {@code layer}'s K pool, {@code [slot][kRow()]} elements of the spec's dtype. */
    public MemorySegment keys(int layer) {
        return k[layer];
    }

    /** Layer {@code layer}'s V pool, {@code [slot][vRow()]} elements of the spec's dtype. */
    public MemorySegment values(int layer) {
        return v[layer];
    }

    /** Elements per slot in a K pool: kvHeads x headDim. */
    public int kRow() {
        return kRow;
    }

    /** Elements per slot in a V pool: kvHeads x vHeadDim. */
    public int vRow() {
        return vRow;
    }

    @Override
    public KvCacheSpec spec() {
        return spec;
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
