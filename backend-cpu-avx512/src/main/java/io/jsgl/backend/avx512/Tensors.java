package io.jsgl.backend.avx512;

import io.jsgl.spi.Weight;
import java.lang.foreign.MemorySegment;

/**
 * This backend's own weights behind the SPI's {@link Weight}; tensor addressing and argument
 * checks are {@link io.jsgl.cpu.kernels.Views}, shared with cpu-amx.
 */
final class Tensors {
    private Tensors() {}

    static PackedWeight matrix(Weight w) {
        if (w instanceof PackedWeight p) return p;
        throw new IllegalArgumentException("weight " + w.name() + " was not loaded as a matrix by this backend");
    }

    /** The f32 values of a bias or norm weight, or null for a null weight. */
    static MemorySegment vector(Weight w) {
        if (w == null) return null;
        if (w instanceof VectorWeight v) return v.data;
        if (w instanceof PackedWeight p) return p.rowZero().data;
        throw new IllegalArgumentException("weight " + w.name() + " was not loaded by this backend");
    }
}
