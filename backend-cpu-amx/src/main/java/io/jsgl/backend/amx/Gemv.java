package io.jsgl.backend.amx;

import io.jsgl.cpu.kernels.Bf16Lanes;
import io.jsgl.cpu.kernels.StreamRanges;
import io.jsgl.cpu.kernels.Views;
import io.jsgl.cpu.kernels.WorkerPool;
import io.jsgl.spi.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decode-sized bf16 products ({@code M} of a few rows) on the Vector API, streaming the very
 * blocked weights oneDNN's GEMM uses ({@link BlockedLayout}). A GEMM kernel built for tiles of 16+
 * rows wastes most of its work at M = 1, where the job is only to read the weights once at memory
 * speed: here each 32-bit lane of a load holds one output channel's VNNI pair (2 consecutive K
 * values), widened with shifts and accumulated in f32 with broadcast activations. Threads split
 * the N blocks; activations stay f32. Nothing is allocated per call.
 */
final class Gemv {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Rows that share one pass over the weights ({@link #bf16Block32Rows}). */
    static final int MAX_ROWS = 4;

    /**
     * One contiguous run of N blocks per thread, as cpu-avx512's GEMV does: blocks handed out in
     * turn (eight chunks a thread) broke each thread's reads into jumps between streams.
     */
    private final StreamRanges ranges;
    private final StreamRanges.Body blocksBody = this::blocks;
    private float[] xs = new float[0];
    /** Rows 2-4 for {@link #bf16Block32Rows}: {@code xq[8r + 2m + e] = x[m][2r + e]}, a missing row repeating the last. */
    private float[] xq = new float[0];
    /** Per worker, the four rows' sums of the block {@link #bf16Block32Rows} just read. */
    private final float[][] sums;

    // the current call, published to the workers by the pool
    private PackedLinear w;
    private MemorySegment bias;
    private Tensor out;
    private MemorySegment os;
    private int rows;
    private int kp;

    Gemv(WorkerPool pool) {
        this.ranges = new StreamRanges(pool);
        this.sums = new float[pool.threads()][32 * MAX_ROWS];
    }

    /**
     * bf16 only: int8 weights go to oneDNN even for one row, whose VNNI kernel (int8 activations)
     * beat widening four int8 per lane to f32 here: Qwen2.5-0.5B gate_up 0.48 against 1.22 ms on 2
     * cores; Llama-3.2-1B w8a8 decode 29.3 against 19.2 tok/s on the 16-core Sapphire Rapids.
     */
    static boolean supports(PackedLinear w) {
        return w.layout != null && w.kind == MatKind.BF16;
    }

    void run(PackedLinear w, Tensor x, int rows, MemorySegment bias, Tensor out) {
        if (rows > MAX_ROWS) throw new IllegalArgumentException("gemv takes at most " + MAX_ROWS + " rows");
        BlockedLayout lay = w.layout;
        int kp = lay.paddedK();
        if (xs.length < rows * kp) xs = new float[rows * kp];
        float[] xv = xs;
        MemorySegment xseg = Views.f32(x);
        for (int m = 0; m < rows; m++) {
            long xo = Views.at(x, m, 0);
            for (int k = 0; k < w.k; k++) xv[m * kp + k] = xseg.get(FLOAT, xo + 4L * k);
            java.util.Arrays.fill(xv, m * kp + w.k, (m + 1) * kp, 0f);
        }
        if (rows > 1) {
            int pairs = kp / 2;
            if (xq.length < 8 * pairs) xq = new float[8 * pairs];
            for (int r = 0; r < pairs; r++) {
                for (int m = 0; m < MAX_ROWS; m++) {
                    int src = Math.min(m, rows - 1) * kp + 2 * r;
                    xq[8 * r + 2 * m] = xv[src];
                    xq[8 * r + 2 * m + 1] = xv[src + 1];
                }
            }
        }
        this.w = w;
        this.bias = bias;
        this.out = out;
        this.os = Views.f32(out);
        this.rows = rows;
        this.kp = kp;
        try {
            ranges.run(lay.paddedN() / lay.nBlock(), 1, blocksBody);
        } finally {
            this.w = null;
            this.bias = null;
            this.out = null;
            this.os = null;
        }
    }

    private void blocks(int from, int to, int worker) {
        BlockedLayout lay = w.layout;
        boolean quarters = lay.nBlock() == 32 && lay.strideK() == lay.blockElements();
        for (int nb = from; nb < to; nb++) {
            if (quarters && rows > 1) {
                float[] t = sums[worker];
                bf16Block32Rows(w, lay, nb, xq, t);
                for (int m = 0; m < rows; m++) {
                    long outRow = Views.at(out, m, 0);
                    for (int h = 0; h < 2; h++) {
                        int c = nb * 32 + 16 * h;
                        if (c >= w.n) break;
                        VectorMask<Float> mask = F.indexInRange(c, w.n);
                        FloatVector y = FloatVector.fromArray(F, t, 32 * m + 16 * h);
                        if (bias != null) y = y.add(FloatVector.fromMemorySegment(F, bias, 4L * c, LE, mask));
                        y.intoMemorySegment(os, outRow + 4L * c, LE, mask);
                    }
                }
                continue;
            }
            for (int m = 0; m < rows; m++) {
                long outRow = Views.at(out, m, 0);
                if (quarters) bf16Block32Quarters(w, lay, nb, xs, m * kp, bias, os, outRow);
                else bf16Block(w, lay, nb, xs, m * kp, bias, os, outRow);
            }
        }
    }

    /**
     * BA16a32b2a with dense K blocks, so one N block is a single run of 128-byte K-pair rows: read
     * as four streams, one per quarter of the rows, one 64-byte line per stream and step. Lines
     * alternate between the row's low and high 16 columns, so each stream keeps two accumulator
     * sets and swaps them every step (register renames once C2 unrolls by two); the loop body stays
     * as small as cpu-avx512's four-stream GEMV, under C2's inlining node budget. Measured on 2 cores
     * (GemmBench, Qwen2.5-0.5B gate_up): 25.3 GB/s, 0.86 of the probe, against 22.0 for two streams
     * of both lines and 11-12 for the halves of a row read in two passes; four streams of both lines
     * overran the node budget and boxed (5-7 GB/s).
     */
    private static void bf16Block32Quarters(PackedLinear w, BlockedLayout lay, int nb, float[] x, int xo,
                                            MemorySegment bias, MemorySegment out, long outRow) {
        MemorySegment data = w.data;
        int rows = lay.paddedK() / 2;
        int q = rows / 4; // paddedK is a multiple of 32, so the quarters are whole
        long s0 = 2L * nb * lay.strideN();
        long qb = 128L * q;
        int qk = 2 * q;
        FloatVector z = FloatVector.zero(F);
        // c*: the current line's half, n*: the other half; lo/hi: even/odd K of the pair
        FloatVector cl0 = z, ch0 = z, cl1 = z, ch1 = z, cl2 = z, ch2 = z, cl3 = z, ch3 = z;
        FloatVector nl0 = z, nh0 = z, nl1 = z, nh1 = z, nl2 = z, nh2 = z, nl3 = z, nh3 = z;
        int lines = 2 * q;
        for (int i = 0; i < lines; i++) {
            long o = s0 + 64L * i;
            int k = xo + (i & ~1);
            IntVector p0 = IntVector.fromMemorySegment(I, data, o, LE);
            IntVector p1 = IntVector.fromMemorySegment(I, data, o + qb, LE);
            IntVector p2 = IntVector.fromMemorySegment(I, data, o + 2 * qb, LE);
            IntVector p3 = IntVector.fromMemorySegment(I, data, o + 3 * qb, LE);
            FloatVector t;
            t = Bf16Lanes.low(p0).fma(FloatVector.broadcast(F, x[k]), cl0); cl0 = nl0; nl0 = t;
            t = Bf16Lanes.high(p0).fma(FloatVector.broadcast(F, x[k + 1]), ch0); ch0 = nh0; nh0 = t;
            t = Bf16Lanes.low(p1).fma(FloatVector.broadcast(F, x[k + qk]), cl1); cl1 = nl1; nl1 = t;
            t = Bf16Lanes.high(p1).fma(FloatVector.broadcast(F, x[k + qk + 1]), ch1); ch1 = nh1; nh1 = t;
            t = Bf16Lanes.low(p2).fma(FloatVector.broadcast(F, x[k + 2 * qk]), cl2); cl2 = nl2; nl2 = t;
            t = Bf16Lanes.high(p2).fma(FloatVector.broadcast(F, x[k + 2 * qk + 1]), ch2); ch2 = nh2; nh2 = t;
            t = Bf16Lanes.low(p3).fma(FloatVector.broadcast(F, x[k + 3 * qk]), cl3); cl3 = nl3; nl3 = t;
            t = Bf16Lanes.high(p3).fma(FloatVector.broadcast(F, x[k + 3 * qk + 1]), ch3); ch3 = nh3; nh3 = t;
        }
        // an even number of steps: c* hold the low 16 columns again
        FloatVector lo = cl0.add(ch0).add(cl1.add(ch1)).add(cl2.add(ch2).add(cl3.add(ch3)));
        FloatVector hi = nl0.add(nh0).add(nl1.add(nh1)).add(nl2.add(nh2).add(nl3.add(nh3)));
        int n0 = nb * 32;
        for (int h = 0; h < 2; h++) {
            int n = n0 + 16 * h;
            if (n >= w.n) break;
            VectorMask<Float> mask = F.indexInRange(n, w.n);
            FloatVector y = h == 0 ? lo : hi;
            if (bias != null) y = y.add(FloatVector.fromMemorySegment(F, bias, 4L * n, LE, mask));
            y.intoMemorySegment(out, outRow + 4L * n, LE, mask);
        }
    }

    /**
     * Two to four rows over a {@link #bf16Block32Quarters} block in one pass: each 64-byte line is
     * read once and feeds all four rows, where a pass per row read the block again for each (on 2
     * cores, Qwen2.5-0.5B decoded bs4 at 50-53 tok/s that way, 70-73 this way). The block is read
     * as two streams, one per half of its K pairs; each row keeps one accumulator per stream and
     * 16-column half, the even and odd K of a pair going into the same one. Rows past the real
     * ones repeat the last. The sums go to {@code t} (row m at {@code 32m}) and the caller stores
     * them: this method is at C2's inlining node limit, and a store helper that took the vectors
     * as arguments was left out of line, which boxed them (49 against 72 tok/s, run to run).
     */
    private static void bf16Block32Rows(PackedLinear w, BlockedLayout lay, int nb, float[] xq, float[] t) {
        MemorySegment data = w.data;
        int half = lay.paddedK() / 4;
        long s0 = 2L * nb * lay.strideN();
        long hb = 128L * half;
        FloatVector z = FloatVector.zero(F);
        // a<row><16-column half><stream>. The rows are written out one by one: the Vector API boxes
        // arrays of vectors, and a helper per row would pass vectors across a call that C2, at this
        // method's node count, leaves out of line.
        FloatVector a000 = z, a010 = z, a100 = z, a110 = z, a200 = z, a210 = z, a300 = z, a310 = z;
        FloatVector a001 = z, a011 = z, a101 = z, a111 = z, a201 = z, a211 = z, a301 = z, a311 = z;
        for (int r = 0; r < half; r++) {
            long o = s0 + 128L * r;
            IntVector p0 = IntVector.fromMemorySegment(I, data, o, LE);
            IntVector p1 = IntVector.fromMemorySegment(I, data, o + 64, LE);
            IntVector q0 = IntVector.fromMemorySegment(I, data, o + hb, LE);
            IntVector q1 = IntVector.fromMemorySegment(I, data, o + hb + 64, LE);
            FloatVector pe0 = Bf16Lanes.low(p0), po0 = Bf16Lanes.high(p0), pe1 = Bf16Lanes.low(p1), po1 = Bf16Lanes.high(p1);
            FloatVector qe0 = Bf16Lanes.low(q0), qo0 = Bf16Lanes.high(q0), qe1 = Bf16Lanes.low(q1), qo1 = Bf16Lanes.high(q1);
            int i = 8 * r, j = 8 * (r + half);
            FloatVector xe = FloatVector.broadcast(F, xq[i]), xo = FloatVector.broadcast(F, xq[i + 1]);
            a000 = po0.fma(xo, pe0.fma(xe, a000));
            a010 = po1.fma(xo, pe1.fma(xe, a010));
            xe = FloatVector.broadcast(F, xq[j]);
            xo = FloatVector.broadcast(F, xq[j + 1]);
            a001 = qo0.fma(xo, qe0.fma(xe, a001));
            a011 = qo1.fma(xo, qe1.fma(xe, a011));
            xe = FloatVector.broadcast(F, xq[i + 2]);
            xo = FloatVector.broadcast(F, xq[i + 3]);
            a100 = po0.fma(xo, pe0.fma(xe, a100));
            a110 = po1.fma(xo, pe1.fma(xe, a110));
            xe = FloatVector.broadcast(F, xq[j + 2]);
            xo = FloatVector.broadcast(F, xq[j + 3]);
            a101 = qo0.fma(xo, qe0.fma(xe, a101));
            a111 = qo1.fma(xo, qe1.fma(xe, a111));
            xe = FloatVector.broadcast(F, xq[i + 4]);
            xo = FloatVector.broadcast(F, xq[i + 5]);
            a200 = po0.fma(xo, pe0.fma(xe, a200));
            a210 = po1.fma(xo, pe1.fma(xe, a210));
            xe = FloatVector.broadcast(F, xq[j + 4]);
            xo = FloatVector.broadcast(F, xq[j + 5]);
            a201 = qo0.fma(xo, qe0.fma(xe, a201));
            a211 = qo1.fma(xo, qe1.fma(xe, a211));
            xe = FloatVector.broadcast(F, xq[i + 6]);
            xo = FloatVector.broadcast(F, xq[i + 7]);
            a300 = po0.fma(xo, pe0.fma(xe, a300));
            a310 = po1.fma(xo, pe1.fma(xe, a310));
            xe = FloatVector.broadcast(F, xq[j + 6]);
            xo = FloatVector.broadcast(F, xq[j + 7]);
            a301 = qo0.fma(xo, qe0.fma(xe, a301));
            a311 = qo1.fma(xo, qe1.fma(xe, a311));
        }
        a000.add(a001).intoArray(t, 0);
        a010.add(a011).intoArray(t, 16);
        a100.add(a101).intoArray(t, 32);
        a110.add(a111).intoArray(t, 48);
        a200.add(a201).intoArray(t, 64);
        a210.add(a211).intoArray(t, 80);
        a300.add(a301).intoArray(t, 96);
        a310.add(a311).intoArray(t, 112);
    }

    private static void bf16Block(PackedLinear w, BlockedLayout lay, int nb, float[] x, int xo, MemorySegment bias,
                                  MemorySegment out, long outRow) {
        MemorySegment data = w.data;
        int kInner = lay.kInner();
        int nBlock = lay.nBlock();
        int kBlocks = lay.paddedK() / lay.kBlock();
        long rowBytes = 4L * nBlock; // one kk row: nBlock lanes of 2 bf16
        for (int v = 0; v < nBlock; v += 16) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            for (int kb = 0; kb < kBlocks; kb++) {
                long base = 2 * (nb * lay.strideN() + kb * lay.strideK()) + 4L * v;
                int k0 = xo + kb * lay.kBlock();
                int kk = 0;
                for (; kk + 1 < kInner; kk += 2) {
                    IntVector p = IntVector.fromMemorySegment(I, data, base + kk * rowBytes, LE);
                    IntVector q = IntVector.fromMemorySegment(I, data, base + (kk + 1) * rowBytes, LE);
                    int k = k0 + 2 * kk;
                    a0 = Bf16Lanes.low(p).fma(FloatVector.broadcast(F, x[k]), a0);
                    a1 = Bf16Lanes.high(p).fma(FloatVector.broadcast(F, x[k + 1]), a1);
                    a2 = Bf16Lanes.low(q).fma(FloatVector.broadcast(F, x[k + 2]), a2);
                    a3 = Bf16Lanes.high(q).fma(FloatVector.broadcast(F, x[k + 3]), a3);
                }
                for (; kk < kInner; kk++) {
                    IntVector p = IntVector.fromMemorySegment(I, data, base + kk * rowBytes, LE);
                    int k = k0 + 2 * kk;
                    a0 = Bf16Lanes.low(p).fma(FloatVector.broadcast(F, x[k]), a0);
                    a1 = Bf16Lanes.high(p).fma(FloatVector.broadcast(F, x[k + 1]), a1);
                }
            }
            int n0 = nb * nBlock + v;
            if (n0 < w.n) {
                VectorMask<Float> mask = F.indexInRange(n0, w.n);
                FloatVector y = a0.add(a1).add(a2.add(a3));
                if (bias != null) y = y.add(FloatVector.fromMemorySegment(F, bias, 4L * n0, LE, mask));
                y.intoMemorySegment(out, outRow + 4L * n0, LE, mask);
            }
        }
    }
}
