package io.jsgl.backend.avx512;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The epilogue every linear kernel shares: one output row's 32 columns of a weight panel, parked
 * by the kernel in a float array, plus an optional addend (the bias, or what an earlier k block
 * stored), written to the output row. The kernels park their accumulators in an array rather than
 * pass vectors here: a vector handed to a method that is not inlined is boxed, and C2 would then
 * box the loop-carried accumulators on every step. Whole and partial panels are separate small
 * methods, so that C2 inlines them and C1 never gives up on them (a method C1 gives up on never
 * reaches C2, and its vector calls then run uncompiled).
 */
final class PanelStore {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private PanelStore() {}

    /**
     * {@code out[o ..]} = {@code acc[at .. at+31]} (+ {@code add[addByte ..]} when add is not null),
     * the first {@code valid} columns only when the panel is the last, partial one.
     */
    static void write(float[] acc, int at, MemorySegment out, long o, MemorySegment add, long addByte, int valid) {
        if (valid >= PackedWeight.PANEL) whole(acc, at, out, o, add, addByte);
        else partial(acc, at, out, o, add, addByte, valid);
    }

    private static void whole(float[] acc, int at, MemorySegment out, long o, MemorySegment add, long addByte) {
        FloatVector lo = FloatVector.fromArray(F, acc, at);
        FloatVector hi = FloatVector.fromArray(F, acc, at + 16);
        if (add != null) {
            lo = lo.add(FloatVector.fromMemorySegment(F, add, addByte, LE));
            hi = hi.add(FloatVector.fromMemorySegment(F, add, addByte + 64, LE));
        }
        lo.intoMemorySegment(out, o, LE);
        hi.intoMemorySegment(out, o + 64, LE);
    }

    /** Padding rows of the last panel must not spill into the next columns of a strided view. */
    private static void partial(float[] acc, int at, MemorySegment out, long o, MemorySegment add, long addByte,
                                int valid) {
        VectorMask<Float> m0 = F.indexInRange(0, valid);
        VectorMask<Float> m1 = F.indexInRange(16, valid);
        FloatVector lo = FloatVector.fromArray(F, acc, at);
        FloatVector hi = FloatVector.fromArray(F, acc, at + 16);
        if (add != null) {
            lo = lo.add(FloatVector.fromMemorySegment(F, add, addByte, LE, m0));
            hi = hi.add(FloatVector.fromMemorySegment(F, add, addByte + 64, LE, m1));
        }
        lo.intoMemorySegment(out, o, LE, m0);
        hi.intoMemorySegment(out, o + 64, LE, m1);
    }
}
