package io.jsgl.backend.opencl;

import io.jsgl.spi.Tensor;
import io.jsgl.spi.op.LinearArgs;
import io.jsgl.spi.op.RmsNormArgs;

/**
 * The RMSNorm prologue of the warp GEMV ({@code gemvw.cl} with {@code GW_PN 1}): every work-group
 * normalizes the activation rows into local memory and reads x from there; work-group 0 also
 * writes them to the norm's output. It replaces the last-work-group epilogue (gemvw_norm), whose
 * device-wide counter and one-work-group tail cost ~10 us a launch on the H100.
 */
final class ClNormPrologue {
    /** Local memory the normalized rows may take (the GEMV's own arrays and the driver's need the rest). */
    private static final long MAX_LOCAL = 32L << 10;

    private ClNormPrologue() {}

    /**
     * Whether the linear can take the deferred norm of {@code normX} as its prologue: it reads exactly
     * the norm's output, the rows fit in local memory, and its output is apart from what the
     * work-groups read (normX) and what work-group 0 writes (the norm's output).
     */
    static boolean fits(RmsNormArgs n, Tensor normX, LinearArgs a, int rows, long localMem) {
        Tensor x = a.x();
        Tensor o = n.out();
        int k = x.cols();
        return x.buffer() == o.buffer() && x.offset() == o.offset() && x.rowStride() == o.rowStride() && x.cols() == o.cols()
                && k % 4 == 0 && 4L * rows * k <= Math.min(MAX_LOCAL, localMem - 8192)
                && a.out().buffer() != normX.buffer() && a.out().buffer() != o.buffer();
    }

    /** The prologue's arguments, after the GEMV's common ones. */
    static ClKernel args(ClKernel k, RmsNormArgs n, Tensor nx, ClWeight nw, int rows, int cols) {
        return k.view((ClBuffer) nx.buffer(), nx)
                .mem(nw.buffer()).i(nw.code()).f(n.eps()).f(n.weightOffset())
                .view((ClBuffer) n.out().buffer(), n.out())
                .local(4L * rows * cols);
    }
}
