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
 * keep the loop at one load and one add per line.
 */
public final class BandwidthProbe {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final int PASSES = 5;

    private BandwidthProbe() {}

    /** Best of a few passes over {@code bytes} (rounded down to 256), in GB/s. */
    public static double measure(WorkerPool pool, long bytes) {
        long n = bytes & ~255L;
        if (n <= 0) throw new IllegalArgumentException("probe size " + bytes + " is below 256 bytes");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment data = HugePages.allocate(arena, n); // the same kind of memory as the weights
            data.fill((byte) 1); // touch every page before timing
            int chunks = (int) Math.max(1, Math.min(4096, n / (1 << 16)));
            float[] sums = new float[pool.threads()];
            double best = 0;
            for (int pass = 0; pass < PASSES; pass++) {
                long t0 = System.nanoTime();
                pool.run(chunks, (chunk, worker) -> {
                    long from = n * chunk / chunks & ~255L;
                    long to = chunk == chunks - 1 ? n : n * (chunk + 1) / chunks & ~255L;
                    sums[worker] += sum(data, from, to);
                });
                double seconds = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, n / seconds / 1e9);
            }
            if (Float.isNaN(sums[0])) throw new IllegalStateException("probe sum is NaN"); // keeps the sums live
            return best;
        }
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
