package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.Views;
import io.jsgl.cpu.kernels.WorkerPool;

import io.jsgl.spi.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Picks the kernel for {@code out = x W^T + bias}: GEMV while the rows fit one pass over W, the
 * batch GEMV for decode batches of bf16 weights, GEMM beyond.
 */
final class Linear {
    private final Gemv gemv;
    private final BatchGemv batchGemv;
    private final Gemm gemm;

    Linear(WorkerPool pool) {
        this.gemv = new Gemv(pool);
        this.batchGemv = new BatchGemv(pool);
        this.gemm = new Gemm(pool);
    }

    void run(Tensor x, PackedWeight w, MemorySegment bias, Tensor out, int rows) {
        Views.checkRows(x, rows, "linear x");
        Views.checkRows(out, rows, "linear out");
        if (rows == 0) return;
        if (rows <= Gemv.MAX_ROWS) gemv.run(x, w, bias, out, rows);
        else if (BatchGemv.accepts(w, rows)) batchGemv.run(x, w, bias, out, rows);
        else gemm.run(x, w, bias, out, rows);
    }

    void close() {
        gemm.close();
    }
}
