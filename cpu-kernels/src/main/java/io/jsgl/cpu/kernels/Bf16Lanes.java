package io.jsgl.cpu.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Widening of two bf16 values packed in each 32-bit lane, with no shuffle: a bf16 is the high half
 * of an f32, so {@code lane << 16} is the low bf16 as a float and {@code lane & 0xffff0000} the high
 * one. Which values a layout pairs in a lane is the layout's business: rows {@code j} and
 * {@code j + 16} of a cpu-avx512 panel column, or the two K values of a oneDNN VNNI pair.
 * Small on purpose: C2 inlines them into the kernels' loops, so no vector crosses a call.
 */
public final class Bf16Lanes {
    private static final int HIGH_HALF = 0xffff0000;

    private Bf16Lanes() {}

    /** The low bf16 of each lane, as floats. */
    public static FloatVector low(IntVector lanes) {
        return lanes.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** The high bf16 of each lane, as floats. */
    public static FloatVector high(IntVector lanes) {
        return lanes.and(HIGH_HALF).reinterpretAsFloats();
    }
}
