package io.jsgl.cpu.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The memory bandwidth a CPU backend can reach: a parallel vector sum over a fresh off-heap
 * buffer, on the backend's own worker pool, so that decode's weight streaming can be judged
 * against what the same threads read in the same run. Four independent accumulators per thread
 * keep the loop at one load and one add per line. Each thread reads one contiguous part, the
 * pattern the decode GEMVs use ({@link StreamRanges}), in one call, so the loop never restarts:
 * 64 KiB chunks handed out in turn read 5-7% less on a 2-core Xeon, and one call per 64 KiB of a
 * contiguous part 3% less; a probe that reads less than the machine can flatters the kernels.
 */
public final class BandwidthProbe {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final int PASSES = 5;
    /** Calls of {@link #sum} that get it compiled before the first timed pass. */
    private static final int WARM_UP_CALLS = 20_000;

    private BandwidthProbe() {}

    /** Best of a few passes over {@code bytes} (rounded down to 256), in GB/s. */
    public static double measure(WorkerPool pool, long bytes) {
        long n = bytes & ~255L;
        if (n <= 0) throw new IllegalArgumentException("probe size " + bytes + " is below 256 bytes");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment data = HugePages.allocate(arena, n); // the same kind of memory as the weights
            data.fill((byte) 1); // touch every page before timing
            warmUp();
            float total = 0;
            double best = 0;
            for (int pass = 0; pass < PASSES; pass++) {
                long t0 = System.nanoTime();
                total += read(pool, data);
                double seconds = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, n / seconds / 1e9);
            }
            if (Float.isNaN(total)) throw new IllegalStateException("probe sum is NaN"); // keeps the sums live
            return best;
        }
    }

    /**
     * Compiles {@link #sum} before anything is timed: a pass makes one long call per thread, and a
     * loop that only on-stack replacement reaches starts every call interpreted (the first passes
     * of a cold probe read 9 GB/s).
     */
    public static void warmUp() {
        MemorySegment small = Arena.ofAuto().allocate(4096, 64);
        float total = 0;
        for (int i = 0; i < WARM_UP_CALLS; i++) total += sum(small, 0, small.byteSize());
        if (Float.isNaN(total)) throw new IllegalStateException("probe sum is NaN");
    }

    /**
     * One pass of the probe over {@code data} (a multiple of 256 bytes), one contiguous part per
     * thread; returns the sum of what was read, which the caller must keep live. Call
     * {@link #warmUp} once first.
     */
    public static float read(WorkerPool pool, MemorySegment data) {
        long n = data.byteSize();
        int parts = pool.threads();
        float[] sums = new float[parts];
        pool.run(parts, (part, worker) -> {
            long from = n * part / parts & ~255L;
            long to = part == parts - 1 ? n : n * (part + 1) / parts & ~255L;
            sums[part] = sum(data, from, to);
        });
        float total = 0;
        for (float v : sums) total += v;
        return total;
    }

    /** The probe's inner loop: a vector sum of bytes {@code [from, to)} (256-byte steps) as floats. */
    public static float sum(MemorySegment d, long from, long to) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (long o = from; o < to; o += 256) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, d, o, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, d, o + 64, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, d, o + 128, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, d, o + 192, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }
}
