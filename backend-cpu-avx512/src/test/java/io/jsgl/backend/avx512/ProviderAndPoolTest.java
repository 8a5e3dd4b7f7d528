package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.WorkerPool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsgl.spi.BackendOptions;
import io.jsgl.spi.BackendProvider;
import io.jsgl.spi.DType;
import io.jsgl.spi.Op;
import io.jsgl.spi.ProbeResult;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicIntegerArray;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class ProviderAndPoolTest {

    @Test
    void registeredAsAServiceWithACheapDescriptor() {
        BackendProvider p = ServiceLoader.load(BackendProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(x -> x.descriptor().name().equals("cpu-avx512"))
                .findFirst().orElseThrow();
        var d = p.descriptor();
        assertTrue(d.spiCompatible());
        assertTrue(d.supports(Op.LINEAR, DType.BF16));
        assertTrue(d.supports(Op.ATTENTION, null));
        assertTrue(d.supports(Op.MOE, DType.BF16));
        assertTrue(d.supports(Op.MLA_ATTENTION, DType.BF16));
    }

    @Test
    void probeFollowsThePreferredSpecies() {
        ProbeResult r = new Avx512BackendProvider().probe();
        if (FloatVector.SPECIES_PREFERRED.vectorBitSize() == 512) {
            assertTrue(r.available(), r.reasons().toString());
            assertEquals(100, r.score());
        } else {
            assertFalse(r.available());
            assertTrue(r.reasons().getFirst().contains(FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits"));
        }
    }

    @Test
    void threadsFollowOptions() {
        try (var b = new Avx512BackendProvider().create(new BackendOptions(3, Map.of()))) {
            assertEquals(3, b.threads());
        }
        try (var b = new Avx512BackendProvider().create(BackendOptions.defaults())) {
            assertEquals(Runtime.getRuntime().availableProcessors(), b.threads());
        }
    }

    @Test
    void bandwidthProbeReadsWithThePoolAndRefusesTinySizes() {
        try (var b = new Avx512BackendProvider().create(new BackendOptions(2, Map.of()))) {
            double gbps = b.measureReadBandwidth(32L << 20).orElseThrow();
            // any machine reads 32 MiB at more than 0.1 GB/s and less than 100 TB/s
            assertTrue(gbps > 0.1 && gbps < 100_000, gbps + " GB/s");
            assertThrows(IllegalArgumentException.class, () -> b.measureReadBandwidth(100));
        }
    }

    @Test
    void poolRunsEveryChunkOnceAndSurvivesFailures() throws Exception {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int round = 0; round < 200; round++) {
                int n = 1 + round % 37;
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                pool.run(n, (c, w) -> {
                    assertTrue(w >= 0 && w < 3);
                    hits.incrementAndGet(c);
                });
                for (int c = 0; c < n; c++) assertEquals(1, hits.get(c), "round " + round + " chunk " + c);
            }
            var e = assertThrows(IllegalStateException.class, () -> pool.run(50, (c, w) -> {
                if (c == 17) throw new IllegalStateException("boom");
            }));
            assertEquals("boom", e.getMessage());
            AtomicIntegerArray after = new AtomicIntegerArray(8);
            pool.run(8, (c, w) -> after.incrementAndGet(c));
            for (int c = 0; c < 8; c++) assertEquals(1, after.get(c));
            // chunks long enough for the workers to take part, each still run exactly once
            for (int round = 0; round < 20; round++) {
                AtomicIntegerArray slow = new AtomicIntegerArray(12);
                pool.run(12, (c, w) -> {
                    long until = System.nanoTime() + 20_000;
                    while (System.nanoTime() < until) Thread.onSpinWait();
                    slow.incrementAndGet(c);
                });
                for (int c = 0; c < 12; c++) assertEquals(1, slow.get(c), "slow round " + round + " chunk " + c);
            }
            // idle long enough for the workers to park, then wake them
            Thread.sleep(5);
            AtomicIntegerArray woken = new AtomicIntegerArray(16);
            pool.run(16, (c, w) -> woken.incrementAndGet(c));
            for (int c = 0; c < 16; c++) assertEquals(1, woken.get(c));
        }
    }
}
