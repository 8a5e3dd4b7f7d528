package io.jsgl.cpu.kernels;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Runs items {@code [0, n)} as one contiguous range per thread: thread {@code w} walks range
 * {@code w} front to back, then takes items from the back of the fullest other range. For
 * memory-bound ops (decode GEMVs) this keeps every thread on one sequential stream, which the
 * hardware prefetchers follow across items; small chunks handed out in turn break each thread's
 * reads into jumps, and a 2 MB GEMV lost a tenth of its bandwidth to that. A thread that runs
 * late costs only the items it did not start, as with {@link WorkerPool}'s chunks, and a thread
 * knows in advance which items it will read first ({@link #rangeStart}).
 *
 * <p>A claim takes an eighth of what is left of its range, never fewer than the caller's block
 * (guided self-scheduling): long claims early, single items at the end where they balance the
 * threads. Each claim is a compare-and-set, a locked instruction that waits for every load in
 * flight, so claiming one item at a time restarted the weight streams at every item: the LM head
 * of Qwen2.5-0.5B (4748 panels) streamed at 0.93 of a bandwidth probe with one panel per claim and
 * at 0.97 with guided claims, the same as a static split with no claims at all.
 *
 * <p>One instance serves one op at a time and allocates nothing per call.
 */
public final class StreamRanges implements ParallelTask {
    /** Items {@code [from, to)}, run in order on {@code worker}. */
    @FunctionalInterface
    public interface Body {
        void run(int from, int to, int worker);
    }

    private final WorkerPool pool;
    /**
     * Per range, at index {@code PAD * range}: next item from the front (high 32 bits) | end of the
     * untaken items (low 32 bits). Each range has its own pair of cache lines, since its owner
     * updates it once per block while the other owners update theirs.
     */
    private final AtomicLongArray bounds;
    private static final int PAD = 16;
    /** A claim takes {@code 1/GUIDE} of what is left in its range (at least the block). */
    static final int GUIDE = 8;
    private Body body; // the current call, published to the workers by the pool
    private int ranges;
    private int block;

    public StreamRanges(WorkerPool pool) {
        this.pool = pool;
        this.bounds = new AtomicLongArray(PAD * pool.threads());
    }

    /** Runs {@code body} over {@code n} items, claimed at least {@code block} at a time. */
    public void run(int n, int block, Body body) {
        if (n <= 0) return;
        if (block < 1) throw new IllegalArgumentException("block " + block + " is below 1");
        int r = Math.min(pool.threads(), n);
        for (int i = 0; i < r; i++) bounds.set(PAD * i, (long) rangeStart(i, r, n) << 32 | rangeStart(i + 1, r, n));
        this.body = body;
        this.ranges = r;
        this.block = block;
        try {
            pool.run(r, this);
        } finally {
            this.body = null;
        }
    }

    /** First item of range {@code i} of {@code r} over {@code n} items: where thread i starts. */
    public static int rangeStart(int i, int r, int n) {
        return Views.chunkStart(i, r, n);
    }

    /** How many of the {@code left} items of a range one claim takes. */
    private int claim(int left) {
        return Math.max(block, left / GUIDE);
    }

    /**
     * The chunk index only counts the threads taking part: any thread may take from the front of
     * any range (each take is its own compare-and-set), so thread w always walks range w.
     */
    @Override
    public void run(int chunk, int worker) {
        Body body = this.body;
        int range = worker % ranges;
        while (true) { // our own range, front to back
            long s = bounds.get(PAD * range);
            int from = (int) (s >>> 32), end = (int) s;
            if (from >= end) break;
            int to = Math.min(end, from + claim(end - from));
            if (bounds.compareAndSet(PAD * range, s, (long) to << 32 | end)) body.run(from, to, worker);
        }
        while (true) { // then the back of whichever range has most left
            int victim = -1;
            long most = 0;
            for (int i = 0; i < ranges; i++) {
                long s = bounds.get(PAD * i);
                long left = (int) s - (s >>> 32);
                if (left > most) {
                    most = left;
                    victim = i;
                }
            }
            if (victim < 0) return;
            long s = bounds.get(PAD * victim);
            int from = (int) (s >>> 32), end = (int) s;
            if (from >= end) continue;
            int take = Math.max(from, end - claim(end - from));
            if (bounds.compareAndSet(PAD * victim, s, (long) from << 32 | take)) body.run(take, end, worker);
        }
    }
}
