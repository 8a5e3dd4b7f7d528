package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.Convert;
import io.jsgl.spi.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Where the K and V rows of a run of keys lie, for {@link DecodeGroup} to read them in place: a
 * source segment and one byte offset per key. A bf16 or f32 pool is read straight from its slots,
 * with no copy; an f16 pool, which the Vector API cannot widen, is widened once into f32 rows here.
 *
 * <p>A bf16 row holds 32 channels per 64-byte line in {@link Avx512KvCache}'s lane order: the
 * line's low halves are channels 0..15, its high halves 16..31. An f32 row holds 16 per line.
 * Reading channels {@code [16t, 16t + 16)} is the same three steps for both, so the loops hold no
 * branch on the dtype: load the line at {@link #lineByte}, shift its lanes left by {@link #shift},
 * keep the bits of {@link #mask}. A helper that branched on the dtype compiled, on its own, to more
 * code than C2 inlines into a large caller, which then called it per row and boxed every vector.
 */
final class KvBlock {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final int capacity;
    final long[] kOff;
    final long[] vOff;
    MemorySegment k;
    MemorySegment v;
    /** Rows are bf16 pairs (else f32). */
    boolean bf16;

    private final Arena arena = Arena.ofAuto();
    private MemorySegment kWide = MemorySegment.NULL;
    private MemorySegment vWide = MemorySegment.NULL;

    /** For runs of up to {@code capacity} keys. */
    KvBlock(int capacity) {
        this.capacity = capacity;
        this.kOff = new long[capacity];
        this.vOff = new long[capacity];
    }

    /** Keys {@code slotTable[base .. base+n)} of {@code kvHead} in {@code layer}. */
    void locate(Avx512KvCache cache, int layer, int kvHead, int[] slotTable, int base, int n, int hdp, int vdp) {
        if (cache.dtype == DType.F16) {
            widenF16(cache, layer, kvHead, slotTable, base, n, hdp, vdp);
            return;
        }
        bf16 = cache.dtype == DType.BF16;
        k = cache.k;
        v = cache.v;
        for (int j = 0; j < n; j++) {
            int slot = slotTable[base + j];
            kOff[j] = cache.kOffset(layer, kvHead, slot);
            vOff[j] = cache.vOffset(layer, kvHead, slot);
        }
    }

    private void widenF16(Avx512KvCache cache, int layer, int kvHead, int[] slotTable, int base, int n, int hdp, int vdp) {
        if (kWide.byteSize() < 4L * capacity * hdp) kWide = arena.allocate(4L * capacity * hdp, 64);
        if (vWide.byteSize() < 4L * capacity * vdp) vWide = arena.allocate(4L * capacity * vdp, 64);
        bf16 = false;
        k = kWide;
        v = vWide;
        for (int j = 0; j < n; j++) {
            int slot = slotTable[base + j];
            kOff[j] = 4L * j * hdp;
            vOff[j] = 4L * j * vdp;
            // the pool's offsets are bytes, Convert's source index counts f16 values
            Convert.toF32(cache.k, DType.F16, cache.kOffset(layer, kvHead, slot) / 2, kWide, kOff[j], hdp, 1f);
            Convert.toF32(cache.v, DType.F16, cache.vOffset(layer, kvHead, slot) / 2, vWide, vOff[j], vdp, 1f);
        }
    }

    /**
     * Keys {@code [first, first + n)} copied as they lie, one after another, for {@link KeyTranspose};
     * returns the floats per copied row: hdp, or hdp / 2 for a bf16 row kept raw. Line by line: a
     * bulk copy per row cost more in its checks than the row's bytes.
     */
    int stageKeys(int first, int n, int hdp, float[] dst) {
        int rowFloats = bf16 ? hdp / 2 : hdp;
        for (int j = 0; j < n; j++) {
            long row = kOff[first + j];
            for (int c = 0; c < rowFloats; c += 16) FloatVector.fromMemorySegment(F, k, row + 4L * c, LE).intoArray(dst, j * rowFloats + c);
        }
        return rowFloats;
    }

    /** Byte offset, within a row, of the line that holds channels {@code [16t, 16t + 16)}. */
    long lineByte(int t) {
        return bf16 ? 64L * (t >> 1) : 64L * t;
    }

    int shift(int t) {
        return bf16 && (t & 1) == 0 ? 16 : 0;
    }

    int mask(int t) {
        return bf16 && (t & 1) == 1 ? 0xffff0000 : -1;
    }

    /** The 16 channels of the line at {@code at}, widened by the line's shift and mask. */
    static FloatVector read(MemorySegment src, long at, int shift, int mask) {
        return IntVector.fromMemorySegment(I, src, at, LE).lanewise(VectorOperators.LSHL, shift).and(mask).reinterpretAsFloats();
    }
}
