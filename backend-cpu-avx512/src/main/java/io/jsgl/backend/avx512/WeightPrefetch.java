package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.IdleWork;
import io.jsgl.cpu.kernels.StreamRanges;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Pulls the first panels of the next decode GEMV's weight into the caches of the workers that
 * will read them, while those workers would otherwise wait on the caller's serial ops (norms,
 * activations, RoPE, sampling). Each core streams DRAM at about half the machine's bandwidth, so
 * an idle core is half the bandwidth unused; what it pulls in here, the GEMV later reads from L2.
 * Worker w fetches the front of range w of the weight, the panels {@link StreamRanges} gives it
 * first, up to {@link #MAX_BYTES} (half an L2).
 *
 * <p>The caller retargets it between ops while a worker may be in the middle of a piece; a worker
 * advances its cursor only by compare-and-set, so a stale piece never moves a new target's
 * cursor, and every read is a bounds-checked load from a live weight, so a stale target costs
 * only useless loads.
 */
final class WeightPrefetch implements IdleWork {
    static final long MAX_BYTES = 1L << 20;
    /** Bytes per piece: 64 independent line loads, well under a microsecond. */
    private static final long PIECE = 4096;
    private static final int PAD = 16; // longs: own cache lines per worker

    private final int threads;
    private final MemorySegment[] data;
    private final AtomicLongArray cursor;
    private final long[] end;
    private final int[] sink;

    WeightPrefetch(int threads) {
        this.threads = threads;
        this.data = new MemorySegment[threads];
        this.cursor = new AtomicLongArray(PAD * threads);
        this.end = new long[PAD * threads];
        this.sink = new int[PAD * threads];
    }

    /** Aims every worker but the caller at the front of its range of {@code w}. */
    void target(PackedWeight w) {
        int ranges = Math.min(threads, w.panels);
        for (int t = 1; t < threads; t++) {
            if (t >= ranges) {
                data[t] = null;
                continue;
            }
            long from = w.offset(StreamRanges.rangeStart(t, ranges, w.panels), 0);
            long to = w.offset(StreamRanges.rangeStart(t + 1, ranges, w.panels), 0);
            data[t] = w.data;
            end[PAD * t] = Math.min(to, from + MAX_BYTES);
            cursor.set(PAD * t, from);
        }
    }

    @Override
    public boolean step(int worker) {
        MemorySegment d = data[worker];
        long at = cursor.get(PAD * worker);
        long stop = Math.min(end[PAD * worker], at + PIECE);
        if (d == null || at >= stop) return false;
        int sum = 0;
        for (long o = at; o < stop; o += 64) sum += d.get(ValueLayout.JAVA_INT, o);
        sink[PAD * worker] += sum; // keeps the loads
        cursor.compareAndSet(PAD * worker, at, stop);
        return true;
    }
}
