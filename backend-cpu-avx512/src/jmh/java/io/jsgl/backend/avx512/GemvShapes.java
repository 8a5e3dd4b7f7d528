package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.BandwidthProbe;
import io.jsgl.cpu.kernels.HugePages;
import io.jsgl.cpu.kernels.Views;
import io.jsgl.cpu.kernels.WorkerPool;
import io.jsgl.spi.Backend;
import io.jsgl.spi.DType;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.WeightUse;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one-row decode GEMV read from DRAM as in the engine, against {@link BandwidthProbe#read}
 * over as many bytes, in alternating pairs. Beside {@link Gemv} it runs Gemv's own panel kernel on
 * a static split (each of the pool's threads one contiguous part, x already in broadcast order, no claims): the
 * gap between the two is what the claims, the x copy and the hand-off cost.
 * <ul>
 * <li>{@code KxN} (K columns, N output rows): one weight, each pass on the next of enough copies
 * to fill 1 GiB, so no pass finds its weight in the last-level cache; the probe reads the next
 * slice of a 1 GiB buffer.
 * <li>{@code step:L:KxN,KxN,...:KxN}: the GEMVs of a decode step in order, L layers of the listed
 * shapes then the last shape once (the LM head), every weight its own copy; the probe reads as
 * many bytes in one pass. Two more rows: the probe read in slices of the weights' sizes, one pass
 * each (the step's barriers with the simplest loop), and the kernel's reads with an integer add
 * per line in place of its arithmetic (the step's access pattern without the widening and FMAs).
 * </ul>
 * Run: {@code java ... io.jsgl.backend.avx512.GemvShapes [pairs [shape ...]]}.
 */
public final class GemvShapes {
    private static final long FOOTPRINT = 1L << 30;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    /** Qwen2.5-0.5B's decode step: fused qkv, o, fused gate/up, down; then the LM head. */
    private static final String QWEN_STEP = "step:24:896x1152,896x896,896x9728,4864x896:896x151936";

    private GemvShapes() {}

    public static void main(String[] args) {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        String[] shapes = args.length > 1 ? Arrays.copyOfRange(args, 1, args.length)
                : new String[] {"896x1152", "896x896", "896x9728", "4864x896", "896x151936", QWEN_STEP};
        Backend backend = BenchSupport.backend();
        try (WorkerPool pool = new WorkerPool(backend.threads()); Arena arena = Arena.ofShared()) {
            MemorySegment probe = HugePages.allocate(arena, FOOTPRINT);
            probe.fill((byte) 0x3f);
            BandwidthProbe.warmUp();
            System.out.println("threads " + pool.threads() + ", " + pairs + " pairs per shape");
            for (String shape : shapes) {
                if (shape.startsWith("step:")) step(pool, backend, probe, shape, pairs);
                else one(pool, backend, probe, shape, pairs);
            }
        } finally {
            backend.close();
        }
    }

    private static void one(WorkerPool pool, Backend backend, MemorySegment probe, String shape, int pairs) {
        int[] d = BenchSupport.dims(shape);
        PackedWeight first = randomWeight(shape, d[0], d[1]);
        long bytes = first.data.byteSize();
        int copies = (int) Math.max(2, FOOTPRINT / bytes);
        List<PackedWeight> ws = new ArrayList<>(List.of(first));
        for (int i = 1; i < copies; i++) ws.add(copyOf(first, shape + "." + i));
        Tensor x = BenchSupport.activations(backend, 1, d[0]);
        Tensor y = BenchSupport.activations(backend, 1, d[1]);
        float[] xs = floats(x), xq = broadcastOrder(xs);
        Gemv gemv = new Gemv(pool);
        // one rotation for both kernels, so that neither finds the weight the other has just read
        int[] turn = new int[2];
        Runnable engine = () -> {
            gemv.run(x, ws.get(turn[0]++ % copies), null, y, 1);
            pool.idleWork(null); // no prefetch into the probe's passes
        };
        Runnable split = () -> staticSplit(pool, ws.get(turn[0]++ % copies), xs, xq, Views.f32(y));
        long slice = bytes & ~255L, slices = FOOTPRINT / slice;
        float[] sink = new float[1];
        Runnable read = () -> sink[0] += BandwidthProbe.read(pool, probe.asSlice((turn[1]++ % slices) * slice, slice));
        compare(shape + String.format(" (%.1f MB x %d)", bytes / 1e6, copies), bytes, slice, pairs, Math.max(20, 2 * copies),
                read, new String[] {"Gemv", "static split"}, engine, split);
        if (Float.isNaN(sink[0])) System.out.println("NaN");
        ws.forEach(PackedWeight::close);
    }

    private static void step(WorkerPool pool, Backend backend, MemorySegment probe, String spec, int pairs) {
        String[] parts = spec.split(":");
        int layers = Integer.parseInt(parts[1]);
        String[] layer = parts[2].split(",");
        List<PackedWeight> ws = new ArrayList<>();
        List<Tensor> xs = new ArrayList<>(), ys = new ArrayList<>();
        java.util.Map<String, PackedWeight> firsts = new java.util.HashMap<>();
        long bytes = 0;
        for (int l = 0; l <= layers; l++) {
            for (String shape : l < layers ? layer : new String[] {parts[3]}) {
                int[] d = BenchSupport.dims(shape);
                PackedWeight first = firsts.get(shape);
                PackedWeight w = first == null ? randomWeight(shape, d[0], d[1]) : copyOf(first, shape + "." + l);
                firsts.putIfAbsent(shape, w);
                ws.add(w);
                xs.add(BenchSupport.activations(backend, 1, d[0]));
                ys.add(BenchSupport.activations(backend, 1, d[1]));
                bytes += w.data.byteSize();
            }
        }
        Gemv gemv = new Gemv(pool);
        Runnable engine = () -> {
            for (int i = 0; i < ws.size(); i++) gemv.run(xs.get(i), ws.get(i), null, ys.get(i), 1);
            pool.idleWork(null);
        };
        float[][] xf = new float[ws.size()][], xq = new float[ws.size()][];
        for (int i = 0; i < ws.size(); i++) {
            xf[i] = floats(xs.get(i));
            xq[i] = broadcastOrder(xf[i]);
        }
        Runnable split = () -> {
            for (int i = 0; i < ws.size(); i++) staticSplit(pool, ws.get(i), xf[i], xq[i], Views.f32(ys.get(i)));
        };
        long slice = Math.min(FOOTPRINT, bytes) & ~255L;
        float[] sink = new float[1];
        Runnable read = () -> sink[0] += BandwidthProbe.read(pool, probe.asSlice(0, slice));
        // the probe cut into the step's weights, one pass each: the same barriers, the simplest loop
        Runnable readChain = () -> {
            long at = 0;
            for (PackedWeight w : ws) {
                long b = w.data.byteSize() & ~255L;
                if (at + b > probe.byteSize()) at = 0;
                sink[0] += BandwidthProbe.read(pool, probe.asSlice(at, b));
                at += b;
            }
        };
        int[] isink = new int[1];
        Runnable loads = () -> {
            for (int i = 0; i < ws.size(); i++) {
                PackedWeight w = ws.get(i);
                int k = (int) w.cols();
                isink[0] += eachPart(pool, w.panels, p -> loadsOnly(w.data, w.offset(p, 0), k));
            }
        };
        compare(spec + String.format(" (%d GEMVs, %.1f MB)", ws.size(), bytes / 1e6), bytes, slice, pairs, 10, read,
                new String[] {"Gemv", "static split", "probe per GEMV", "loads only"}, engine, split, readChain, loads);
        if (Float.isNaN(sink[0])) System.out.println("NaN");
        ws.forEach(PackedWeight::close);
    }

    /** Each kernel pass paired with a probe pass; the kernels take turns within every round. */
    private static void compare(String what, long bytes, long probeBytes, int pairs, int warmUps, Runnable probe,
                                String[] names, Runnable... kernels) {
        for (int i = 0; i < warmUps; i++) { // compiled, and every copy touched
            for (Runnable r : kernels) r.run();
            probe.run();
        }
        double[][] gbs = new double[kernels.length][pairs], probeGbs = new double[kernels.length][pairs];
        double[][] ratio = new double[kernels.length][pairs];
        for (int i = 0; i < pairs; i++) {
            for (int j = 0; j < kernels.length; j++) {
                gbs[j][i] = bytes / nanos(kernels[j]);
                probeGbs[j][i] = probeBytes / nanos(probe);
                ratio[j][i] = gbs[j][i] / probeGbs[j][i];
            }
        }
        for (int j = 0; j < kernels.length; j++) {
            for (double[] a : new double[][] {gbs[j], probeGbs[j], ratio[j]}) Arrays.sort(a);
            System.out.printf("%-14s %s | %5.1f GB/s (%.3f ms) | probe %5.1f GB/s | paired ratio median %.3f (p25 %.2f, p75 %.2f)%n",
                    names[j], what, gbs[j][pairs / 2], bytes / gbs[j][pairs / 2] / 1e6, probeGbs[j][pairs / 2],
                    ratio[j][pairs / 2], ratio[j][pairs / 4], ratio[j][3 * pairs / 4]);
        }
    }

    /**
     * A diagnostic: the one-row kernel's reads (four quarter streams per panel) with one integer add
     * per line instead of the widening and the two FMAs. Not quite the kernel's order of reads: C2
     * unrolls this small loop eight times and folds each load into its add, which puts eight
     * consecutive lines of one stream next to each other (hsdis), where the kernel takes one line
     * of each stream in turn.
     */
    private static int loadsOnly(MemorySegment ws, long base, int k) {
        IntVector a0 = IntVector.zero(I), a1 = a0, a2 = a0, a3 = a0;
        int q = k / 4;
        long b1 = base + 64L * q, b2 = base + 128L * q, b3 = base + 192L * q;
        for (int c = 0; c < q; c++) {
            long off = 64L * c;
            a0 = a0.add(IntVector.fromMemorySegment(I, ws, base + off, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(IntVector.fromMemorySegment(I, ws, b1 + off, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(IntVector.fromMemorySegment(I, ws, b2 + off, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(IntVector.fromMemorySegment(I, ws, b3 + off, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2.add(a3)).lane(0);
    }

    /** Gemv's one-row kernel over the whole panels of w, each thread one contiguous part. */
    private static void staticSplit(WorkerPool pool, PackedWeight w, float[] x, float[] xq, MemorySegment out) {
        int k = (int) w.cols(), whole = (int) (w.rows() / PackedWeight.PANEL);
        eachPart(pool, w.panels, p -> {
            if (p < whole) Gemv.bf16Row(w.data, w.offset(p, 0), k, xq, x, out, 4L * PackedWeight.PANEL * p, null, 0, null);
            return 0;
        });
    }

    /**
     * Panels {@code [0, panels)} split statically, each of the pool's threads one contiguous part in
     * order; returns the sum of what {@code panel} returned, for the caller to keep live.
     */
    private static int eachPart(WorkerPool pool, int panels, java.util.function.IntUnaryOperator panel) {
        int parts = pool.threads();
        int[] sums = new int[parts];
        pool.run(parts, (t, worker) -> {
            int acc = 0;
            for (int p = t * panels / parts, to = (t + 1) * panels / parts; p < to; p++) acc += panel.applyAsInt(p);
            sums[t] = acc;
        });
        int total = 0;
        for (int v : sums) total += v;
        return total;
    }

    private static PackedWeight randomWeight(String name, int k, int n) {
        PackedWeight w = new PackedWeight(name, DType.BF16, WeightUse.LINEAR, n, k, PackedWeight.Storage.BF16);
        BenchSupport.randomBf16(w.data);
        return w;
    }

    private static PackedWeight copyOf(PackedWeight w, String name) {
        PackedWeight c = new PackedWeight(name, DType.BF16, WeightUse.LINEAR, w.rows(), (int) w.cols(), PackedWeight.Storage.BF16);
        c.data.copyFrom(w.data);
        return c;
    }

    private static float[] floats(Tensor t) {
        float[] f = new float[(int) t.cols()];
        MemorySegment.copy(Views.f32(t), ValueLayout.JAVA_FLOAT, 0, f, 0, f.length);
        return f;
    }

    /** x in the order the one-row kernel broadcasts it ({@link Gemv#oneRowOrder}). */
    private static float[] broadcastOrder(float[] x) {
        float[] xq = new float[x.length / 4 * 4];
        Gemv.oneRowOrder(x, x.length, xq);
        return xq;
    }

    private static double nanos(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return System.nanoTime() - t0;
    }
}
