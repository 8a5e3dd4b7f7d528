package io.jsgl.backend.amx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The Java GEMM driver's task plans for Llama-3.2-1B's prefill-512 products on 16 workers. */
class GemmTilingTest {
    private static GemmTiling plan(int m, int n, int fixedCols, int fixedParts) {
        return GemmTiling.plan(m, n, 32, 16, fixedCols, fixedParts, c -> true);
    }

    @Test
    void everyLlamaProductRunsInFullRoundsOfTheMeasuredBestTile() {
        for (int n : new int[] {3072, 2048, 16384}) { // qkv; o and down; gate_up
            GemmTiling t = plan(512, n, 0, 0);
            assertEquals(new GemmTiling(128, 256), t, "N " + n);
            assertEquals(0, t.tasks(512, n) % 16, "N " + n);
        }
    }

    @Test
    void balanceComesBeforeTileSize() {
        // 1,152 columns on 16 workers: 9 slices of 128 x 2 parts would take 2 rounds for 18 tasks
        GemmTiling t = plan(512, 1152, 0, 0);
        assertEquals(0, t.tasks(512, 1152) % 16, t.toString());
        assertEquals(new GemmTiling(96, 256), GemmTiling.plan(512, 3072, 32, 16, 0, 0, c -> c != 128));
    }

    @Test
    void shortPromptsAndPinnedDimensions() {
        assertEquals(new GemmTiling(128, 100), plan(100, 2048, 0, 0)); // one part, 16 slices
        assertEquals(new GemmTiling(128, 512), plan(512, 2048, 128, 1));
        assertEquals(new GemmTiling(256, 128), plan(512, 3072, 256, 4));
        GemmTiling odd = plan(100, 2048, 256, 3); // 3 parts of 100 rows in 32-row units: 64 + 36
        assertEquals(new GemmTiling(256, 64), odd);
        assertEquals(2, odd.parts(100));
        assertNull(plan(512, 3072, 1000, 0)); // a width that does not divide N: one call
        assertNull(GemmTiling.plan(512, 3072, 32, 16, 0, 0, c -> false));
    }
}
