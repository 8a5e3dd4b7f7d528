package io.jsgl.backend.amx;

import io.jsgl.cpu.kernels.WorkerPool;
import io.jsgl.spi.BackendOptions;
import io.jsgl.spi.DType;
import io.jsgl.spi.HostTensor;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.host.HostBuffer;
import io.jsgl.spi.op.LinearArgs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.DoubleAdder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM benchmark of issue 8, as a plain main (no JMH: it must also run on the device machine
 * from a jlinked JDK): the f32 FMA peak of this machine on the Vector API, then every linear of a
 * transformer layer of Qwen2.5-0.5B and/or Llama-3.2-1B through {@code backend.linear} (what the
 * engine calls: f32 activations in and out, so the bf16 rounding of the activations is included)
 * at a prefill M (default 512) in bf16 and W8A8 int8, then at M = 1 through the Java GEMV and
 * through oneDNN, in GB/s of weights, next to a streaming-read bandwidth probe.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp ... \
 *     io.jsgl.backend.amx.GemmBench [--model qwen|llama|all] [--m 512] [--threads N] [--secs 2]
 *     [--only gate_up,down] [--prefill-only] [--quant none,w8a8_int8] [--copies N]
 * </pre>
 * {@code --only} keeps the shapes whose name ends with one of the given words; {@code --prefill-only}
 * skips the FMA peak, the bandwidth probe and the M = 1 measurements. Backend options come as
 * system properties, e.g. {@code -Djsgl.amx.n-slice=256} or {@code -Djsgl.amx.gemm-driver=java}.
 */
public final class GemmBench {
    record Shape(String name, int k, int n) {}

    static final Map<String, List<Shape>> MODELS = Map.of(
            "qwen", List.of(new Shape("qwen2.5-0.5b qkv", 896, 1152), new Shape("qwen2.5-0.5b o", 896, 896),
                    new Shape("qwen2.5-0.5b gate_up", 896, 9728), new Shape("qwen2.5-0.5b down", 4864, 896),
                    new Shape("qwen2.5-0.5b 512x896x4864", 896, 4864)),
            "llama", List.of(new Shape("llama3.2-1b qkv", 2048, 3072), new Shape("llama3.2-1b o", 2048, 2048),
                    new Shape("llama3.2-1b gate_up", 2048, 16384), new Shape("llama3.2-1b down", 8192, 2048),
                    new Shape("llama3.2-1b 512x2048x8192", 2048, 8192)));

