package io.jsgl.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class StreamRangesTest {

    @Test
    void runsEveryItemOnceForAnyCountAndBlock() {
        try (WorkerPool pool = new WorkerPool(3)) {
            StreamRanges ranges = new StreamRanges(pool);
            for (int n = 1; n <= 70; n++) {
                for (int block = 1; block <= 4; block++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    int items = n, b = block;
                    ranges.run(n, block, (from, to, worker) -> {
                        assertTrue(from < to && to <= items, from + ".." + to);
                        assertTrue(to - from <= Math.max(b, items / StreamRanges.GUIDE), "claims at most an eighth: " + from + ".." + to);
                        for (int i = from; i < to; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n " + n + " block " + block + " item " + i);
                }
            }
        }
    }

    @Test
    void aSingleThreadWalksItsRangeFrontToBack() {
        try (WorkerPool pool = new WorkerPool(1)) {
            List<int[]> calls = new ArrayList<>();
            new StreamRanges(pool).run(10, 3, (from, to, worker) -> calls.add(new int[] {from, to}));
            assertEquals(List.of("0-3", "3-6", "6-9", "9-10"), calls.stream().map(c -> c[0] + "-" + c[1]).toList());
        }
    }

    /** Claims start at an eighth of the range and shrink to the block as the range runs out. */
    @Test
    void claimsShrinkAsTheRangeRunsOut() {
        try (WorkerPool pool = new WorkerPool(1)) {
            List<Integer> sizes = new ArrayList<>();
            new StreamRanges(pool).run(100, 1, (from, to, worker) -> sizes.add(to - from));
            assertEquals(List.of(12, 11, 9, 8, 7, 6, 5, 5, 4, 4, 3, 3, 2, 2, 2, 2), sizes.subList(0, 16));
            assertEquals(100 - 85, sizes.size() - 16, "the last items go one at a time");
            assertTrue(sizes.subList(16, sizes.size()).stream().allMatch(s -> s == 1));
        }
    }

    /**
     * The worker holds its first block until everything else is done: the caller must finish its own
     * range, then take the rest of the worker's range from the back, one block at a time.
     */
    @Test
    void aThreadThatIsDoneTakesTheRestOfAnotherRangeFromItsBack() {
        try (WorkerPool pool = new WorkerPool(2)) {
            StreamRanges ranges = new StreamRanges(pool);
            int n = 20;
            int stolenRounds = 0;
            for (int round = 0; round < 50 && stolenRounds == 0; round++) {
                AtomicInteger done = new AtomicInteger();
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                List<Integer> callerItems = new ArrayList<>();
                int[] workerFirst = {-1};
                ranges.run(n, 1, (from, to, worker) -> {
                    if (worker != 0 && workerFirst[0] < 0) {
                        workerFirst[0] = from;
                        long deadline = System.nanoTime() + 5_000_000_000L;
                        while (done.get() < n - 1 && System.nanoTime() < deadline) Thread.onSpinWait();
                    }
                    if (worker == 0) {
                        callerItems.add(from);
                        long until = System.nanoTime() + 50_000; // time for the worker to join
                        while (System.nanoTime() < until) Thread.onSpinWait();
                    }
                    hits.incrementAndGet(from);
                    done.incrementAndGet();
                });
                for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "round " + round + " item " + i);
                if (workerFirst[0] >= 0) { // the worker took part and held its first item
                    stolenRounds++;
                    assertEquals(n / 2, workerFirst[0], "worker 1 starts its own range, the second");
                    List<Integer> expected = new ArrayList<>();
                    for (int i = 0; i < n / 2; i++) expected.add(i);
                    for (int i = n - 1; i > n / 2; i--) expected.add(i);
                    assertEquals(expected, callerItems, "round " + round);
                }
            }
            assertTrue(stolenRounds > 0, "the worker never took part in 50 rounds");
        }
    }

    @Test
    void failuresReachTheCallerAndTheNextRunIsWhole() {
        try (WorkerPool pool = new WorkerPool(2)) {
            StreamRanges ranges = new StreamRanges(pool);
            var e = assertThrows(IllegalStateException.class, () -> ranges.run(40, 1, (from, to, worker) -> {
                if (from == 7) throw new IllegalStateException("boom");
            }));
            assertEquals("boom", e.getMessage());
            AtomicIntegerArray hits = new AtomicIntegerArray(40);
            ranges.run(40, 2, (from, to, worker) -> {
                for (int i = from; i < to; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < 40; i++) assertEquals(1, hits.get(i));
            assertThrows(IllegalArgumentException.class, () -> ranges.run(4, 0, (from, to, worker) -> {}));
        }
    }
}
