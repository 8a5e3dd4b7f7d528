package io.jsgl.backend.amx;

import java.util.function.IntPredicate;

/**
 * How the Java GEMM driver cuts one prefill matmul into worker tasks: slices of {@code cols}
 * output columns (whole N blocks of the packed weight) times parts of {@code rows} rows of M.
 * Tasks run in rounds of one per worker, so the plan balances the rounds first: Llama-3.2-1B's
 * qkv (N 3072) in 128-column slices of all 512 rows made 24 tasks for 16 workers, two rounds
 * with half of the workers idle in the second. A task's weight slice, rows and output should fit
 * a worker's L2 together ({@link #L2_BUDGET}); among balanced plans that do, the larger tiles win,
 * since each oneDNN call pays for its own edges. When no tile fits (K of 8192), tiles are at most
 * 128 x 256. Measured on the 16-core Sapphire Rapids (GemmBench, Llama-3.2-1B prefill-512, ms per
 * call for qkv / o / gate_up / down; K 2048 but down's 8192): 128x256 1.13 / 0.90 / 4.59 / 4.24;
 * 128x512 1.46 / 1.14 / 5.69 / 5.07; 256x256 1.51 / 1.22 / 5.07 / 4.62; 64x512 1.22 / 1.02 / 5.69 /
 * 4.89; 256x512 1.94 / 1.62 / 6.27 / 7.41; 512x512 3.70 / 3.12 / 8.29 / 14.5. On 2 cores with K 896
 * (Qwen2.5-0.5B gate_up) 256x256 took 5.7 ms against 6.1 for 128x256.
 */
record GemmTiling(int cols, int rows) {
    /** Slice widths tried. */
    static final int MIN_COLS = 64, MAX_COLS = 512;
    /** Tallest part: M is cut into at least {@code ceil(m / MAX_ROWS)} parts. */
    static final int MAX_ROWS = 512;
    /** The tile cap when no tile fits {@link #L2_BUDGET}. */
    static final int FALLBACK_COLS = 128, FALLBACK_ROWS = 256;
    /** Bytes of a task's weight slice, source rows and f32 output: most of a 2 MiB L2. */
    static final long L2_BUDGET = 1792 * 1024;
    /** Fewest rows of a tile that counts as fitting: slivers of M that fit re-read the slice per part. */
    static final int MIN_FIT_ROWS = 128;
    /** Part heights are multiples of the brgemm's row block, so only the last part is shorter. */
    static final int ROW_ALIGN = 32;
    static final int MAX_PARTS = 16;
    /** Relative cost of a tile edge, in rows or columns: one call's fixed work. */
    static final double EDGE = 32;

    int parts(int m) {
        return (m + rows - 1) / rows;
    }

    int tasks(int m, int n) {
        return n / cols * parts(m);
    }

    /** Bytes one task touches: its weight slice and source rows ({@code elementBytes} each) and f32 output. */
    static long workingSet(int k, int cols, int rows, int elementBytes) {
        return (long) elementBytes * k * cols + (long) elementBytes * rows * k + 4L * rows * cols;
    }

    /**
     * The cheapest plan for an {@code m x k x n} product on {@code workers}, with slice widths that
     * are multiples of {@code nBlock} dividing {@code n} and accepted by {@code sliceable};
     * {@code fixedCols} or {@code fixedParts} (when above 0) pin a dimension. Null when no width
     * qualifies.
     */
    static GemmTiling plan(int m, int k, int n, int elementBytes, int nBlock, int workers, int fixedCols,
                           int fixedParts, IntPredicate sliceable) {
        GemmTiling fits = plan(m, k, n, elementBytes, nBlock, workers, fixedCols, fixedParts, sliceable, true);
        return fits != null ? fits : plan(m, k, n, elementBytes, nBlock, workers, fixedCols, fixedParts, sliceable, false);
    }

    private static GemmTiling plan(int m, int k, int n, int elementBytes, int nBlock, int workers, int fixedCols,
                                   int fixedParts, IntPredicate sliceable, boolean inL2) {
        GemmTiling best = null;
        double bestCost = Double.MAX_VALUE;
        int maxCols = inL2 ? MAX_COLS : FALLBACK_COLS;
        int maxRows = inL2 ? MAX_ROWS : FALLBACK_ROWS;
        int lo = fixedCols > 0 ? fixedCols : Math.max(nBlock, MIN_COLS);
        int hi = fixedCols > 0 ? fixedCols : Math.min(n, maxCols);
        int fewest = (m + maxRows - 1) / maxRows;
        for (int c = lo; c <= hi; c += nBlock) {
            if (c % nBlock != 0 || n % c != 0 || c >= n && fixedCols <= 0) continue;
            boolean checked = false;
            int pHi = fixedParts > 0 ? fixedParts : Math.max(fewest, MAX_PARTS);
            for (int p = fixedParts > 0 ? fixedParts : fewest; p <= pHi; p++) {
                int rows = roundUp((m + p - 1) / p, ROW_ALIGN);
                if (p > 1 && rows * (p - 1) >= m && fixedParts <= 0) break; // fewer parts: already seen
                GemmTiling t = new GemmTiling(c, Math.min(rows, m));
                boolean pinned = fixedCols > 0 && fixedParts > 0;
                if (inL2 && !pinned && (workingSet(k, c, t.rows, elementBytes) > L2_BUDGET
                        || t.rows < Math.min(m, MIN_FIT_ROWS))) {
                    continue;
                }
                long rounds = (t.tasks(m, n) + workers - 1) / workers;
                double cost = rounds * (double) c * t.rows * (1 + EDGE / c + EDGE / t.rows);
                if (cost >= bestCost) continue;
                if (!checked) {
                    if (!sliceable.test(c)) break;
                    checked = true;
                }
                best = t;
                bestCost = cost;
            }
        }
        return best;
    }

    private static int roundUp(int x, int to) {
        return (x + to - 1) / to * to;
    }
}
