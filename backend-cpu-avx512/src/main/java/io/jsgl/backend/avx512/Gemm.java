package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.Bf16Lanes;
import io.jsgl.cpu.kernels.ParallelTask;
import io.jsgl.cpu.kernels.Views;
import io.jsgl.cpu.kernels.WorkerPool;

import io.jsgl.spi.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code out = x W^T + bias} for many rows (prefill): compute-bound, organised like a BLIS
 * micro-kernel. A {@code 12 x 32} block of the output lives in 24 zmm accumulators; each step
 * over k loads one 32-wide column of a weight panel (two vectors) and broadcasts twelve x values,
 * so every load feeds twelve or two FMAs.
 *
 * <p>Two packings make the inner loop pure loads and FMAs. The x rows are copied once per call
 * into tiles of 12 rows, a k block at a time and a constant stride apart (zero rows pad the last
 * tile), so the twelve broadcasts of a step are one index plus constant displacements. And a
 * {@code KC x 32} block of the weight panel is widened to f32 into a per-thread buffer that stays
 * in L2 while every tile of x streams past it: the bf16 widening is paid once per block instead of
 * once per tile, and keeps its shifts off the FMA ports. The first tile of a block widens it as it
 * goes ({@link #microKernelWidening}).
 *
 * <p>The 12-row kernel holds nothing but its loop: with the output epilogue and the dispatch to
 * the 4-row kernel inside it, C2 reached its node cutoff there, and the same loop ran at 0.53 of
 * the FMA peak at 512x4864x896 instead of 0.64.
 */
final class Gemm implements ParallelTask {
    static final int MR = 12;
    static final int NR = PackedWeight.PANEL;
    /**
     * Weight block depth: 1024 x 32 f32 = 128 KiB, in L2. Deep blocks cover a whole k of 896 or
     * 1024 in one pass, so most tiles are written once with no read-modify-write of the output;
     * measured against 256 (a block in L1): 141 vs 127 GFLOP/s on one thread at 512x896x9728,
     * 221 vs 182 on two at 512x4864x896. Streaming a block from L2 needs 128 bytes per 24 FMAs.
     */
    static final int KC = 1024;
    /** Row tiles per row block (192 rows). */
    static final int MC_TILES = 16;
    /**
     * Floats between the rows of a packed x block: a constant, so that the kernel addresses all
     * twelve rows from one index register; one line more than a block, so that the twelve rows
     * do not all fall into one set of the L1 cache, as rows 4 KiB apart would.
     */
    static final int ROW_STRIDE = KC + 16;
    /** Row tiles packed at once (768 rows): bounds the packed x to 768 rows of k, rounded up to blocks. */
    static final int BATCH_TILES = 64;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final WorkerPool pool;
    private final Arena arena = Arena.ofShared();
    /**
     * Per-thread f32 weight blocks, off-heap and 64-byte aligned, so that each of the kernel's
     * 64-byte loads sits on one cache line; a heap float[] starts wherever the allocator (and
     * later the GC) puts it, and a load straddling two lines costs two.
     */
    private final MemorySegment[] wbuf;
    private final float[][] ctile;
    private float[] xp = new float[0];

    // the current call
    private boolean packing;
    private PackedWeight w;
    private MemorySegment xs;
    private Tensor xt;
    private MemorySegment out;
    private Tensor outT;
    private MemorySegment bias;
    private int rowBase;
    private int rows;
    private int k;
    private int kBlocks;
    private int n;
    private int tiles;
    private int rowChunks;
    private int group;
    private int groups;
    private int tilesPerChunk;

    Gemm(WorkerPool pool) {
        this.pool = pool;
        this.wbuf = new MemorySegment[pool.threads()];
        for (int i = 0; i < wbuf.length; i++) wbuf[i] = arena.allocate(4L * KC * NR, 64);
        this.ctile = new float[pool.threads()][MR * NR];
    }

    void run(Tensor xt, PackedWeight w, MemorySegment bias, Tensor outT, int rows) {
        this.k = (int) w.cols();
        this.n = (int) w.rows();
        int maxTiles = Math.min((rows + MR - 1) / MR, BATCH_TILES);
        this.kBlocks = (k + KC - 1) / KC;
        long need = (long) maxTiles * kBlocks * MR * ROW_STRIDE;
        if (xp.length < need) xp = new float[(int) need];
        this.w = w;
        this.xt = xt;
        this.xs = Views.f32(xt);
        this.outT = outT;
        this.out = Views.f32(outT);
        this.bias = bias;
        // Long prefills go in batches of rows, which bounds the packed copy of x; each batch
        // streams the weights once more, negligible next to its 2 * 768 flops per weight.
        for (int base = 0; base < rows; base += BATCH_TILES * MR) {
            this.rowBase = base;
            this.rows = Math.min(rows - base, BATCH_TILES * MR);
            this.tiles = (this.rows + MR - 1) / MR;
            packing = true;
            pool.run(tiles, this);

            // A chunk is a group of up to 4 panels over all rows when there are enough panels to
            // keep every thread busy; otherwise the rows are split too, into enough chunks (16 per
            // thread) that the last ones balance the threads: a narrow weight (down_proj, 28 panels)
            // in 10 chunks ran at 0.46 of the FMA peak on 2 threads, in 40 at 0.51.
            int threads = pool.threads();
            group = Math.max(1, Math.min(4, w.panels / (4 * threads)));
            groups = (w.panels + group - 1) / group;
            rowChunks = Math.min(tiles, Math.max(1, (16 * threads + groups - 1) / groups));
            tilesPerChunk = (tiles + rowChunks - 1) / rowChunks;
            rowChunks = (tiles + tilesPerChunk - 1) / tilesPerChunk;
            packing = false;
            pool.run(groups * rowChunks, this);
        }
        this.w = null;
        this.xs = null;
        this.xt = null;
        this.out = null;
        this.outT = null;
        this.bias = null;
    }

    @Override
    public void run(int chunk, int worker) {
        if (packing) {
            packTile(chunk, worker);
            return;
        }
        int p0 = chunk / rowChunks * group;
        int p1 = Math.min(w.panels, p0 + group);
        int t0 = (chunk % rowChunks) * tilesPerChunk;
        int t1 = Math.min(tiles, t0 + tilesPerChunk);
        MemorySegment wb = wbuf[worker];
        // Blocked like BLIS: MC_TILES row tiles at a time, so that their k block of packed x
        // (192 x 1024 floats) stays in L2 across the panels of the group, and their block of the
        // output stays in cache while the k blocks add into it. A weight block is widened again
        // for every row block.
        for (int tb = t0; tb < t1; tb += MC_TILES) {
            int te = Math.min(t1, tb + MC_TILES);
            for (int kb = 0; kb < k; kb += KC) {
                int kc = Math.min(KC, k - kb);
                for (int panel = p0; panel < p1; panel++) {
                    boolean fused = w.storage == PackedWeight.Storage.BF16 && rows - tb * MR > 4;
                    if (!fused) widen(panel, kb, kc, wb);
                    for (int t = tb; t < te; t++) {
                        int rowEnd = Math.min(MR, rows - t * MR);
                        // A last tile of a few rows (a decode batch of 64 is 5 tiles and 4 rows) runs a
                        // narrower kernel instead of FMAs on the zero rows that pad it to 12.
                        if (fused && t == tb) microKernelWidening(t, panel, kb, kc, wb, worker);
                        else if (rowEnd <= 4) microKernel4(t, kb, kc, wb, worker);
                        else microKernel(t, kb, kc, wb, worker);
                        float[] ct = ctile[worker];
                        for (int r = 0; r < rowEnd; r++) accumulate(rowBase + t * MR + r, panel, kb == 0, ct, r * NR);
                    }
                }
            }
        }
    }

    void close() {
        arena.close();
    }

    /**
     * x rows {@code 12t .. 12t+11} into the tile's k blocks: block {@code b} holds the 12 rows'
     * columns {@code [b KC, (b+1) KC)} one after another, {@link #ROW_STRIDE} floats apart, so that
     * packing is a plain copy of each row and the kernel's twelve broadcasts of a column sit at
     * fixed distances from one index. Rows past the end are zero. The earlier layout, a column's 12
     * values side by side, needed a gather per 16 values and took 5% of the GEMM at k = 896.
     */
    private void packTile(int t, int worker) {
        float[] xp = this.xp;
        for (int b = 0; b < kBlocks; b++) {
            int kb = b * KC, kc = Math.min(KC, k - kb);
            int at = (t * kBlocks + b) * MR * ROW_STRIDE;
            for (int r = 0; r < MR; r++, at += ROW_STRIDE) {
                int row = t * MR + r;
                if (row < rows) MemorySegment.copy(xs, ValueLayout.JAVA_FLOAT, Views.at(xt, rowBase + row, kb), xp, at, kc);
                else java.util.Arrays.fill(xp, at, at + kc, 0f);
            }
        }
    }

    /** Columns {@code [kb, kb+kc)} of a weight panel as f32, 32 rows per column in natural order. */
    private void widen(int panel, int kb, int kc, MemorySegment wb) {
        MemorySegment ws = w.data;
        long base = w.offset(panel, kb);
        if (w.storage == PackedWeight.Storage.BF16) {
            for (int c = 0; c < kc; c++) {
                IntVector v = IntVector.fromMemorySegment(I, ws, base + 64L * c, LE);
                Bf16Lanes.low(v).intoMemorySegment(wb, 4L * c * NR, LE);
                Bf16Lanes.high(v).intoMemorySegment(wb, 4L * c * NR + 64, LE);
            }
        } else {
            MemorySegment.copy(ws, base, wb, 0, 4L * kc * NR);
        }
    }

    private void microKernel(int t, int kb, int kc, MemorySegment wb, int worker) {
        float[] xp = this.xp;
        int xo = (t * kBlocks + kb / KC) * MR * ROW_STRIDE;
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        FloatVector c80 = z, c81 = z, c90 = z, c91 = z, ca0 = z, ca1 = z, cb0 = z, cb1 = z;
        for (int c = 0; c < kc; c++) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, wb, 4L * c * NR, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, wb, 4L * c * NR + 64, LE);
            FloatVector x;
            x = FloatVector.broadcast(F, xp[xo + c]);
            c00 = w0.fma(x, c00);
            c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(F, xp[xo + 1 * ROW_STRIDE + c]);
            c10 = w0.fma(x, c10);
            c11 = w1.fma(x, c11);
            x = FloatVector.broadcast(F, xp[xo + 2 * ROW_STRIDE + c]);
            c20 = w0.fma(x, c20);
            c21 = w1.fma(x, c21);
            x = FloatVector.broadcast(F, xp[xo + 3 * ROW_STRIDE + c]);
            c30 = w0.fma(x, c30);
            c31 = w1.fma(x, c31);
            x = FloatVector.broadcast(F, xp[xo + 4 * ROW_STRIDE + c]);
            c40 = w0.fma(x, c40);
            c41 = w1.fma(x, c41);
            x = FloatVector.broadcast(F, xp[xo + 5 * ROW_STRIDE + c]);
            c50 = w0.fma(x, c50);
            c51 = w1.fma(x, c51);
            x = FloatVector.broadcast(F, xp[xo + 6 * ROW_STRIDE + c]);
            c60 = w0.fma(x, c60);
            c61 = w1.fma(x, c61);
            x = FloatVector.broadcast(F, xp[xo + 7 * ROW_STRIDE + c]);
            c70 = w0.fma(x, c70);
            c71 = w1.fma(x, c71);
            x = FloatVector.broadcast(F, xp[xo + 8 * ROW_STRIDE + c]);
            c80 = w0.fma(x, c80);
            c81 = w1.fma(x, c81);
            x = FloatVector.broadcast(F, xp[xo + 9 * ROW_STRIDE + c]);
            c90 = w0.fma(x, c90);
            c91 = w1.fma(x, c91);
            x = FloatVector.broadcast(F, xp[xo + 10 * ROW_STRIDE + c]);
            ca0 = w0.fma(x, ca0);
            ca1 = w1.fma(x, ca1);
            x = FloatVector.broadcast(F, xp[xo + 11 * ROW_STRIDE + c]);
            cb0 = w0.fma(x, cb0);
            cb1 = w1.fma(x, cb1);
        }
        // Park the tile in memory before the epilogue: a vector handed to a method that is not
        // inlined gets boxed, and C2 would then box the loop-carried accumulators on every step.
        float[] ct = ctile[worker];
        c00.intoArray(ct, 0);
        c01.intoArray(ct, 16);
        c10.intoArray(ct, 32);
        c11.intoArray(ct, 48);
        c20.intoArray(ct, 64);
        c21.intoArray(ct, 80);
        c30.intoArray(ct, 96);
        c31.intoArray(ct, 112);
        c40.intoArray(ct, 128);
        c41.intoArray(ct, 144);
        c50.intoArray(ct, 160);
        c51.intoArray(ct, 176);
        c60.intoArray(ct, 192);
        c61.intoArray(ct, 208);
        c70.intoArray(ct, 224);
        c71.intoArray(ct, 240);
        c80.intoArray(ct, 256);
        c81.intoArray(ct, 272);
        c90.intoArray(ct, 288);
        c91.intoArray(ct, 304);
        ca0.intoArray(ct, 320);
        ca1.intoArray(ct, 336);
        cb0.intoArray(ct, 352);
        cb1.intoArray(ct, 368);
    }

    /**
     * {@link #microKernel} for the first tile of a block, which also widens the block for the
     * tiles after it: the bf16 lines come from DRAM while this tile's FMAs run, where a separate
     * widening pass waited for them with nothing else to do (7-12% of the GEMM on one thread).
     * A copy of {@link #microKernel}'s loop on purpose: one kernel with a loop-invariant flag, which
     * C2 unswitches into the same two loops, measured 0.62-0.66 of the peak against 0.69-0.73.
     */
    private void microKernelWidening(int t, int panel, int kb, int kc, MemorySegment wb, int worker) {
        MemorySegment ws = w.data;
        long src = w.offset(panel, kb);
        float[] xp = this.xp;
        int xo = (t * kBlocks + kb / KC) * MR * ROW_STRIDE;
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        FloatVector c80 = z, c81 = z, c90 = z, c91 = z, ca0 = z, ca1 = z, cb0 = z, cb1 = z;
        for (int c = 0; c < kc; c++) {
            IntVector v = IntVector.fromMemorySegment(I, ws, src + 64L * c, LE);
            FloatVector w0 = Bf16Lanes.low(v), w1 = Bf16Lanes.high(v);
            w0.intoMemorySegment(wb, 4L * c * NR, LE);
            w1.intoMemorySegment(wb, 4L * c * NR + 64, LE);
            FloatVector x;
            x = FloatVector.broadcast(F, xp[xo + c]);
            c00 = w0.fma(x, c00);
            c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(F, xp[xo + 1 * ROW_STRIDE + c]);
            c10 = w0.fma(x, c10);
            c11 = w1.fma(x, c11);
            x = FloatVector.broadcast(F, xp[xo + 2 * ROW_STRIDE + c]);
            c20 = w0.fma(x, c20);
            c21 = w1.fma(x, c21);
            x = FloatVector.broadcast(F, xp[xo + 3 * ROW_STRIDE + c]);
            c30 = w0.fma(x, c30);
            c31 = w1.fma(x, c31);
            x = FloatVector.broadcast(F, xp[xo + 4 * ROW_STRIDE + c]);
            c40 = w0.fma(x, c40);
            c41 = w1.fma(x, c41);
            x = FloatVector.broadcast(F, xp[xo + 5 * ROW_STRIDE + c]);
            c50 = w0.fma(x, c50);
            c51 = w1.fma(x, c51);
            x = FloatVector.broadcast(F, xp[xo + 6 * ROW_STRIDE + c]);
            c60 = w0.fma(x, c60);
            c61 = w1.fma(x, c61);
            x = FloatVector.broadcast(F, xp[xo + 7 * ROW_STRIDE + c]);
            c70 = w0.fma(x, c70);
            c71 = w1.fma(x, c71);
            x = FloatVector.broadcast(F, xp[xo + 8 * ROW_STRIDE + c]);
            c80 = w0.fma(x, c80);
            c81 = w1.fma(x, c81);
            x = FloatVector.broadcast(F, xp[xo + 9 * ROW_STRIDE + c]);
            c90 = w0.fma(x, c90);
            c91 = w1.fma(x, c91);
            x = FloatVector.broadcast(F, xp[xo + 10 * ROW_STRIDE + c]);
            ca0 = w0.fma(x, ca0);
            ca1 = w1.fma(x, ca1);
            x = FloatVector.broadcast(F, xp[xo + 11 * ROW_STRIDE + c]);
            cb0 = w0.fma(x, cb0);
            cb1 = w1.fma(x, cb1);
        }
        // Park the tile in memory before the epilogue: a vector handed to a method that is not
        // inlined gets boxed, and C2 would then box the loop-carried accumulators on every step.
        float[] ct = ctile[worker];
        c00.intoArray(ct, 0);
        c01.intoArray(ct, 16);
        c10.intoArray(ct, 32);
        c11.intoArray(ct, 48);
        c20.intoArray(ct, 64);
        c21.intoArray(ct, 80);
        c30.intoArray(ct, 96);
        c31.intoArray(ct, 112);
        c40.intoArray(ct, 128);
        c41.intoArray(ct, 144);
        c50.intoArray(ct, 160);
        c51.intoArray(ct, 176);
        c60.intoArray(ct, 192);
        c61.intoArray(ct, 208);
        c70.intoArray(ct, 224);
        c71.intoArray(ct, 240);
        c80.intoArray(ct, 256);
        c81.intoArray(ct, 272);
        c90.intoArray(ct, 288);
        c91.intoArray(ct, 304);
        ca0.intoArray(ct, 320);
        ca1.intoArray(ct, 336);
        cb0.intoArray(ct, 352);
        cb1.intoArray(ct, 368);
    }

    /** {@link #microKernel} for a tile with at most four real rows: a 4 x 32 block in eight accumulators. */
    private void microKernel4(int t, int kb, int kc, MemorySegment wb, int worker) {
        float[] xp = this.xp;
        int xo = (t * kBlocks + kb / KC) * MR * ROW_STRIDE;
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int c = 0; c < kc; c++) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, wb, 4L * c * NR, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, wb, 4L * c * NR + 64, LE);
            FloatVector x;
            x = FloatVector.broadcast(F, xp[xo + c]);
            c00 = w0.fma(x, c00);
            c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(F, xp[xo + 1 * ROW_STRIDE + c]);
            c10 = w0.fma(x, c10);
            c11 = w1.fma(x, c11);
            x = FloatVector.broadcast(F, xp[xo + 2 * ROW_STRIDE + c]);
            c20 = w0.fma(x, c20);
            c21 = w1.fma(x, c21);
            x = FloatVector.broadcast(F, xp[xo + 3 * ROW_STRIDE + c]);
            c30 = w0.fma(x, c30);
            c31 = w1.fma(x, c31);
        }
        float[] ct = ctile[worker];
        c00.intoArray(ct, 0);
        c01.intoArray(ct, 16);
        c10.intoArray(ct, 32);
        c11.intoArray(ct, 48);
        c20.intoArray(ct, 64);
        c21.intoArray(ct, 80);
        c30.intoArray(ct, 96);
        c31.intoArray(ct, 112);
    }

    /** The first k block adds the bias; later blocks add what the earlier ones stored. */
    private void accumulate(int row, int panel, boolean first, float[] ct, int at) {
        int col = panel * NR;
        long o = Views.at(outT, row, col);
        PanelStore.write(ct, at, out, o, first ? bias : out, first ? 4L * col : o, n - col);
    }
}
