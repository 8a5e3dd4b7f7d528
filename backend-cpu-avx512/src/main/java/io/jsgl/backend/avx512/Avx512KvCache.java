package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.HugePages;
import io.jsgl.spi.DType;
import io.jsgl.spi.KvCache;
import io.jsgl.spi.KvCacheSpec;
import io.jsgl.spi.host.Numerics;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The KV pool off-heap, ordered {@code [layer][kvHead][slot][channel]}: the attention of one KV
 * head reads one dense region however its sequence's slots are scattered, and a key's channels
 * are one contiguous run.
 *
 * <p>Rows are padded with zeros to whole vectors (16 floats; 32 channels for bf16) so the kernel
 * never needs a masked tail; zero channels add nothing to a dot product. bf16 rows use the same
 * lane order as {@link PackedWeight}: within each group of 32 channels, 32-bit lane {@code j}
 * holds channel {@code j} low and {@code j + 16} high, so a 64-byte load widens to channels
 * 0..15 and 16..31 with one shift and one mask. f16 is stored in natural order and widened one
 * value at a time.
 */
final class Avx512KvCache implements KvCache {
    private final KvCacheSpec spec;
    private final Arena arena;
    final DType dtype;
    /** Channels per stored K / V row, padded. */
    final int kStride;
    final int vStride;
    final MemorySegment k;
    final MemorySegment v;

    Avx512KvCache(KvCacheSpec spec) {
        this.spec = spec;
        this.dtype = spec.dtype();
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("KV cache dtype " + dtype + " is not supported (F32, BF16, F16)");
        }
        int align = dtype == DType.BF16 ? 32 : 16;
        this.kStride = roundUp(spec.headDim(), align);
        this.vStride = roundUp(spec.vHeadDim(), align);
        long rowsTotal = (long) spec.layers() * spec.kvHeads() * spec.slots();
        this.arena = Arena.ofShared();
        this.k = HugePages.allocate(arena, rowsTotal * kStride * dtype.bytes());
        this.v = HugePages.allocate(arena, rowsTotal * vStride * dtype.bytes());
    }

    static int roundUp(int x, int m) {
        return (x + m - 1) / m * m;
    }

    /** Byte offset of the K row of (layer, head, slot). */
    long kOffset(int layer, int head, int slot) {
        return rowIndex(layer, head, slot) * kStride * dtype.bytes();
    }

    long vOffset(int layer, int head, int slot) {
        return rowIndex(layer, head, slot) * vStride * dtype.bytes();
    }

    private long rowIndex(int layer, int head, int slot) {
        if (slot < 0 || slot >= spec.slots()) throw new IndexOutOfBoundsException("KV slot " + slot + " of " + spec.slots());
        return ((long) layer * spec.kvHeads() + head) * spec.slots() + slot;
    }

    /** Writes channel {@code c} of a row at byte offset {@code row}, rounding to the pool's dtype. */
    void put(MemorySegment pool, long row, int c, float value) {
        switch (dtype) {
            case F32 -> pool.set(ValueLayout.JAVA_FLOAT_UNALIGNED, row + 4L * c, value);
            case F16 -> pool.set(ValueLayout.JAVA_SHORT_UNALIGNED, row + 2L * c, Float.floatToFloat16(value));
            case BF16 -> {
                int group = c & ~31;
                int lane = c & 15;
                int half = (c & 16) == 0 ? 0 : 1;
                pool.set(ValueLayout.JAVA_SHORT_UNALIGNED, row + 2L * (group + 2 * lane + half), Numerics.floatToBf16(value));
            }
            default -> throw new IllegalStateException();
        }
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