    public static void main(String[] args) {
        String model = "qwen";
        int m = 512;
        int threads = Runtime.getRuntime().availableProcessors();
        double secs = 2;
        String only = null;
        boolean prefillOnly = false;
        int prefillCopies = 1;
        List<String> quants = List.of("none", "w8a8_int8");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = args[++i];
                case "--m" -> m = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--secs" -> secs = Double.parseDouble(args[++i]);
                case "--only" -> only = args[++i];
                case "--prefill-only" -> prefillOnly = true;
                case "--copies" -> prefillCopies = Integer.parseInt(args[++i]);
                case "--quant" -> quants = List.of(args[++i].split(","));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        List<Shape> shapes = new ArrayList<>();
        if (model.equals("all")) {
            shapes.addAll(MODELS.get("qwen"));
            shapes.addAll(MODELS.get("llama"));
        } else {
            shapes.addAll(MODELS.get(model));
        }
        if (only != null) {
            List<String> keep = List.of(only.split(","));
            shapes.removeIf(sh -> keep.stream().noneMatch(sh.name::endsWith));
        }
        var probe = new AmxBackendProvider().probe();
        System.out.println("cpu-amx probe: " + probe.details());
        System.out.printf("threads %d, prefill M %d%n", threads, m);
        double peak = 1;
        double bw = 1;
        if (!prefillOnly) {
            fmaPeak(threads, 0.5); // JIT warm-up: the Vector API is slow until C2 compiles it
            peak = fmaPeak(threads, secs);
            System.out.printf("f32 FMA peak (Vector API, %d threads): %.1f GFLOP/s%n", threads, peak);
            bandwidth(threads, 0.3);
            bw = bandwidth(threads, secs);
            System.out.printf("streaming read bandwidth (%d threads): %.1f GB/s%n", threads, bw);
        }

        for (String quant : quants) {
            for (String gemv : prefillOnly ? List.of("4") : List.of("4", "0")) {
                Map<String, String> props = new HashMap<>();
                props.put("quantization", quant);
                props.put("amx.gemv-max-rows", gemv);
                try (var b = (AmxBackend) new AmxBackendProvider().create(new BackendOptions(threads, props));
                     Arena arena = Arena.ofShared()) {
                    for (Shape s : shapes) {
                        HostTensor host = random(arena, "bench." + s.name + ".weight", s.n, s.k);
                        Weight w = b.loadWeight(WeightSpec.of(host, WeightUse.LINEAR));
                        if (gemv.equals("4")) {
                            // --copies N: cycle through N copies of the weight, as a forward pass
                            // meets each layer's weights cold from memory
                            List<Weight> prefillSet = new ArrayList<>(List.of(w));
                            for (int c = 1; c < prefillCopies; c++) prefillSet.add(b.loadWeight(WeightSpec.of(host, WeightUse.LINEAR)));
                            double t = time(b, prefillSet, s, m, secs);
                            for (int c = 1; c < prefillSet.size(); c++) prefillSet.get(c).close();
                            double flops = 2.0 * m * s.k * s.n;
                            System.out.printf("%-9s prefill %-28s M=%d: %8.3f ms %8.1f GFLOP/s (%.2fx f32 FMA peak) [%s, %d cols per call]%n",
                                    quant.equals("none") ? "bf16" : "w8a8", s.name, m, t * 1e3, flops / t / 1e9,
                                    flops / t / 1e9 / peak, b.implementation(w, m), b.sliceColumns(w, m));
                        }
                        if (prefillOnly) {
                            w.close();
                            continue;
                        }
                        // decode streams weights from DRAM: cycle through copies that overflow the caches
                        long one = ((PackedLinear) w).data.byteSize();
                        int copies = (int) Math.max(1, Math.min(64, DECODE_SET_BYTES / one));
                        List<Weight> set = new ArrayList<>();
                        set.add(w);
                        for (int c = 1; c < copies; c++) {
                            set.add(b.loadWeight(WeightSpec.of(host, WeightUse.LINEAR)));
                        }
                        double t1 = time(b, set, s, 1, secs / 2);
                        long bytes = one;
                        System.out.printf("%-9s decode  %-28s M=1 via %-6s: %8.3f ms %8.1f GB/s (%.2fx read bw)%n",
                                quant.equals("none") ? "bf16" : "w8a8", s.name, gemv.equals("4") ? "GEMV" : "oneDNN",
                                t1 * 1e3, bytes / t1 / 1e9, bytes / t1 / 1e9 / bw);
                        for (Weight x : set) x.close();
                    }
                }
            }
        }
    }

