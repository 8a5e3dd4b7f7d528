package io.jsgl.backend.amx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The Java GEMM driver's task plans: Llama-3.2-1B's prefill-512 products on 16 workers, Qwen's on 2. */
class GemmTilingTest {
    private static GemmTiling plan(int m, int k, int n, int fixedCols, int fixedParts) {
        return GemmTiling.plan(m, k, n, 2, 32, 16, fixedCols, fixedParts, c -> true);
    }

    @Test
    void everyLlamaProductRunsInFullRoundsOfTheMeasuredBestTile() {
        for (int[] kn : new int[][] {{2048, 3072}, {2048, 2048}, {2048, 16384}, {8192, 2048}}) { // qkv, o, gate_up, down
            GemmTiling t = plan(512, kn[0], kn[1], 0, 0);
            assertEquals(new GemmTiling(128, 256), t, "K " + kn[0] + " N " + kn[1]);
            assertEquals(0, t.tasks(512, kn[1]) % 16, "K " + kn[0] + " N " + kn[1]);
        }
    }

    @Test
    void shallowProductsTakeLargerTilesThatStillFitL2() {
        // Qwen2.5-0.5B's gate_up (K 896) on 2 workers: 256 x 256 (1.1 MiB), not 128 x 256
        GemmTiling t = GemmTiling.plan(512, 896, 9728, 2, 32, 2, 0, 0, c -> true);
        assertEquals(new GemmTiling(256, 256), t);
        assertTrue(GemmTiling.workingSet(896, t.cols(), t.rows(), 2) <= GemmTiling.L2_BUDGET);
    }

    @Test
    void balanceComesBeforeTileSize() {
        GemmTiling t = plan(512, 2048, 1152, 0, 0);
        assertEquals(0, t.tasks(512, 1152) % 16, t.toString());
        assertEquals(new GemmTiling(192, 128), GemmTiling.plan(512, 2048, 3072, 2, 32, 16, 0, 0, c -> c % 128 != 0));
    }

    @Test
    void shortPromptsAndPinnedDimensions() {
        assertEquals(new GemmTiling(128, 100), plan(100, 2048, 2048, 0, 0)); // one part, 16 slices
        assertEquals(new GemmTiling(128, 512), plan(512, 2048, 2048, 128, 1));
        assertEquals(new GemmTiling(256, 128), plan(512, 2048, 3072, 256, 4));
        GemmTiling odd = plan(100, 2048, 2048, 256, 3); // 3 parts of 100 rows in 32-row units: 64 + 36
        assertEquals(new GemmTiling(256, 64), odd);
        assertEquals(2, odd.parts(100));
        assertNull(plan(512, 2048, 3072, 1000, 0)); // a width that does not divide N: one call
        assertNull(GemmTiling.plan(512, 2048, 3072, 2, 32, 16, 0, 0, c -> false));
    }
}
