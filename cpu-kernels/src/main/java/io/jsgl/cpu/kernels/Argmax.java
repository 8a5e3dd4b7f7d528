package io.jsgl.cpu.kernels;

import io.jsgl.spi.op.ArgmaxArgs;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Greedy sampling over host logits, for the CPU backends' {@code ARGMAX}: one row at a time on the
 * caller's thread (a vocabulary row is a few hundred KiB, tens of microseconds; no worker wake-up
 * pays for itself). The lowest index of equal maxima wins; NaN never does.
 *
 * <p>One vector pass: each lane keeps its running max and the first index where it was reached
 * (a strict greater-than, false for NaN, replaces both), then the lanes holding the overall max
 * give up their smallest index. A scalar loop took 120 us per step over a 151,936-token
 * vocabulary, 0.6% of a Qwen2.5-0.5B decode step.
 */
public final class Argmax {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int[] LANES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

    private Argmax() {}

    public static void rows(ArgmaxArgs a, int rows) {
        Views.checkRows(a.x(), rows, "argmax x");
        Views.checkRows(a.out(), rows, "argmax out");
        MemorySegment xs = Views.f32(a.x());
        MemorySegment os = Views.i32(a.out());
        int n = a.x().cols();
        for (int r = 0; r < rows; r++) {
            os.set(ValueLayout.JAVA_INT_UNALIGNED, Views.at(a.out(), r, 0), row(xs, Views.at(a.x(), r, 0), n));
        }
    }

    /** Index of the first maximum of the {@code n} floats at byte {@code base}; 0 when none beats -inf. */
    static int row(MemorySegment xs, long base, int n) {
        FloatVector max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        IntVector at = IntVector.zero(I);
        IntVector lane = IntVector.fromArray(I, LANES, 0);
        int c = 0;
        for (; c + F.length() <= n; c += F.length()) {
            FloatVector v = FloatVector.fromMemorySegment(F, xs, base + 4L * c, LE);
            VectorMask<Float> up = v.compare(VectorOperators.GT, max);
            max = max.blend(v, up);
            at = at.blend(lane.add(c), up.cast(I));
        }
        if (c < n) {
            VectorMask<Float> live = F.indexInRange(c, n);
            FloatVector v = FloatVector.fromMemorySegment(F, xs, base + 4L * c, LE, live);
            VectorMask<Float> up = v.compare(VectorOperators.GT, max).and(live);
            max = max.blend(v, up);
            at = at.blend(lane.add(c), up.cast(I));
        }
        float top = max.reduceLanes(VectorOperators.MAX);
        if (top == Float.NEGATIVE_INFINITY) return 0;
        VectorMask<Integer> holders = max.compare(VectorOperators.EQ, top).cast(I);
        return at.blend(Integer.MAX_VALUE, holders.not()).reduceLanes(VectorOperators.MIN);
    }
}
