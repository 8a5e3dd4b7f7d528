package io.jsgl.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolIdleWorkTest {

    private static void waitFor(AtomicInteger n, int atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (n.get() < atLeast && System.nanoTime() < deadline) Thread.sleep(1);
    }

    @Test
    void idleWorkersTakePiecesUntilDoneAndOnlyWorkersDoSo() throws Exception {
        try (WorkerPool pool = new WorkerPool(3)) {
            AtomicIntegerArray pieces = new AtomicIntegerArray(3);
            AtomicInteger total = new AtomicInteger();
            pool.idleWork(w -> {
                if (pieces.get(w) >= 5) return false;
                pieces.incrementAndGet(w);
                total.incrementAndGet();
                return true;
            });
            waitFor(total, 10);
            Thread.sleep(20); // a worker that is done must not take more
            assertEquals(0, pieces.get(0), "the caller is not a worker");
            assertEquals(5, pieces.get(1));
            assertEquals(5, pieces.get(2));
            // ops still run, every chunk once, while idle work is set
            AtomicIntegerArray hits = new AtomicIntegerArray(30);
            pool.run(30, (c, w) -> hits.incrementAndGet(c));
            for (int c = 0; c < 30; c++) assertEquals(1, hits.get(c));
        }
    }

    @Test
    void failingIdleWorkIsDroppedAndThePoolGoesOn() throws Exception {
        try (WorkerPool pool = new WorkerPool(2)) {
            AtomicInteger calls = new AtomicInteger();
            pool.idleWork(w -> {
                calls.incrementAndGet();
                throw new IllegalStateException("weight closed");
            });
            waitFor(calls, 1);
            Thread.sleep(20);
            assertEquals(1, calls.get(), "dropped after its first failure");
            AtomicIntegerArray hits = new AtomicIntegerArray(8);
            pool.run(8, (c, w) -> hits.incrementAndGet(c));
            for (int c = 0; c < 8; c++) assertEquals(1, hits.get(c));
            AtomicInteger later = new AtomicInteger();
            pool.idleWork(w -> later.incrementAndGet() < 3);
            waitFor(later, 3);
            assertTrue(later.get() >= 3);
        }
    }
}
