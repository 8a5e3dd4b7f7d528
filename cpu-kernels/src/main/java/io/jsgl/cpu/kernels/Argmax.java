package io.jsgl.cpu.kernels;

import io.jsgl.spi.op.ArgmaxArgs;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Greedy sampling over host logits, for the CPU backends' {@code ARGMAX}: one row at a time on the
 * caller's thread (a vocabulary row is a few hundred KiB, tens of microseconds; no worker wake-up
 * pays for itself). The lowest index of equal maxima wins; NaN never does.
 */
public final class Argmax {
    private Argmax() {}

    public static void rows(ArgmaxArgs a, int rows) {
        Views.checkRows(a.x(), rows, "argmax x");
        Views.checkRows(a.out(), rows, "argmax out");
        MemorySegment xs = Views.f32(a.x());
        MemorySegment os = Views.i32(a.out());
        int n = a.x().cols();
        for (int r = 0; r < rows; r++) {
            long base = Views.at(a.x(), r, 0);
            int best = 0;
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < n; c++) {
                float v = xs.get(ValueLayout.JAVA_FLOAT_UNALIGNED, base + 4L * c);
                if (v > max) {
                    max = v;
                    best = c;
                }
            }
            os.set(ValueLayout.JAVA_INT_UNALIGNED, Views.at(a.out(), r, 0), best);
        }
    }
}
