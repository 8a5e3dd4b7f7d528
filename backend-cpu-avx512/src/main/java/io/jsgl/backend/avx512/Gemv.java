package io.jsgl.backend.avx512;

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
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code out = x W^T + bias} for a handful of rows (decode): memory-bound, so the only goal is to
 * stream every weight byte exactly once per step at full bandwidth. Threads split the panels; each
 * panel is one sequential stream and every loaded 64-byte line feeds all rows at once.
 */
final class Gemv {
    /** Up to this many rows share one pass over the weights; more rows go to {@link Gemm}. */
    static final int MAX_ROWS = 4;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /**
     * Each thread streams its own contiguous run of panels, since the panels of a weight lie one
     * after another: handing out chunks in turn made every thread jump between chunks, and a
     * chain of Qwen2.5-0.5B's 24 layers of GEMVs (2 to 17 MB each) streamed 4% slower that way.
     */
    private final StreamRanges ranges;
    private final StreamRanges.Body panelsBody = this::panels;
    private final WorkerPool pool;
    private final WeightPrefetch prefetch;
    /** The weight of the previous call, whose successor this call's weight becomes. */
    private PackedWeight last;
    private float[] x = new float[0];
    /**
     * The x values in the order the bf16 kernels broadcast them, so that one index serves all the
     * broadcasts of a step: one row, the four quarter streams' values ({@code xq[4c + s] = x[s*q + c]});
     * two to four rows, the four streams of every row ({@code xq[16c + 4s + r]}). With a separate index
     * per broadcast C2 ran out of registers and reloaded one from the stack every step.
     */
    private float[] xq = new float[0];
    private final long[] outRow = new long[MAX_ROWS];
    private final float[][] acc;

    // the current call; published to the workers by the pool
    private PackedWeight w;
    private MemorySegment ws;
    private MemorySegment out;
    private MemorySegment bias;
    private int rows;
    private int k;
    private int n;

    Gemv(WorkerPool pool) {
        this.ranges = new StreamRanges(pool);
        this.pool = pool;
        this.prefetch = new WeightPrefetch(pool.threads());
        this.acc = new float[pool.threads()][MAX_ROWS * PackedWeight.PANEL];
    }

