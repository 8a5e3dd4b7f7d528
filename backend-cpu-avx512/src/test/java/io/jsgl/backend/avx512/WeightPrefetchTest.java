package io.jsgl.backend.avx512;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jsgl.spi.DType;
import io.jsgl.spi.WeightUse;
import org.junit.jupiter.api.Test;

class WeightPrefetchTest {

    private static PackedWeight weight(int panels, int cols) {
        return new PackedWeight("w", DType.BF16, WeightUse.LINEAR, (long) panels * PackedWeight.PANEL, cols,
                PackedWeight.Storage.BF16);
    }

    private static int pieces(WeightPrefetch p, int worker) {
        int n = 0;
        while (p.step(worker)) n++;
        return n;
    }

    @Test
    void eachWorkerFetchesTheFrontOfItsOwnRangeUpToTheCap() {
        try (PackedWeight big = weight(100, 896); PackedWeight small = weight(4, 896)) {
            WeightPrefetch p = new WeightPrefetch(3);
            p.target(big);
            assertFalse(p.step(0), "the caller runs the serial ops, it fetches nothing");
            assertEquals(WeightPrefetch.MAX_BYTES / 4096, pieces(p, 1)); // a third of 5.7 MB is over the cap
            assertEquals(WeightPrefetch.MAX_BYTES / 4096, pieces(p, 2));
            p.target(small); // panels 1..2 and 2..4 of 57,344 bytes each
            assertEquals(14, pieces(p, 1));
            assertEquals(28, pieces(p, 2));
            assertFalse(p.step(1));
        }
    }

    @Test
    void aWeightWithFewerPanelsThanThreadsLeavesTheRestIdle() {
        try (PackedWeight one = weight(1, 64)) {
            WeightPrefetch p = new WeightPrefetch(2);
            p.target(one);
            assertFalse(p.step(1));
        }
    }

    @Test
    void aClosedTargetFailsLoudlySoThePoolDropsIt() {
        PackedWeight w = weight(8, 896);
        WeightPrefetch p = new WeightPrefetch(2);
        p.target(w);
        w.close();
        assertThrows(IllegalStateException.class, () -> p.step(1));
    }
}