    static HostTensor random(Arena arena, String name, int rows, int cols) {
        MemorySegment seg = arena.allocate(2L * rows * cols, 64);
        var rnd = new java.util.SplittableRandom(rows * 31L + cols);
        float scale = (float) (1 / Math.sqrt(cols));
        long n = (long) rows * cols;
        long block = Math.min(n, 1 << 20);
        for (long i = 0; i < block; i++) {
            seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i,
                    io.jsgl.spi.host.Numerics.floatToBf16((float) (rnd.nextDouble(-1, 1) * scale)));
        }
        for (long at = block; at < n; at += block) {  // speed does not depend on the values: tile the block
            MemorySegment.copy(seg, 0, seg, 2 * at, 2 * Math.min(block, n - at));
        }
        return new HostTensor(name, seg, DType.BF16, new long[] {rows, cols});
    }

    /** Bytes of weights the decode measurement cycles through (beyond the last-level cache). */
    static final long DECODE_SET_BYTES = Long.getLong("bench.decode-set-bytes", 1L << 30);

    static double time(AmxBackend b, Weight w, Shape s, int m, double secs) {
        return time(b, List.of(w), s, m, secs);
    }

    /** Median seconds per call of {@code linear} at M rows, cycling through the weights (after a JIT warm-up). */
    static double time(AmxBackend b, List<Weight> ws, Shape s, int m, double secs) {
        HostBuffer xb = (HostBuffer) b.allocate(4L * m * s.k);
        HostBuffer yb = (HostBuffer) b.allocate(4L * m * s.n);
        for (long i = 0; i < (long) m * s.k; i++) xb.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.sin(i));
        List<LinearArgs> args = new ArrayList<>();
        for (Weight w : ws) args.add(new LinearArgs(Tensor.of(xb, m, s.k, DType.F32), w, null, Tensor.of(yb, m, s.n, DType.F32)));
        long warm = System.nanoTime() + 300_000_000L;
        for (int i = 0; i < 3 || System.nanoTime() < warm; i++) b.linear(args.get(i % args.size()), m);
        List<Long> samples = new ArrayList<>();
        long end = System.nanoTime() + (long) (secs * 1e9);
        for (int i = 0; System.nanoTime() < end || samples.size() < 5; i++) {
            long t0 = System.nanoTime();
            b.linear(args.get(i % args.size()), m);
            samples.add(System.nanoTime() - t0);
        }
        xb.close();
        yb.close();
        samples.sort(null);
        return samples.get(samples.size() / 2) / 1e9;
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;

    /** f32 FMA throughput with 12 independent accumulators per thread (register-resident). */
    static double fmaPeak(int threads, double secs) {
        DoubleAdder flops = new DoubleAdder();
        try (WorkerPool pool = new WorkerPool(threads, 1_000_000, "fma-peak")) {
            long t0 = System.nanoTime();
            pool.run(threads, (c, worker) -> {
                long iters = 0;
                float sink = 0;
                long end = System.nanoTime() + (long) (secs * 1e9);
                while (System.nanoTime() < end) {
                    sink += fmaLoop(20_000);
                    iters += 20_000;
                }
                if (sink == 42) System.out.print("");
                flops.add(iters * 12.0 * 2 * F.length());
            });
            return flops.sum() / ((System.nanoTime() - t0) / 1e9) / 1e9;
        }
    }

    /** A plain method (not a lambda, no vectors crossing its boundary) so C2 compiles it whole. */
    static float fmaLoop(int n) {
        FloatVector a = FloatVector.broadcast(F, 1.0000001f);
        FloatVector b = FloatVector.broadcast(F, 0.9999999f);
        FloatVector c0 = FloatVector.broadcast(F, 0), c1 = FloatVector.broadcast(F, 1), c2 = FloatVector.broadcast(F, 2);
        FloatVector c3 = FloatVector.broadcast(F, 3), c4 = FloatVector.broadcast(F, 4), c5 = FloatVector.broadcast(F, 5);
        FloatVector c6 = FloatVector.broadcast(F, 6), c7 = FloatVector.broadcast(F, 7), c8 = FloatVector.broadcast(F, 8);
        FloatVector c9 = FloatVector.broadcast(F, 9), c10 = FloatVector.broadcast(F, 10), c11 = FloatVector.broadcast(F, 11);
        for (int r = 0; r < n; r++) {
            c0 = c0.fma(a, b); c1 = c1.fma(a, b); c2 = c2.fma(a, b); c3 = c3.fma(a, b);
            c4 = c4.fma(a, b); c5 = c5.fma(a, b); c6 = c6.fma(a, b); c7 = c7.fma(a, b);
            c8 = c8.fma(a, b); c9 = c9.fma(a, b); c10 = c10.fma(a, b); c11 = c11.fma(a, b);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }

    /** Streaming read of a 512 MiB buffer split over the threads, GB/s. */
    static double bandwidth(int threads, double secs) {
        long bytes = Long.getLong("bench.bw-bytes", 2L << 30);
        try (Arena a = Arena.ofShared(); WorkerPool pool = new WorkerPool(threads, 1_000_000, "bw")) {
            MemorySegment seg = a.allocate(bytes, 64);
            seg.fill((byte) 1);
            int chunks = threads * 8;
            double best = 0;
            long end = System.nanoTime() + (long) (secs * 1e9);
            do {
                long t0 = System.nanoTime();
                DoubleAdder sink = new DoubleAdder();
                pool.run(chunks, (c, worker) -> {
                    long from = bytes / chunks * c;
                    long to = from + bytes / chunks;
                    FloatVector acc = FloatVector.zero(F);
                    for (long o = from; o < to; o += 64) {
                        acc = acc.add(FloatVector.fromMemorySegment(F, seg, o, ByteOrder.LITTLE_ENDIAN));
                    }
                    sink.add(acc.reduceLanes(VectorOperators.ADD));
                });
                best = Math.max(best, bytes / ((System.nanoTime() - t0) / 1e9) / 1e9);
            } while (System.nanoTime() < end);
            return best;
        }
    }
}
