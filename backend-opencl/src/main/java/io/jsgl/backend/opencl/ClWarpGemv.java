package io.jsgl.backend.opencl;

import io.jsgl.spi.op.LinearArgs;
import java.lang.foreign.MemorySegment;

/**
 * Launch geometry and common arguments of the warp GEMV ({@code gemvw.cl}, every epilogue and the
 * norm prologue): 4 warps a work-group, a warp owns {@code rowsPerWarp} weight rows (a gate|up pair:
 * gate row u and up row n/2 + u), and {@code ks} warps share a unit's K while the launch has few warps.
 */
final class ClWarpGemv {
    /** Threads a work-group (GW_T in gemvw.cl). */
    static final int THREADS = 128;
    private static final int WARPS = THREADS / 32;

    private final int rowsPerWarp;
    private final int forcedSplit;
    private final int targetWarps;

    /**
     * @param rowsPerWarp opencl.gemvRows (2 or 4)
     * @param forcedSplit opencl.gemvSplit (1, 2, 4; 0 = automatic)
     * @param targetWarps opencl.gemvWarps: the automatic split doubles while the launch has fewer warps
     */
    ClWarpGemv(int rowsPerWarp, int forcedSplit, int targetWarps) {
        this.rowsPerWarp = rowsPerWarp;
        this.forcedSplit = forcedSplit;
        this.targetWarps = targetWarps;
    }

    private long units(int n, boolean pairs) {
        return pairs ? n / 2 : (n + rowsPerWarp - 1) / rowsPerWarp;
    }

    /** Warps that share a unit's K (1, 2 or 4): enough warps in flight, each keeping >= 2 K steps of 256. */
    int split(int n, int k, boolean pairs) {
        if (forcedSplit > 0) return forcedSplit;
        long units = units(n, pairs);
        int ks = 1;
        while (ks < 4 && units * ks * 2 <= targetWarps && k >= 512 * ks * 2) ks *= 2;
        return ks;
    }

    /** Work-items of a launch. */
    long global(int n, boolean pairs, int ks) {
        long perGroup = WARPS / ks;
        return (units(n, pairs) + perGroup - 1) / perGroup * THREADS;
    }

    /** Sets the arguments every warp-GEMV kernel takes first; the caller adds the epilogue's and launches. */
    ClKernel args(ClKernel k, ClWeight w, ClWeight bias, ClBuffer dummy, LinearArgs a, int rows, boolean pairs) {
        return k.begin()
                .mem(w.buffer()).i((int) w.ld()).i(a.x().cols()).i(a.out().cols())
                .view((ClBuffer) a.x().buffer(), a.x())
                .mem(bias == null ? dummy : bias.buffer()).i(bias == null ? 0 : bias.code()).i(bias == null ? 0 : 1)
                .view((ClBuffer) a.out().buffer(), a.out()).i(rows)
                .i(split(a.out().cols(), a.x().cols(), pairs));
    }

    void launch(ClKernel k, MemorySegment queue, LinearArgs a, boolean pairs) {
        int n = a.out().cols();
        k.run(queue, global(n, pairs, split(n, a.x().cols(), pairs)), THREADS);
    }
}
