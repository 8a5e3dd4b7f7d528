package io.jsgl.backend.avx512;

import io.jsgl.spi.DType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the benchmarks (all, or those the JMH arguments select) and prints each as the rate that
 * matters: GB/s for memory-bound work, GFLOP/s for compute-bound work, with the GEMV as a fraction
 * of the bandwidth probe and the GEMM as a fraction of the FMA peak, both measured in the same run.
 *
 * <p>Every rate is given twice: from the mean time over the measurement iterations, and from the
 * best iteration. On a quiet machine the two agree; on a shared one (as the 2-core development
 * machines are) the best iteration is the better estimate of what the kernel itself can do.
 */
public final class BenchMain {
    private BenchMain() {}

    /** Work per op: bytes or flops, and the unit name. */
    private record Work(double amount, String unit) {}

    public static void main(String[] args) throws Exception {
        Options cli = new CommandLineOptions(args);
        Options opts = cli.getIncludes().isEmpty()
                ? new OptionsBuilder().parent(cli).include("io.jsgl.backend.avx512.*Bench").build()
                : cli;
        Collection<RunResult> results = new Runner(opts).run();

        double[] peak = {Double.NaN, Double.NaN};
        Map<Long, double[]> bandwidth = new HashMap<>();
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            double[] rate = rates(r, work(p));
            if (p.getBenchmark().endsWith("fmaPeak")) peak = rate;
            if (p.getBenchmark().endsWith("bandwidth")) bandwidth.put(Long.parseLong(p.getParam("bytes")), rate);
        }

        List<String> lines = new ArrayList<>();
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            String name = p.getBenchmark().substring(p.getBenchmark().lastIndexOf('.', p.getBenchmark().lastIndexOf('.') - 1) + 1);
            Work w = work(p);
            double[] rate = rates(r, w);
            String what = describe(p);
            String extra = "";
            if (name.startsWith("LinearBench") && w.unit().equals("GB/s")) {
                double[] probe = nearest(bandwidth, w.amount());
                double[] dram = bandwidth.getOrDefault(1L << 30, new double[] {Double.NaN, Double.NaN});
                extra = String.format("  = %.2f (best %.2f) of the probe at that size, %.2f of the 1 GiB probe",
                        rate[0] / probe[0], rate[1] / probe[1], rate[0] / dram[0]);
            } else if (name.startsWith("LinearBench")) {
                extra = String.format("  = %.2f (best %.2f) of the FMA peak", rate[0] / peak[0], rate[1] / peak[1]);
            }
            lines.add(String.format("%-44s %7.1f %-7s (best %7.1f)%s", what, rate[0], w.unit(), rate[1], extra));
        }
        System.out.println();
        System.out.println("==== jsgl cpu-avx512, " + Runtime.getRuntime().availableProcessors() + " threads ====");
        lines.forEach(System.out::println);
    }

    /** {mean rate, best-iteration rate}; scores are in microseconds per op. */
    private static double[] rates(RunResult r, Work w) {
        var stats = r.getPrimaryResult().getStatistics();
        double scale = w.unit().equals("GB/s") || w.unit().equals("GFLOP/s") ? 1e3 : 1;
        return new double[] {w.amount() / stats.getMean() / scale, w.amount() / stats.getMin() / scale};
    }

    private static Work work(BenchmarkParams p) {
        String b = p.getBenchmark();
        if (b.endsWith("fmaPeak")) return new Work(FmaPeakBench.flopsPerOp(), "GFLOP/s");
        if (b.endsWith("bandwidth")) return new Work(Long.parseLong(p.getParam("bytes")), "GB/s");
        if (b.contains("LinearBench")) {
            String shape = p.getParam("shape");
            DType dtype = DType.valueOf(p.getParam("dtype"));
            return BenchSupport.dims(shape)[0] <= Gemv.MAX_ROWS
                    ? new Work(LinearBench.weightBytes(shape, dtype), "GB/s")
                    : new Work(LinearBench.flops(shape), "GFLOP/s");
        }
        if (b.contains("AttentionBench")) {
            String work = p.getParam("work");
            return work.startsWith("decode")
                    ? new Work(AttentionBench.kvBytes(work, DType.valueOf(p.getParam("kv")), p.getParam("heads")), "GB/s")
                    : new Work(AttentionBench.flops(work, p.getParam("heads")), "GFLOP/s");
        }
        return new Work(1, "op/us");
    }

    private static String describe(BenchmarkParams p) {
        String b = p.getBenchmark();
        if (b.endsWith("fmaPeak")) return "FP32 FMA peak (register-only)";
        if (b.endsWith("bandwidth")) return "bandwidth probe, sum over " + p.getParam("bytes") + " B";
        if (b.contains("LinearBench")) {
            String shape = p.getParam("shape");
            return (BenchSupport.dims(shape)[0] <= Gemv.MAX_ROWS ? "GEMV " : "GEMM ") + shape + " " + p.getParam("dtype");
        }
        if (b.contains("AttentionBench")) {
            return "attention " + p.getParam("work") + " heads " + p.getParam("heads") + " " + p.getParam("kv") + " KV"
                    + ("1".equals(p.getParam("layers")) ? "" : " x" + p.getParam("layers") + " layers");
        }
        return b;
    }

    /** The probe measured over the size closest to {@code bytes}. */
    private static double[] nearest(Map<Long, double[]> probes, double bytes) {
        double[] best = {Double.NaN, Double.NaN};
        double dist = Double.MAX_VALUE;
        for (var e : probes.entrySet()) {
            double d = Math.abs(Math.log(e.getKey() / bytes));
            if (d < dist) {
                dist = d;
                best = e.getValue();
            }
        }
        return best;
    }
}
