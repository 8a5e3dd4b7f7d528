package io.jsgl.backend.amx;

import io.jsgl.cpu.kernels.HugePages;
import io.jsgl.spi.DType;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightUse;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A linear weight {@code [N = out, K = in]} reordered once at load into oneDNN's preferred blocked
 * layout for {@code y = x W^T} (oneDNN's weights are {@code [K, N]}). For {@link MatKind#S8} it also
 * holds the per-output-channel f32 scales (the weight is {@code q * scale[n]}).
 */
final class PackedLinear implements Weight {
    private final String name;
    private final DType dtype;
    private final WeightUse use;
    final int n;
    final int k;
    final MatKind kind;
    private final Arena arena = Arena.ofShared();
    /** The blocked weights. */
    final MemorySegment data;
    /** oneDNN's descriptor of {@link #data} (owned). */
    final MemorySegment md;
    /** f32 [N] dequantization scales for S8, else null. */
    final MemorySegment scales;
    /** The layout when the Java GEMV can read it, else null. */
    final BlockedLayout layout;

    PackedLinear(String name, DType dtype, WeightUse use, int n, int k, MatKind kind, MemorySegment md,
                 BlockedLayout layout) {
        this.name = name;
        this.dtype = dtype;
        this.use = use;
        this.n = n;
        this.k = k;
        this.kind = kind;
        this.md = md;
        this.layout = layout;
        this.data = HugePages.allocate(arena, Dnnl.mdSize(md));
        this.scales = kind == MatKind.S8 ? arena.allocate(4L * n, 64) : null;
    }

    @Override public String name() { return name; }
    @Override public DType dtype() { return dtype; }
    @Override public long rows() { return n; }
    @Override public long cols() { return k; }
    @Override public WeightUse use() { return use; }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
            Dnnl.mdDestroy(md);
        }
    }
}
