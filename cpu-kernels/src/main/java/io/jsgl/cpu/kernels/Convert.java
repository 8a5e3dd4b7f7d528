package io.jsgl.cpu.kernels;

import io.jsgl.spi.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vectorized conversions between f32 and the 16-bit storage types, little-endian segments. */
public final class Convert {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    private Convert() {}

    /** {@code n} values of {@code dtype} from {@code src} (element index {@code srcIndex}) to f32 at {@code dst} byte offset. */
    public static void toF32(MemorySegment src, DType dtype, long srcIndex, MemorySegment dst, long dstByte, int n,
                             float scale) {
        // one method per dtype: each gets its own JIT profile, so the f32 copies of weight loading
        // do not leave an embedding's bf16 rows to an uncommon trap and a re-profiling run of
        // interpreted vector code (150 ms for a 512-row lookup)
        switch (dtype) {
            case F32 -> f32Scaled(src, srcIndex, dst, dstByte, n, scale);
            case BF16 -> bf16ToF32(src, srcIndex, dst, dstByte, n, scale);
            case F16 -> f16ToF32(src, srcIndex, dst, dstByte, n, scale);
            default -> throw new IllegalArgumentException("cannot read " + dtype + " as floats");
        }
    }

    private static void f32Scaled(MemorySegment src, long srcIndex, MemorySegment dst, long dstByte, int n, float scale) {
        int i = 0;
        for (; i <= n - F.length(); i += F.length()) {
            FloatVector.fromMemorySegment(F, src, 4 * (srcIndex + i), LE).mul(scale)
                    .intoMemorySegment(dst, dstByte + 4L * i, LE);
        }
        for (; i < n; i++) dst.set(FLOAT, dstByte + 4L * i, src.get(FLOAT, 4 * (srcIndex + i)) * scale);
    }

    /**
     * Scalar on purpose: it serves the embedding, called once per forward pass, and Vector API code
     * stays slow (boxed, allocating) until C2 compiles it, which a once-per-pass kernel reaches only
     * after dozens of passes (a 512-row lookup took 30-150 ms for the first six); this loop is fast
     * from C1 on and C2 vectorizes it.
     */
    private static void bf16ToF32(MemorySegment src, long srcIndex, MemorySegment dst, long dstByte, int n, float scale) {
        for (int i = 0; i < n; i++) {
            float v = Float.intBitsToFloat((src.get(SHORT, 2 * (srcIndex + i)) & 0xffff) << 16);
            dst.set(FLOAT, dstByte + 4L * i, v * scale);
        }
    }

    private static void f16ToF32(MemorySegment src, long srcIndex, MemorySegment dst, long dstByte, int n, float scale) {
        for (int i = 0; i < n; i++) {
            dst.set(FLOAT, dstByte + 4L * i, Float.float16ToFloat(src.get(SHORT, 2 * (srcIndex + i))) * scale);
        }
    }

    /** {@code n} f32 values at {@code src} byte offset rounded to bf16 at {@code dst} byte offset. */
    public static void f32ToBf16(MemorySegment src, long srcByte, MemorySegment dst, long dstByte, int n) {
        int i = 0;
        for (; i <= n - F.length(); i += F.length()) {
            // storeBf16, written out: a vector passed to a method C2 does not inline is boxed
            FloatVector v = FloatVector.fromMemorySegment(F, src, srcByte + 4L * i, LE);
            IntVector bits = v.reinterpretAsInts();
            IntVector rounded = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1).add(0x7fff))
                    .lanewise(VectorOperators.LSHR, 16);
            rounded = rounded.blend(0x7fc0, v.test(VectorOperators.IS_NAN).cast(I));
            ((ShortVector) rounded.convertShape(VectorOperators.I2S, S, 0)).intoMemorySegment(dst, dstByte + 2L * i, LE);
        }
        for (; i < n; i++) {
            dst.set(SHORT, dstByte + 2L * i, io.jsgl.spi.host.Numerics.floatToBf16(src.get(FLOAT, srcByte + 4L * i)));
        }
    }

    /** Writes {@code n} f32 values into a segment of {@code dtype} (F32, BF16 or F16), element index {@code dstIndex}. */
    public static void fromF32(MemorySegment src, long srcByte, MemorySegment dst, DType dtype, long dstIndex, int n) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, srcByte, dst, 4 * dstIndex, 4L * n);
            case BF16 -> f32ToBf16(src, srcByte, dst, 2 * dstIndex, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(SHORT, 2 * (dstIndex + i), Float.floatToFloat16(src.get(FLOAT, srcByte + 4L * i)));
                }
            }
            default -> throw new IllegalArgumentException("cannot store floats as " + dtype);
        }
    }
}
