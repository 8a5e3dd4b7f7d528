package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.Bf16Lanes;
import io.jsgl.cpu.kernels.ParallelTask;
import io.jsgl.cpu.kernels.Views;
import io.jsgl.cpu.kernels.WorkerPool;
import io.jsgl.spi.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code out = x W^T + bias} for a decode batch of 5 to {@link #MAX_ROWS} rows on bf16 panels.
 * Such a batch is too small for {@link Gemm}, whose packing and f32 widening of each weight block
 * pay off only over many row tiles, and too large for one {@link Gemv} pass. Here every panel is
 * read from memory once, as two streams (see {@link #group}); its bf16 lines are widened in
 * registers and feed the batch in groups of {@link #GROUP} rows (sixteen accumulators), the panel
 * staying in L2 between groups. Per column a group costs one load, two widening ops and sixteen
 * FMAs whose x operands are broadcast straight from memory, so the FMA ports stay close to busy.
 */
final class BatchGemv implements ParallelTask {
    static final int MAX_ROWS = 32;
    static final int GROUP = 8;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int PANEL = PackedWeight.PANEL;

    private final WorkerPool pool;
    private final float[][] acc;
    private final long[] outRow = new long[MAX_ROWS];
    /** x as {@code [group][k][GROUP]}: a group's eight values of one column are adjacent. */
    private float[] xg = new float[0];

    // the current call
    private PackedWeight w;
    private MemorySegment ws;
    private MemorySegment out;
    private MemorySegment bias;
    private int rows;
    private int groups;
    private int k;
    private int n;
    private int chunks;

    BatchGemv(WorkerPool pool) {
        this.pool = pool;
        this.acc = new float[pool.threads()][GROUP * PANEL];
    }

    /** An odd number of columns (no real model has one) goes to {@link Gemm}: the halves must match. */
    static boolean accepts(PackedWeight w, int rows) {
        return w.storage == PackedWeight.Storage.BF16 && w.cols() % 2 == 0 && rows > Gemv.MAX_ROWS && rows <= MAX_ROWS;
    }

    void run(Tensor xt, PackedWeight w, MemorySegment bias, Tensor outT, int rows) {
        if (!accepts(w, rows)) throw new IllegalArgumentException("batch gemv takes bf16 weights of even width and 5.." + MAX_ROWS + " rows");
        this.k = (int) w.cols();
        this.n = (int) w.rows();
        this.rows = rows;
        this.groups = (rows + GROUP - 1) / GROUP;
        int need = groups * k * GROUP;
        if (xg.length < need) xg = new float[need];
        MemorySegment xs = Views.f32(xt);
        int q = k / 2;
        for (int r = 0; r < groups * GROUP; r++) {
            int base = (r / GROUP) * k * GROUP + r % GROUP;
            if (r < rows) {
                long src = Views.at(xt, r, 0);
                // column c of each half next to its twin in the other half, as group reads them
                for (int c = 0; c < q; c++) {
                    xg[base + 2 * c * GROUP] = xs.get(ValueLayout.JAVA_FLOAT_UNALIGNED, src + 4L * c);
                    xg[base + (2 * c + 1) * GROUP] = xs.get(ValueLayout.JAVA_FLOAT_UNALIGNED, src + 4L * (q + c));
                }
            } else {
                for (int c = 0; c < k; c++) xg[base + c * GROUP] = 0f;
            }
        }
        this.out = Views.f32(outT);
        for (int r = 0; r < rows; r++) outRow[r] = Views.at(outT, r, 0);
        this.w = w;
        this.ws = w.data;
        this.bias = bias;
        this.chunks = Math.min(w.panels, 8 * pool.threads());
        pool.run(chunks, this);
        this.w = null;
        this.ws = null;
        this.out = null;
        this.bias = null;
    }

    @Override
    public void run(int chunk, int worker) {
        int from = Views.chunkStart(chunk, chunks, w.panels);
        int to = Views.chunkStart(chunk + 1, chunks, w.panels);
        float[] acc = this.acc[worker];
        for (int p = from; p < to; p++) {
            for (int g = 0; g < groups; g++) {
                group(p, g, acc);
                int r0 = g * GROUP;
                int r1 = Math.min(rows, r0 + GROUP);
                for (int r = r0; r < r1; r++) store(r, p, acc, (r - r0) * PANEL);
            }
        }
    }

    /**
     * Rows {@code 8g .. 8g+7} times panel p into {@code acc[r*32 ..]}. The panel is read as two
     * streams, its first and second half of columns side by side, like {@link Gemv}'s four: the
     * first group reads the panel from DRAM, and with sixteen FMAs per line one stream kept too few
     * lines in flight (decode batches of 8 ran at 92-96 tok/s, 108-112 with two streams; of 16 at
     * 134-135, 137-142). Four streams made the loop too large for C2's inlining budget, and the
     * Vector API calls it then left out of line ran as Java code at a tenth of the speed.
     */
    private void group(int p, int g, float[] acc) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, b0 = z, a1 = z, b1 = z, a2 = z, b2 = z, a3 = z, b3 = z;
        FloatVector a4 = z, b4 = z, a5 = z, b5 = z, a6 = z, b6 = z, a7 = z, b7 = z;
        float[] x = this.xg;
        MemorySegment ws = this.ws;
        int q = k / 2;
        long s0 = w.offset(p, 0), s1 = w.offset(p, q);
        int xo = g * k * GROUP;
        for (int c = 0; c < q; c++, xo += 2 * GROUP) {
            long o = 64L * c;
            { // first half
                IntVector v = IntVector.fromMemorySegment(I, ws, s0 + o, LE);
                FloatVector lo = Bf16Lanes.low(v);
                FloatVector hi = Bf16Lanes.high(v);
                FloatVector x0 = FloatVector.broadcast(F, x[xo]);
                a0 = lo.fma(x0, a0);
                b0 = hi.fma(x0, b0);
                FloatVector x1 = FloatVector.broadcast(F, x[xo + 1]);
                a1 = lo.fma(x1, a1);
                b1 = hi.fma(x1, b1);
                FloatVector x2 = FloatVector.broadcast(F, x[xo + 2]);
                a2 = lo.fma(x2, a2);
                b2 = hi.fma(x2, b2);
                FloatVector x3 = FloatVector.broadcast(F, x[xo + 3]);
                a3 = lo.fma(x3, a3);
                b3 = hi.fma(x3, b3);
                FloatVector x4 = FloatVector.broadcast(F, x[xo + 4]);
                a4 = lo.fma(x4, a4);
                b4 = hi.fma(x4, b4);
                FloatVector x5 = FloatVector.broadcast(F, x[xo + 5]);
                a5 = lo.fma(x5, a5);
                b5 = hi.fma(x5, b5);
                FloatVector x6 = FloatVector.broadcast(F, x[xo + 6]);
                a6 = lo.fma(x6, a6);
                b6 = hi.fma(x6, b6);
                FloatVector x7 = FloatVector.broadcast(F, x[xo + 7]);
                a7 = lo.fma(x7, a7);
                b7 = hi.fma(x7, b7);
            }
            { // second half
                IntVector v = IntVector.fromMemorySegment(I, ws, s1 + o, LE);
                FloatVector lo = Bf16Lanes.low(v);
                FloatVector hi = Bf16Lanes.high(v);
                FloatVector x0 = FloatVector.broadcast(F, x[xo + 8]);
                a0 = lo.fma(x0, a0);
                b0 = hi.fma(x0, b0);
                FloatVector x1 = FloatVector.broadcast(F, x[xo + 9]);
                a1 = lo.fma(x1, a1);
                b1 = hi.fma(x1, b1);
                FloatVector x2 = FloatVector.broadcast(F, x[xo + 10]);
                a2 = lo.fma(x2, a2);
                b2 = hi.fma(x2, b2);
                FloatVector x3 = FloatVector.broadcast(F, x[xo + 11]);
                a3 = lo.fma(x3, a3);
                b3 = hi.fma(x3, b3);
                FloatVector x4 = FloatVector.broadcast(F, x[xo + 12]);
                a4 = lo.fma(x4, a4);
                b4 = hi.fma(x4, b4);
                FloatVector x5 = FloatVector.broadcast(F, x[xo + 13]);
                a5 = lo.fma(x5, a5);
                b5 = hi.fma(x5, b5);
                FloatVector x6 = FloatVector.broadcast(F, x[xo + 14]);
                a6 = lo.fma(x6, a6);
                b6 = hi.fma(x6, b6);
                FloatVector x7 = FloatVector.broadcast(F, x[xo + 15]);
                a7 = lo.fma(x7, a7);
                b7 = hi.fma(x7, b7);
            }
        }
        a0.intoArray(acc, 0);
        b0.intoArray(acc, 16);
        a1.intoArray(acc, 32);
        b1.intoArray(acc, 48);
        a2.intoArray(acc, 64);
        b2.intoArray(acc, 80);
        a3.intoArray(acc, 96);
        b3.intoArray(acc, 112);
        a4.intoArray(acc, 128);
        b4.intoArray(acc, 144);
        a5.intoArray(acc, 160);
        b5.intoArray(acc, 176);
        a6.intoArray(acc, 192);
        b6.intoArray(acc, 208);
        a7.intoArray(acc, 224);
        b7.intoArray(acc, 240);
    }

    /** Row r of panel p from {@code acc[at ..]}. */
    private void store(int r, int p, float[] acc, int at) {
        int col = p * PANEL;
        PanelStore.write(acc, at, out, outRow[r] + 4L * col, bias, 4L * col, n - col);
    }
}
