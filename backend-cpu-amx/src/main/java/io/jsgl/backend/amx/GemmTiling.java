package io.jsgl.backend.amx;

import java.util.function.IntPredicate;

/**
 * How the Java GEMM driver cuts one prefill matmul into worker tasks: slices of {@code cols}
 * output columns (whole N blocks of the packed weight) times parts of {@code rows} rows of M.
 * Tasks run in rounds of one per worker, so the plan balances the rounds first: Llama-3.2-1B's
 * qkv (N 3072) in 128-column slices of all 512 rows made 24 tasks for 16 workers, two rounds
 * with half of the workers idle in the second. Tiles are at most 128 columns by 256 rows: on the
 * 16-core Sapphire Rapids every Llama-3.2-1B product ran fastest so (GemmBench, prefill-512,
 * ms per call for qkv / o / gate_up / down: 128x256 1.13 / 0.90 / 4.59 / 4.24; 128x512
 * 1.46 / 1.14 / 5.69 / 5.07; 256x256 1.51 / 1.22 / 5.07 / 4.62; 64x512 1.22 / 1.02 / 5.69 / 4.89;
 * 256x512 1.94 / 1.62 / 6.27 / 7.41; 512x512 3.70 / 3.12 / 8.29 / 14.5), as a worker's weight
 * slice and rows then stay in its L2. Among balanced plans under that cap it prefers the larger
 * tiles, since each oneDNN call pays for its own edges.
 */
record GemmTiling(int cols, int rows) {
    /** Slice widths tried. */
    static final int MIN_COLS = 64, MAX_COLS = 128;
    /** Tallest part: M is cut into at least {@code ceil(m / MAX_ROWS)} parts. */
    static final int MAX_ROWS = 256;
    /** Part heights are multiples of the brgemm's row block, so only the last part is shorter. */
    static final int ROW_ALIGN = 32;
    static final int MAX_PARTS = 8;
    /** Relative cost of a tile edge, in rows or columns: one call's fixed work (measured on the device). */
    static final double EDGE = 32;

    int parts(int m) {
        return (m + rows - 1) / rows;
    }

    int tasks(int m, int n) {
        return n / cols * parts(m);
    }

    /**
     * The cheapest plan for an {@code m x n} product on {@code workers}, with slice widths that are
     * multiples of {@code nBlock} dividing {@code n} and accepted by {@code sliceable}; {@code fixedCols}
     * or {@code fixedParts} (when above 0) pin a dimension. Null when no width qualifies.
     */
    static GemmTiling plan(int m, int n, int nBlock, int workers, int fixedCols, int fixedParts,
                           IntPredicate sliceable) {
        GemmTiling best = null;
        double bestCost = Double.MAX_VALUE;
        int lo = fixedCols > 0 ? fixedCols : Math.max(nBlock, MIN_COLS);
        int hi = fixedCols > 0 ? fixedCols : Math.min(n, MAX_COLS);
        for (int c = lo; c <= hi; c += nBlock) {
            if (c % nBlock != 0 || n % c != 0 || c >= n && fixedCols <= 0) continue;
            boolean checked = false;
            int fewest = (m + MAX_ROWS - 1) / MAX_ROWS;
            int pHi = fixedParts > 0 ? fixedParts : Math.max(fewest, MAX_PARTS);
            for (int p = fixedParts > 0 ? fixedParts : fewest; p <= pHi; p++) {
                int rows = roundUp((m + p - 1) / p, ROW_ALIGN);
                if (p > 1 && rows * (p - 1) >= m && fixedParts <= 0) break; // fewer parts: already seen
                GemmTiling t = new GemmTiling(c, Math.min(rows, m));
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
