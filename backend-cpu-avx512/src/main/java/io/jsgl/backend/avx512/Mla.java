package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.Views;
import io.jsgl.cpu.kernels.WorkerPool;

import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.DType;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.host.HostBuffer;
import io.jsgl.spi.op.MlaArgs;
import java.lang.foreign.MemorySegment;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Multi-head latent attention in the weight-absorbed form for every row, so the pool is only
 * ever read as latents (one row per token, shared by all heads):
 * <pre>
 *   q'[h] = ( W_UK[h]^T qNope[h] | qRope[h] )      per head, a GEMV/GEMM with W_UK[h]^T
 *   o[h]  = softmax(scale q'[h] . latent_j) latent_j[:rank]   the paged attention kernel, 1 KV head
 *   out[h] = W_UV[h] o[h]                         per head, a GEMV/GEMM with W_UV[h]
 * </pre>
 * which equals the expanded form of the reference up to f32 rounding. {@code W_UK[h]^T} and
 * {@code W_UV[h]} are cut out of {@code kv_b_proj} and packed at the first call for each layer's
 * weight (about the size of kv_b_proj again), as the SPI gives no load-time hint that a weight is
 * an MLA up-projection.
 */
final class Mla {
    private final Linear linear;
    private final Attention attention;
    private final WorkerPool pool;
    private final Map<PackedWeight, PackedWeight[][]> derived = new IdentityHashMap<>();

    private HostBuffer buffer;
    private long capFloats;

    Mla(Linear linear, Attention attention, WorkerPool pool) {
        this.linear = linear;
        this.attention = attention;
        this.pool = pool;
    }

    void run(MlaArgs a, AttentionBatch b) {
        if (!(a.cache() instanceof Avx512KvCache cache) || !cache.spec().isLatent()) {
            throw new IllegalArgumentException("MLA needs a latent KV cache allocated by this backend");
        }
        int rows = b.rows();
        int heads = a.heads(), nope = a.nopeDim(), rope = a.ropeDim(), rank = a.kvLoraRank(), vd = a.vHeadDim();
        int width = rank + rope;
        PackedWeight[][] w = heads(Tensors.matrix(a.kvB()), heads, nope, rank, vd);

        long need = (long) Math.max(rows, 1) * heads * (width + rank);
        if (need > capFloats) {
            if (buffer != null) buffer.close();
            capFloats = Math.max(need, 2 * capFloats);
            buffer = new HostBuffer(4 * capFloats);
        }
        int cap = (int) (capFloats / ((long) heads * (width + rank)));
        Tensor q = new Tensor(buffer, 0, cap, heads * width, heads * width, DType.F32);
        Tensor o = new Tensor(buffer, (long) cap * heads * width, cap, heads * rank, heads * rank, DType.F32);

        MemorySegment qs = HostBuffer.of(buffer);
        MemorySegment rs = Views.f32(a.qRope());
        for (int h = 0; h < heads; h++) {
            linear.run(a.qNope().columns(h * nope, nope), w[0][h], null, q.columns(h * width, rank), rows);
            for (int r = 0; r < rows; r++) {
                MemorySegment.copy(rs, Views.at(a.qRope(), r, h * rope), qs, Views.at(q, r, h * width + rank), 4L * rope);
            }
        }
        attention.run(q, a.latent(), null, o, cache, a.layer(), heads, 1, width, rank, a.scale(), 0, 0f, b);
        for (int h = 0; h < heads; h++) {
            linear.run(o.columns(h * rank, rank), w[1][h], null, a.out().columns(h * vd, vd), rows);
        }
    }

    /** {W_UK[h]^T ([rank, nope])} and {W_UV[h] ([vd, rank])} for every head, cut from kv_b once. */
    private PackedWeight[][] heads(PackedWeight kvB, int heads, int nope, int rank, int vd) {
        PackedWeight[][] w = derived.get(kvB);
        if (w != null) return w;
        PackedWeight[][] made = new PackedWeight[2][heads];
        int stride = nope + vd;
        pool.run(heads, (h, worker) -> {
            long base = (long) h * stride;
            made[0][h] = WeightLoader.derive(kvB.name() + ".uk_t." + h, kvB.dtype(), rank, nope,
                    (c, d) -> kvB.get(base + d, c));
            made[1][h] = WeightLoader.derive(kvB.name() + ".uv." + h, kvB.dtype(), vd, rank,
                    (d, c) -> kvB.get(base + nope + d, c));
        });
        derived.put(kvB, made);
        return made;
    }

    void close() {
        for (PackedWeight[][] w : derived.values()) {
            for (PackedWeight[] side : w) for (PackedWeight p : side) p.close();
        }
        derived.clear();
        if (buffer != null) buffer.close();
    }
}
