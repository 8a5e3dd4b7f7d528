package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.ParallelTask;
import io.jsgl.cpu.kernels.Views;
import io.jsgl.cpu.kernels.WorkerPool;

import io.jsgl.spi.host.Numerics;
import io.jsgl.spi.op.EmbeddingArgs;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code out[r] = table[ids[r]] * scale}, read straight from the packed panels (the same copy
 * serves a tied LM head). A token's row is strided across its panel, one value per 64- or
 * 128-byte column; at a few rows per step that costs microseconds, less than keeping a second,
 * row-major copy of a vocabulary-sized table.
 */
final class Embedding implements ParallelTask {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final WorkerPool pool;

    private EmbeddingArgs a;
    private PackedWeight table;
    private MemorySegment ids;
    private MemorySegment out;
    private int rows;
    private int chunks;

    Embedding(WorkerPool pool) {
        this.pool = pool;
    }

    void run(EmbeddingArgs a, int rows) {
        Views.checkRows(a.out(), rows, "embedding out");
        PackedWeight t = Tensors.matrix(a.table());
        if (a.out().cols() > t.cols()) {
            throw new IllegalArgumentException("embedding " + t.name() + " has " + t.cols() + " columns, out has " + a.out().cols());
        }
        this.ids = Views.i32(a.ids());
        for (int r = 0; r < rows; r++) {
            int id = Views.getInt(ids, a.ids(), r);
            if (id < 0 || id >= t.rows()) {
                throw new IndexOutOfBoundsException("token id " + id + " outside vocabulary of " + t.rows());
            }
        }
        this.a = a;
        this.table = t;
        this.out = Views.f32(a.out());
        this.rows = rows;
        this.chunks = Views.chunks(rows, t.cols(), 16_384, pool.threads());
        pool.run(chunks, this);
        this.a = null;
        this.table = null;
        this.ids = this.out = null;
    }

    @Override
    public void run(int chunk, int worker) {
        int to = Views.chunkStart(chunk + 1, chunks, rows);
        int cols = a.out().cols();
        float scale = a.scale();
        MemorySegment w = table.data;
        int step = table.columnBytes;
        boolean bf16 = table.storage == PackedWeight.Storage.BF16;
        for (int r = Views.chunkStart(chunk, chunks, rows); r < to; r++) {
            int id = Views.getInt(ids, a.ids(), r);
            long src = table.elementOffset(id, 0);
            long dst = Views.at(a.out(), r, 0);
            for (int c = 0; c < cols; c++, src += step) {
                float v = bf16
                        ? Numerics.bf16ToFloat(w.get(ValueLayout.JAVA_SHORT_UNALIGNED, src))
                        : w.get(FLOAT, src);
                out.set(FLOAT, dst + 4L * c, v * scale);
            }
        }
    }
}
