package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.BandwidthProbe;
import io.jsgl.cpu.kernels.HugePages;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The Java twin of {@code bench/native-gemv/gemv-ceiling.c}: {@link Gemv}'s one-row panel kernel
 * ({@code Gemv.bf16Row}, a static method since session 12) over the LM head's panels (Qwen2.5-0.5B,
 * 151936 x 896 bf16) on two plain threads with a contiguous half each, without Gemv's worker pool
 * and claims, paired against {@link BandwidthProbe#sum} over the same halves of a buffer of the
 * same size. A second variant claims each panel with a compare-and-set, as {@code StreamRanges}
 * did until it took guided claims: a locked instruction waits for every load in flight, and the
 * streams restart at each panel. Run: {@code java ... io.jsgl.backend.avx512.GemvCeiling [pairs]}.
 */
public final class GemvCeiling {
    private static final int K = 896;
    private static final int PANELS = 4748;
    private static final long BYTES = (long) PANELS * K * 64;
    private static final int PAD = 16;

    private static MemorySegment weights;
    private static MemorySegment probe;
    private static final float[] xq = new float[K];
    private static MemorySegment out;
    private static final AtomicLongArray cursors = new AtomicLongArray(2 * PAD);
    private static volatile double sink;

    private GemvCeiling() {}

    /** Panel p through {@link Gemv}'s own one-row kernel, written to {@code out[32p ..]}. */
    private static void fourStreams(int p) {
        Gemv.bf16Row(weights, (long) p * K * 64, K, xq, xq, out, 128L * p, null, 0, null);
    }

    private static void work(int mode, int t) {
        int from = t * PANELS / 2, to = (t + 1) * PANELS / 2;
        switch (mode) {
            case 0 -> sink += BandwidthProbe.sum(probe, t * (BYTES / 2), (t + 1) * (BYTES / 2));
            case 1 -> {
                for (int p = from; p < to; p++) fourStreams(p);
            }
            default -> {
                while (true) {
                    long s = cursors.get(PAD * t);
                    int next = (int) (s >>> 32), end = (int) s;
                    if (next >= end) return;
                    if (cursors.compareAndSet(PAD * t, s, (long) (next + 1) << 32 | end)) fourStreams(next);
                }
            }
        }
    }

    private static double pass(int mode) throws InterruptedException {
        for (int t = 0; t < 2; t++) cursors.set(PAD * t, (long) (t * PANELS / 2) << 32 | ((t + 1) * PANELS / 2));
        long t0 = System.nanoTime();
        Thread other = Thread.ofPlatform().start(() -> work(mode, 1));
        work(mode, 0);
        other.join();
        return BYTES / ((System.nanoTime() - t0) / 1e9) / 1e9;
    }

    public static void main(String[] args) throws InterruptedException {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        try (Arena arena = Arena.ofShared()) {
            weights = HugePages.allocate(arena, BYTES);
            probe = HugePages.allocate(arena, BYTES);
            probe.fill((byte) 0x3f);
            out = arena.allocate(4L * PANELS * 32, 64);
            BenchSupport.randomBf16(weights);
            for (int i = 0; i < K; i++) xq[i] = (float) Math.sin(i);
            for (int i = 0; i < 30; i++) { // C2 compiles every loop before the first timed pass
                pass(0);
                pass(1);
                pass(2);
            }
            String[] names = {"probe", "four quarter streams", "  + CAS per panel"};
            for (int mode = 1; mode <= 2; mode++) {
                double[] ratio = new double[pairs], kernel = new double[pairs], ceiling = new double[pairs];
                for (int i = 0; i < pairs; i++) {
                    kernel[i] = pass(mode);
                    ceiling[i] = pass(0);
                    ratio[i] = kernel[i] / ceiling[i];
                }
                Arrays.sort(ratio);
                Arrays.sort(kernel);
                Arrays.sort(ceiling);
                System.out.printf("%-21s %5.1f GB/s | probe %5.1f GB/s | paired ratio median %.2f (p25 %.2f, p75 %.2f)%n", names[mode],
                        kernel[pairs / 2], ceiling[pairs / 2], ratio[pairs / 2], ratio[pairs / 4], ratio[3 * pairs / 4]);
            }
        }
        if (Double.isNaN(sink)) System.out.println("NaN");
    }
}
