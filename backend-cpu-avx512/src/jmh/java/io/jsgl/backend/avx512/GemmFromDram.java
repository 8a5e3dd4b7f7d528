package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.WorkerPool;
import io.jsgl.spi.Backend;
import io.jsgl.spi.DType;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.op.LinearArgs;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code Backend.linear} on many rows with its weight read from DRAM, as in a model, where every
 * weight leaves the caches before its turn comes again. {@link PairedRatios} times one weight over
 * and over, which this VM's large last-level cache then holds; that is the kernel's figure, and
 * this is the model's. Each window of about 100 ms runs the shape through the next of enough copies
 * of its weight to fill 1 GiB, then a window of about 50 ms of the FMA peak; the ratio of each pair
 * is printed as a median. Run: {@code java ... io.jsgl.backend.avx512.GemmFromDram [pairs [shape ...]]}
 * with shapes {@code ROWSxKxN}.
 */
public final class GemmFromDram {
    private static final long FOOTPRINT = 1L << 30;

    private GemmFromDram() {}

    public static void main(String[] args) {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        String[] shapes = args.length > 1 ? Arrays.copyOfRange(args, 1, args.length)
                : new String[] {"512x896x9728", "512x4864x896", "64x896x9728", "64x4864x896"};
        Backend backend = BenchSupport.backend();
        try (WorkerPool pool = new WorkerPool(backend.threads())) {
            float[] sink = new float[16 * pool.threads()];
            Runnable peak = () -> PairedRatios.fma(pool, sink);
            for (int i = 0; i < 2000; i++) peak.run(); // compiled before the first window
            System.out.println("threads " + pool.threads() + ", " + pairs + " window pairs each");
            for (String shape : shapes) one(backend, shape, pairs, peak, PairedRatios.fmaFlops(pool));
            if (Float.isNaN(sink[0])) System.out.println("NaN");
        } finally {
            backend.close();
        }
    }

    private static void one(Backend backend, String shape, int pairs, Runnable peak, double peakFlops) {
        int[] d = BenchSupport.dims(shape);
        int copies = (int) Math.max(2, FOOTPRINT / (2L * d[1] * d[2]));
        List<Weight> ws = new ArrayList<>();
        try (Arena arena = Arena.ofShared()) { // the backend's workers copy it
            var host = BenchSupport.host(arena, "w", DType.BF16, d[2], d[1]);
            for (int i = 0; i < copies; i++) ws.add(backend.loadWeight(WeightSpec.of(host, WeightUse.LINEAR)));
        }
        Tensor x = BenchSupport.activations(backend, d[0], d[1]);
        Tensor y = BenchSupport.activations(backend, d[0], d[2]);
        List<LinearArgs> calls = ws.stream().map(w -> new LinearArgs(x, w, null, y)).toList();
        for (int i = 0; i < 2 * copies; i++) backend.linear(calls.get(i % copies), d[0]); // compiled, every copy touched
        double flops = 2.0 * d[0] * d[1] * d[2];
        double[] rate = new double[pairs], ratio = new double[pairs];
        int[] next = {0};
        Runnable rotation = () -> backend.linear(calls.get(next[0]++ % copies), d[0]);
        for (int p = 0; p < pairs; p++) {
            rate[p] = flops / PairedRatios.window(rotation, 100_000_000L);
            ratio[p] = rate[p] / (peakFlops / PairedRatios.window(peak, 50_000_000L));
        }
        Arrays.sort(rate);
        Arrays.sort(ratio);
        System.out.printf("GEMM   %-14s %4d copies | %6.1f GFLOP/s median | paired ratio to the FMA peak median %.2f (p25 %.2f, p75 %.2f)%n",
                shape, copies, rate[pairs / 2], ratio[pairs / 2], ratio[pairs / 4], ratio[3 * pairs / 4]);
        ws.forEach(Weight::close);
    }
}