    void run(Tensor xt, PackedWeight w, MemorySegment bias, Tensor outT, int rows) {
        if (rows > MAX_ROWS) throw new IllegalArgumentException("gemv takes at most " + MAX_ROWS + " rows");
        this.k = (int) w.cols();
        this.n = (int) w.rows();
        if (x.length < MAX_ROWS * k) x = new float[MAX_ROWS * k];
        MemorySegment xs = Views.f32(xt);
        // rows are copied to the heap once: the kernels broadcast from them k times per panel
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(xs, ValueLayout.JAVA_FLOAT, Views.at(xt, r, 0), x, r * k, k);
        }
        if (w.storage == PackedWeight.Storage.BF16) interleave(rows);
        this.out = Views.f32(outT);
        for (int r = 0; r < rows; r++) outRow[r] = Views.at(outT, r, 0);
        this.w = w;
        this.ws = w.data;
        this.bias = bias;
        this.rows = rows;
        pool.idleWork(null);
        if (last != null && last != w) last.next = w;
        last = w;
        try {
            ranges.run(w.panels, 1, panelsBody);
        } finally {
            PackedWeight next = w.next;
            if (next != null && next.storage == PackedWeight.Storage.BF16) {
                prefetch.target(next);
                pool.idleWork(prefetch);
            }
        }
        this.w = null;
        this.ws = null;
        this.out = null;
        this.bias = null;
    }

    private void interleave(int rows) {
        int q = k / 4;
        if (xq.length < 16 * q) xq = new float[16 * q];
        if (rows == 1) {
            oneRowOrder(x, k, xq);
            return;
        }
        for (int c = 0; c < q; c++) {
            for (int s = 0; s < 4; s++) {
                for (int r = 0; r < MAX_ROWS; r++) { // a missing row repeats the last real one
                    xq[16 * c + 4 * s + r] = x[Math.min(r, rows - 1) * k + s * q + c];
                }
            }
        }
    }

    /** Row x of width k in the order {@link #bf16Row} broadcasts it: {@code xq[4c + s] = x[s*q + c]}, q = k / 4. */
    static void oneRowOrder(float[] x, int k, float[] xq) {
        int q = k / 4;
        for (int s = 0; s < 4; s++) {
            for (int c = 0; c < q; c++) xq[4 * c + s] = x[s * q + c];
        }
    }

    private void panels(int from, int to, int worker) {
        boolean bf16 = w.storage == PackedWeight.Storage.BF16;
        for (int p = from; p < to; p++) {
            if (bf16) {
                if (rows == 1) bf16Row(p, worker);
                else bf16Rows(p, worker);
            } else {
                f32Rows(p, worker);
            }
        }
    }

    /**
     * One row: the panel is read as four streams, one per quarter of its columns. A single
     * sequential stream leaves DRAM bandwidth unused, because the widen and FMA uops waiting on a
     * missing line fill the scheduler long before enough lines are in flight; four streams each
     * get their own run of hardware prefetches. Measured on a 2-core Xeon over the 272 MB LM head:
     * one stream 19 GB/s, four 24-26 GB/s, a plain vector sum of the same bytes 25.
     */
    private void bf16Row(int p, int worker) {
        int col = p * PackedWeight.PANEL;
        long base = w.offset(p, 0);
        if (n - col >= PackedWeight.PANEL) {
            bf16Row(ws, base, k, xq, x, out, outRow[0] + 4L * col, bias, 4L * col, null);
            return;
        }
        float[] acc = this.acc[worker]; // the last, partial panel
        bf16Row(ws, base, k, xq, x, null, 0, null, 0, acc);
        store(0, p, acc);
    }

    /**
     * The panel at {@code base} against one row, written to {@code out[o ..]} (+ {@code bias[biasByte ..]})
     * or, when {@code acc} is not null, parked in {@code acc[0 .. 31]}. A static method that gets
     * everything as arguments and stores straight from registers: the same loop as an instance method
     * that read its fields and parked every panel in {@code acc} streamed 2-4% slower (0.92-0.94 of
     * the probe against 0.96-0.97 on the LM head), by an amount that moved with the heap layout.
     */
    static void bf16Row(MemorySegment ws, long base, int k, float[] xq, float[] x, MemorySegment out, long o,
                        MemorySegment bias, long biasByte, float[] acc) {
        FloatVector lo0 = FloatVector.zero(F), lo1 = lo0, lo2 = lo0, lo3 = lo0;
        FloatVector hi0 = lo0, hi1 = lo0, hi2 = lo0, hi3 = lo0;
        int q = k / 4;
        long b0 = base, b1 = base + 64L * q, b2 = base + 128L * q, b3 = base + 192L * q;
        for (int c = 0; c < q; c++) {
            long off = 64L * c;
            IntVector w0 = IntVector.fromMemorySegment(I, ws, b0 + off, LE);
            IntVector w1 = IntVector.fromMemorySegment(I, ws, b1 + off, LE);
            IntVector w2 = IntVector.fromMemorySegment(I, ws, b2 + off, LE);
            IntVector w3 = IntVector.fromMemorySegment(I, ws, b3 + off, LE);
            FloatVector x0 = FloatVector.broadcast(F, xq[4 * c]);
            FloatVector x1 = FloatVector.broadcast(F, xq[4 * c + 1]);
            FloatVector x2 = FloatVector.broadcast(F, xq[4 * c + 2]);
            FloatVector x3 = FloatVector.broadcast(F, xq[4 * c + 3]);
            lo0 = Bf16Lanes.low(w0).fma(x0, lo0);
            hi0 = Bf16Lanes.high(w0).fma(x0, hi0);
            lo1 = Bf16Lanes.low(w1).fma(x1, lo1);
            hi1 = Bf16Lanes.high(w1).fma(x1, hi1);
            lo2 = Bf16Lanes.low(w2).fma(x2, lo2);
            hi2 = Bf16Lanes.high(w2).fma(x2, hi2);
            lo3 = Bf16Lanes.low(w3).fma(x3, lo3);
            hi3 = Bf16Lanes.high(w3).fma(x3, hi3);
        }
        for (int c = 4 * q; c < k; c++) { // the columns past the last whole quarter
            IntVector w0 = IntVector.fromMemorySegment(I, ws, b0 + 64L * c, LE);
            FloatVector x0 = FloatVector.broadcast(F, x[c]);
            lo0 = Bf16Lanes.low(w0).fma(x0, lo0);
            hi0 = Bf16Lanes.high(w0).fma(x0, hi0);
        }
        FloatVector lo = lo0.add(lo1).add(lo2.add(lo3)), hi = hi0.add(hi1).add(hi2.add(hi3));
        if (acc != null) {
            lo.intoArray(acc, 0);
            hi.intoArray(acc, 16);
            return;
        }
        if (bias != null) {
            lo = lo.add(FloatVector.fromMemorySegment(F, bias, biasByte, LE));
            hi = hi.add(FloatVector.fromMemorySegment(F, bias, biasByte + 64, LE));
        }
        lo.intoMemorySegment(out, o, LE);
        hi.intoMemorySegment(out, o + 64, LE);
    }

    /**
     * Two to four rows: each column's line is widened once and feeds every row, and the panel is
     * read as four streams like {@link #bf16Row}. Eight accumulators (a row's low and high half) take
     * the FMAs of all four streams in turn: four streams with their own accumulators would need 32
     * registers, and two streams left a third of the bandwidth unused (bs=4 decode at 0.64 of the probe).
     */
    private void bf16Rows(int p, int worker) {
        int col = p * PackedWeight.PANEL;
        long base = w.offset(p, 0);
        if (n - col >= PackedWeight.PANEL) {
            bf16Rows(ws, base, k, rows, xq, x, out, outRow, 4L * col, bias, null);
            return;
        }
        float[] acc = this.acc[worker]; // the last, partial panel
        bf16Rows(ws, base, k, rows, xq, x, null, outRow, 0, null, acc);
        for (int r = 0; r < rows; r++) store(r, p, acc);
    }

    /**
     * The panel at {@code base} against {@code rows} rows, written to {@code out} at
     * {@code outRow[r] + colByte} (+ {@code bias[colByte ..]}) or, when {@code acc} is not null,
     * parked in {@code acc[32r ..]}: static and straight from registers, like {@link #bf16Row}.
     */
    static void bf16Rows(MemorySegment ws, long base, int k, int rows, float[] xq, float[] x, MemorySegment out,
                         long[] outRow, long colByte, MemorySegment bias, float[] acc) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int q = k / 4;
        long b0 = base, b1 = base + 64L * q, b2 = base + 128L * q, b3 = base + 192L * q;
        for (int c = 0; c < q; c++) {
            long o = 64L * c;
            int xi = 16 * c;
            IntVector v0 = IntVector.fromMemorySegment(I, ws, b0 + o, LE);
            FloatVector lo0 = Bf16Lanes.low(v0), hi0 = Bf16Lanes.high(v0);
            IntVector v1 = IntVector.fromMemorySegment(I, ws, b1 + o, LE);
            FloatVector lo1 = Bf16Lanes.low(v1), hi1 = Bf16Lanes.high(v1);
            IntVector v2 = IntVector.fromMemorySegment(I, ws, b2 + o, LE);
            FloatVector lo2 = Bf16Lanes.low(v2), hi2 = Bf16Lanes.high(v2);
            IntVector v3 = IntVector.fromMemorySegment(I, ws, b3 + o, LE);
            FloatVector lo3 = Bf16Lanes.low(v3), hi3 = Bf16Lanes.high(v3);
            FloatVector x00 = FloatVector.broadcast(F, xq[xi + 0]);
            a0 = lo0.fma(x00, a0);
            a1 = hi0.fma(x00, a1);
            FloatVector x01 = FloatVector.broadcast(F, xq[xi + 1]);
            a2 = lo0.fma(x01, a2);
            a3 = hi0.fma(x01, a3);
            FloatVector x02 = FloatVector.broadcast(F, xq[xi + 2]);
            a4 = lo0.fma(x02, a4);
            a5 = hi0.fma(x02, a5);
            FloatVector x03 = FloatVector.broadcast(F, xq[xi + 3]);
            a6 = lo0.fma(x03, a6);
            a7 = hi0.fma(x03, a7);
            FloatVector x10 = FloatVector.broadcast(F, xq[xi + 4]);
            a0 = lo1.fma(x10, a0);
            a1 = hi1.fma(x10, a1);
            FloatVector x11 = FloatVector.broadcast(F, xq[xi + 5]);
            a2 = lo1.fma(x11, a2);
            a3 = hi1.fma(x11, a3);
            FloatVector x12 = FloatVector.broadcast(F, xq[xi + 6]);
            a4 = lo1.fma(x12, a4);
            a5 = hi1.fma(x12, a5);
            FloatVector x13 = FloatVector.broadcast(F, xq[xi + 7]);
            a6 = lo1.fma(x13, a6);
            a7 = hi1.fma(x13, a7);
            FloatVector x20 = FloatVector.broadcast(F, xq[xi + 8]);
            a0 = lo2.fma(x20, a0);
            a1 = hi2.fma(x20, a1);
            FloatVector x21 = FloatVector.broadcast(F, xq[xi + 9]);
            a2 = lo2.fma(x21, a2);
            a3 = hi2.fma(x21, a3);
            FloatVector x22 = FloatVector.broadcast(F, xq[xi + 10]);
            a4 = lo2.fma(x22, a4);
            a5 = hi2.fma(x22, a5);
            FloatVector x23 = FloatVector.broadcast(F, xq[xi + 11]);
            a6 = lo2.fma(x23, a6);
            a7 = hi2.fma(x23, a7);
            FloatVector x30 = FloatVector.broadcast(F, xq[xi + 12]);
            a0 = lo3.fma(x30, a0);
            a1 = hi3.fma(x30, a1);
            FloatVector x31 = FloatVector.broadcast(F, xq[xi + 13]);
            a2 = lo3.fma(x31, a2);
            a3 = hi3.fma(x31, a3);
            FloatVector x32 = FloatVector.broadcast(F, xq[xi + 14]);
            a4 = lo3.fma(x32, a4);
            a5 = hi3.fma(x32, a5);
            FloatVector x33 = FloatVector.broadcast(F, xq[xi + 15]);
            a6 = lo3.fma(x33, a6);
            a7 = hi3.fma(x33, a7);
        }
        // missing rows repeat the last real one (see interleave): harmless work, and the loop stays branch-free
        int r1 = Math.min(1, rows - 1) * k, r2 = Math.min(2, rows - 1) * k, r3 = Math.min(3, rows - 1) * k;
        for (int c = 4 * q; c < k; c++) { // the columns past the last whole quarter
            IntVector v = IntVector.fromMemorySegment(I, ws, b0 + 64L * c, LE);
            FloatVector lo = Bf16Lanes.low(v), hi = Bf16Lanes.high(v);
            a0 = lo.fma(FloatVector.broadcast(F, x[c]), a0);
            a1 = hi.fma(FloatVector.broadcast(F, x[c]), a1);
            a2 = lo.fma(FloatVector.broadcast(F, x[r1 + c]), a2);
            a3 = hi.fma(FloatVector.broadcast(F, x[r1 + c]), a3);
            a4 = lo.fma(FloatVector.broadcast(F, x[r2 + c]), a4);
            a5 = hi.fma(FloatVector.broadcast(F, x[r2 + c]), a5);
            a6 = lo.fma(FloatVector.broadcast(F, x[r3 + c]), a6);
            a7 = hi.fma(FloatVector.broadcast(F, x[r3 + c]), a7);
        }
        if (acc != null) {
            a0.intoArray(acc, 0);
            a1.intoArray(acc, 16);
            a2.intoArray(acc, 32);
            a3.intoArray(acc, 48);
            a4.intoArray(acc, 64);
            a5.intoArray(acc, 80);
            a6.intoArray(acc, 96);
            a7.intoArray(acc, 112);
            return;
        }
        FloatVector biasLo = FloatVector.zero(F), biasHi = biasLo;
        if (bias != null) {
            biasLo = FloatVector.fromMemorySegment(F, bias, colByte, LE);
            biasHi = FloatVector.fromMemorySegment(F, bias, colByte + 64, LE);
        }
        a0.add(biasLo).intoMemorySegment(out, outRow[0] + colByte, LE);
        a1.add(biasHi).intoMemorySegment(out, outRow[0] + colByte + 64, LE);
        a2.add(biasLo).intoMemorySegment(out, outRow[1] + colByte, LE);
        a3.add(biasHi).intoMemorySegment(out, outRow[1] + colByte + 64, LE);
        if (rows > 2) {
            a4.add(biasLo).intoMemorySegment(out, outRow[2] + colByte, LE);
            a5.add(biasHi).intoMemorySegment(out, outRow[2] + colByte + 64, LE);
        }
        if (rows > 3) {
            a6.add(biasLo).intoMemorySegment(out, outRow[3] + colByte, LE);
            a7.add(biasHi).intoMemorySegment(out, outRow[3] + colByte + 64, LE);
        }
    }

    /** f32 panels (f32 and f16 checkpoints): two plain loads per column, up to four rows. */
    private void f32Rows(int p, int worker) {
        FloatVector lo0 = FloatVector.zero(F), lo1 = lo0, lo2 = lo0, lo3 = lo0;
        FloatVector hi0 = lo0, hi1 = lo0, hi2 = lo0, hi3 = lo0;
        float[] x = this.x;
        MemorySegment ws = this.ws;
        long base = w.offset(p, 0);
        int r1 = Math.min(1, rows - 1) * k, r2 = Math.min(2, rows - 1) * k, r3 = Math.min(3, rows - 1) * k;
        for (int c = 0; c < k; c++) {
            long o = base + 128L * c;
            FloatVector lo = FloatVector.fromMemorySegment(F, ws, o, LE);
            FloatVector hi = FloatVector.fromMemorySegment(F, ws, o + 64, LE);
            FloatVector x0 = FloatVector.broadcast(F, x[c]);
            FloatVector x1 = FloatVector.broadcast(F, x[r1 + c]);
            FloatVector x2 = FloatVector.broadcast(F, x[r2 + c]);
            FloatVector x3 = FloatVector.broadcast(F, x[r3 + c]);
            lo0 = lo.fma(x0, lo0);
            hi0 = hi.fma(x0, hi0);
            lo1 = lo.fma(x1, lo1);
            hi1 = hi.fma(x1, hi1);
            lo2 = lo.fma(x2, lo2);
            hi2 = hi.fma(x2, hi2);
            lo3 = lo.fma(x3, lo3);
            hi3 = hi.fma(x3, hi3);
        }
        float[] acc = this.acc[worker];
        lo0.intoArray(acc, 0);
        hi0.intoArray(acc, 16);
        lo1.intoArray(acc, 32);
        hi1.intoArray(acc, 48);
        lo2.intoArray(acc, 64);
        hi2.intoArray(acc, 80);
        lo3.intoArray(acc, 96);
        hi3.intoArray(acc, 112);
        for (int r = 0; r < rows; r++) store(r, p, acc);
    }

    /** Writes row r of panel p from {@code acc[r*32 ..]}. */
    private void store(int r, int p, float[] acc) {
        int col = p * PackedWeight.PANEL;
        PanelStore.write(acc, r * PackedWeight.PANEL, out, outRow[r] + 4L * col, bias, 4L * col, n - col);
    }
}
