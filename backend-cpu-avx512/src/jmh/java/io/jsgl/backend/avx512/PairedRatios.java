package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.HugePages;
import io.jsgl.cpu.kernels.WorkerPool;

import io.jsgl.spi.Backend;
import io.jsgl.spi.DType;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.op.LinearArgs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Kernel against ceiling, measured in alternating windows of about 50 ms: a GEMV window then a
 * bandwidth-probe window over a buffer of the same size, a GEMM window then an FMA-peak window,
 * many times over. Each ratio is taken between neighbouring windows, so both sides saw the same
 * machine; on a shared machine whose load swings from minute to minute (where the separate JMH
 * runs of the kernel and of its ceiling may meet different neighbours) the median of these paired
 * ratios is the steadier figure. Run: {@code run-benchmarks.sh} with the main class replaced, or
 * {@code java ... io.jsgl.backend.avx512.PairedRatios [pairs [shapes...]]}.
 */
public final class PairedRatios {

    private PairedRatios() {}

    public static void main(String[] args) {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        Backend backend = BenchSupport.backend();
        WorkerPool pool = new WorkerPool(backend.threads());
        io.jsgl.cpu.kernels.BandwidthProbe.warmUp();
        System.out.println("threads " + backend.threads() + ", " + pairs + " window pairs each");
        String[] shapes = args.length > 1 ? Arrays.copyOfRange(args, 1, args.length)
                : new String[] {"1x4864x896", "1x896x4864", "1x896x151936", "512x896x4864", "512x4864x896"};
        for (String shape : shapes) {
            int[] d = BenchSupport.dims(shape);
            Arena arena = Arena.ofShared();
            Weight w = backend.loadWeight(WeightSpec.of(BenchSupport.host(arena, "w", DType.BF16, d[2], d[1]), WeightUse.LINEAR));
            arena.close();
            Tensor x = BenchSupport.activations(backend, d[0], d[1]);
            Tensor y = BenchSupport.activations(backend, d[0], d[2]);
            LinearArgs la = new LinearArgs(x, w, null, y);
            boolean gemv = d[0] <= Gemv.MAX_ROWS;
            double work = gemv ? LinearBench.weightBytes(shape, DType.BF16) : LinearBench.flops(shape);
            Arena probeArena = Arena.ofShared();
            long probeBytes = (long) LinearBench.weightBytes(shape, DType.BF16) & ~255L; // the probe reads 256-byte steps
            // the same kind of memory as the weights: on 4 KiB pages the probe read ~8% less than
            // huge-page weights did, and GEMVs looked faster than the bandwidth (ratios above 1)
            MemorySegment probe = HugePages.allocate(probeArena, probeBytes);
            probe.fill((byte) 1);
            float[] sink = new float[pool.threads() * 16];

            Runnable kernel = () -> backend.linear(la, d[0]);
            Runnable ceiling = gemv ? () -> sum(pool, probe, sink) : () -> fma(pool, sink);
            double ceilingWork = gemv ? probeBytes : fmaFlops(pool);
            for (int i = 0; i < 3; i++) { // warm up both
                window(kernel, 200_000_000L);
                window(ceiling, 200_000_000L);
            }
            double[] k = new double[pairs], c = new double[pairs], ratio = new double[pairs];
            for (int i = 0; i < pairs; i++) {
                k[i] = work / window(kernel, 50_000_000L);
                c[i] = ceilingWork / window(ceiling, 50_000_000L);
                ratio[i] = k[i] / c[i];
            }
            String unit = gemv ? "GB/s" : "GFLOP/s";
            System.out.printf("%-6s %-13s kernel %7.1f %s median (best %7.1f) | %s %7.1f median (best %7.1f) | paired ratio median %.2f (p25 %.2f, p75 %.2f)%n",
                    gemv ? "GEMV" : "GEMM", shape, median(k), unit, max(k), gemv ? "probe" : "peak ", median(c), max(c),
                    median(ratio), quantile(ratio, 0.25), quantile(ratio, 0.75));
            w.close();
            probeArena.close();
        }
        pool.close();
        backend.close();
    }

    static final int FMA_ITERATIONS = 1 << 16;

    /** Runs r for about {@code nanos}, returning nanoseconds per run. */
    static double window(Runnable r, long nanos) {
        long t0 = System.nanoTime();
        int n = 0;
        long t;
        do {
            r.run();
            n++;
            t = System.nanoTime() - t0;
        } while (t < nanos);
        return (double) t / n;
    }

    private static void sum(WorkerPool pool, MemorySegment d, float[] sink) {
        sink[0] += io.jsgl.cpu.kernels.BandwidthProbe.read(pool, d);
    }

    /** The flops of one {@link #fma} call. */
    static double fmaFlops(WorkerPool pool) {
        return (double) pool.threads() * FMA_ITERATIONS * 16 * 16 * 2;
    }

    /** One FMA-peak pass on every thread of the pool; {@code sink} holds 16 floats per thread. */
    static void fma(WorkerPool pool, float[] sink) {
        pool.run(pool.threads(), (chunk, worker) -> sink[worker * 16] += FmaPeakBench.fmaLoop(FMA_ITERATIONS, sink[worker * 16]));
    }

    private static double median(double[] v) {
        return quantile(v, 0.5);
    }

    private static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.round(q * (s.length - 1)))];
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }
}
