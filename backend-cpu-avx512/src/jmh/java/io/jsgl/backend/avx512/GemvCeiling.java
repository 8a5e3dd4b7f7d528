package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.BandwidthProbe;
import io.jsgl.cpu.kernels.HugePages;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLongArray;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Java twin of {@code bench/native-gemv/gemv-ceiling.c}: {@link Gemv}'s one-row loop as a
 * static method over the LM head's panels (Qwen2.5-0.5B, 151936 x 896 bf16), two plain threads
 * with a contiguous half each, paired against {@link BandwidthProbe#sum} over the same halves of a
 * buffer of the same size. A second variant claims each panel with a compare-and-set, as
 * {@code StreamRanges} did until it took guided claims: a locked instruction waits for every load
 * in flight, and the streams restart at each panel. The loop is a copy of {@code Gemv.bf16Row} on purpose: the point is the
 * same loop without Gemv's fields, worker pool and claims. Run:
 * {@code java ... io.jsgl.backend.avx512.GemvCeiling [pairs]}.
 */
public final class GemvCeiling {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int K = 896;
    private static final int PANELS = 4748;
    private static final long BYTES = (long) PANELS * K * 64;
    private static final int PAD = 16;

    private static MemorySegment weights;
    private static MemorySegment probe;
    private static final float[] xq = new float[K];
    private static final float[] out = new float[PANELS * 32];
    private static final AtomicLongArray cursors = new AtomicLongArray(2 * PAD);
    private static volatile double sink;

    private GemvCeiling() {}

    private static void fourStreams(int p) {
        MemorySegment ws = weights;
        float[] xq = GemvCeiling.xq;
        FloatVector lo0 = FloatVector.zero(F), lo1 = lo0, lo2 = lo0, lo3 = lo0, hi0 = lo0, hi1 = lo0, hi2 = lo0, hi3 = lo0;
        int q = K / 4;
        long b0 = (long) p * K * 64, b1 = b0 + 64L * q, b2 = b0 + 128L * q, b3 = b0 + 192L * q;
        for (int c = 0; c < q; c++) {
            long o = 64L * c;
            IntVector w0 = IntVector.fromMemorySegment(I, ws, b0 + o, LE);
            IntVector w1 = IntVector.fromMemorySegment(I, ws, b1 + o, LE);
            IntVector w2 = IntVector.fromMemorySegment(I, ws, b2 + o, LE);
            IntVector w3 = IntVector.fromMemorySegment(I, ws, b3 + o, LE);
            FloatVector x0 = FloatVector.broadcast(F, xq[4 * c]);
            FloatVector x1 = FloatVector.broadcast(F, xq[4 * c + 1]);
            FloatVector x2 = FloatVector.broadcast(F, xq[4 * c + 2]);
            FloatVector x3 = FloatVector.broadcast(F, xq[4 * c + 3]);
            lo0 = w0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x0, lo0);
            hi0 = w0.and(0xffff0000).reinterpretAsFloats().fma(x0, hi0);
            lo1 = w1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x1, lo1);
            hi1 = w1.and(0xffff0000).reinterpretAsFloats().fma(x1, hi1);
            lo2 = w2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x2, lo2);
            hi2 = w2.and(0xffff0000).reinterpretAsFloats().fma(x2, hi2);
            lo3 = w3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x3, lo3);
            hi3 = w3.and(0xffff0000).reinterpretAsFloats().fma(x3, hi3);
        }
        lo0.add(lo1).add(lo2.add(lo3)).intoArray(out, 32 * p);
        hi0.add(hi1).add(hi2.add(hi3)).intoArray(out, 32 * p + 16);
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
            Random rnd = new Random(42);
            for (long i = 0; i < BYTES / 2; i++) {
                weights.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i, (short) (Float.floatToRawIntBits(rnd.nextFloat() * 2 - 1) >>> 16));
            }
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
        if (Double.isNaN(sink) || Float.isNaN(out[0])) System.out.println("NaN");
    }
}
