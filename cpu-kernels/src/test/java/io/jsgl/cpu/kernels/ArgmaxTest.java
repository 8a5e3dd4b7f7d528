package io.jsgl.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ArgmaxTest {

    /** The definition: the first index whose value beats every earlier one; NaN never does. */
    private static int reference(float[] x) {
        int best = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < x.length; i++) {
            if (x[i] > max) {
                max = x[i];
                best = i;
            }
        }
        return best;
    }

    private static int vector(float[] x) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4L * x.length + 4, 4).asSlice(4); // an unaligned row
            MemorySegment.copy(x, 0, s, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, x.length);
            return Argmax.row(s, 0, x.length);
        }
    }

    @Test
    void matchesTheScalarDefinitionOnRandomAndAwkwardRows() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int round = 0; round < 400; round++) {
            int n = 1 + rnd.nextInt(200);
            float[] x = new float[n];
            int kind = round % 5;
            for (int i = 0; i < n; i++) {
                x[i] = switch (kind) {
                    case 0 -> (float) rnd.nextGaussian();
                    case 1 -> rnd.nextInt(4); // many ties
                    case 2 -> rnd.nextInt(5) == 0 ? Float.NaN : (float) rnd.nextGaussian();
                    case 3 -> rnd.nextBoolean() ? Float.NEGATIVE_INFINITY : -0f;
                    default -> -1e30f - rnd.nextInt(3);
                };
            }
            assertEquals(reference(x), vector(x), "round " + round + " n " + n);
        }
    }

    @Test
    void edgeRows() {
        float nan = Float.NaN, inf = Float.POSITIVE_INFINITY, ninf = Float.NEGATIVE_INFINITY;
        float[][] rows = {
            {nan, nan, nan},
            {ninf, ninf},
            {nan, ninf, 3f, 3f},
            {-0f, 0f},
            {0f, -0f},
            {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 0}, // max in the tail
            {5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5}, // tie across lanes and the tail
            {1, inf, 2, inf},
        };
        for (float[] x : rows) assertEquals(reference(x), vector(x), java.util.Arrays.toString(x));
    }
}
