package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.HugePages;
import io.jsgl.spi.DType;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.host.Numerics;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A {@code rows x cols} matrix (linear layer or embedding table) repacked off-heap into panels of
 * {@link #PANEL} consecutive rows, interleaved by column: panel {@code p} holds, for each column
 * {@code k} in order, the {@code PANEL} values {@code W[32p .. 32p+31][k]}. Both the GEMV and the
 * GEMM then read each panel as one sequential stream, one 64-byte line per column for bf16, and
 * never need a horizontal reduction. Rows past the end of the last panel are zero.
 *
 * <p>Storage is bf16 for bf16 weights (the decode step is memory-bound, so the bytes streamed are
 * what counts) and f32 otherwise: f16 is widened to f32 once at load, as the Vector API has no
 * cheap f16 widening; f16 checkpoints are rare and the f32 copy keeps them exact.
 *
 * <p>The bf16 lane order makes widening free of shuffles: 32-bit lane {@code j} of column
 * {@code k} holds row {@code j} in its low half and row {@code j + 16} in its high half, so
 * {@code lane << 16} is rows 0..15 as floats and {@code lane & 0xffff0000} is rows 16..31.
 */
final class PackedWeight implements Weight {
    static final int PANEL = 32;

    enum Storage { BF16, F32 }

    private final String name;
    private final DType dtype;
    private final WeightUse use;
    private final long rows;
    private final int cols;
    final Storage storage;
    final int panels;
    /** Bytes of one panel column: 64 for bf16, 128 for f32. */
    final int columnBytes;
    final MemorySegment data;
    private final Arena arena;
    private VectorWeight rowZero; // lazily built when a 1 x n matrix is used as a bias or norm weight
    /** The weight the decode GEMV read after this one last time: decode steps repeat their order. */
    PackedWeight next;

    PackedWeight(String name, DType dtype, WeightUse use, long rows, int cols, Storage storage) {
        this.name = name;
        this.dtype = dtype;
        this.use = use;
        this.rows = rows;
        this.cols = cols;
        this.storage = storage;
        this.panels = Math.toIntExact((rows + PANEL - 1) / PANEL);
        this.columnBytes = storage == Storage.BF16 ? PANEL * 2 : PANEL * 4;
        this.arena = Arena.ofShared();
        this.data = HugePages.allocate(arena, (long) panels * cols * columnBytes);
    }

    /** Byte offset of column {@code k} of panel {@code p}. */
    long offset(int panel, int k) {
        return ((long) panel * cols + k) * columnBytes;
    }

    /** Byte offset of element (row, col) within {@link #data}. */
    long elementOffset(long row, int col) {
        int p = (int) (row / PANEL);
        int j = (int) (row % PANEL);
        if (storage == Storage.F32) return offset(p, col) + 4L * j;
        // low half (little-endian: the lower address) holds rows 0..15 of the panel
        return offset(p, col) + 4L * (j & 15) + (j >= 16 ? 2 : 0);
    }

    float get(long row, int col) {
        long off = elementOffset(row, col);
        return storage == Storage.F32
                ? data.get(ValueLayout.JAVA_FLOAT_UNALIGNED, off)
                : Numerics.bf16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, off));
    }

    /** Row 0 as an f32 vector, for a {@code 1 x n} matrix used as a bias or norm weight. */
    VectorWeight rowZero() {
        if (rowZero == null) {
            if (rows != 1) throw new IllegalArgumentException("weight " + name + " is a " + rows + "x" + cols + " matrix, not a vector");
            VectorWeight v = new VectorWeight(name, dtype, cols);
            for (int c = 0; c < cols; c++) v.data.setAtIndex(ValueLayout.JAVA_FLOAT, c, get(0, c));
            rowZero = v;
        }
        return rowZero;
    }

    @Override public String name() { return name; }
    @Override public DType dtype() { return dtype; }
    @Override public long rows() { return rows; }
    @Override public long cols() { return cols; }
    @Override public WeightUse use() { return use; }

    @Override
    public void close() {
        next = null;
        if (rowZero != null) rowZero.close();
        if (arena.scope().isAlive()) arena.close();
    }
}
