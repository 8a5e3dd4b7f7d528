package io.jsgl.cpu.kernels;

import io.jsgl.spi.DType;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.op.Activation;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row-parallel f32 kernels on the Vector API: fused residual-add + RMSNorm (per row or per head
 * group), gated activations, add, row gather, soft-cap and embedding lookup. Everything takes
 * plain {@link Tensor} views and f32 {@link MemorySegment}s for vector weights, so any CPU backend
 * can call it with its own weight classes.
 */
public final class Elementwise {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Elements of work per chunk below which an op is not split further. */
    private static final long GRAIN = 16_384;

    private final WorkerPool pool;

    public Elementwise(WorkerPool pool) {
        this.pool = pool;
    }

    // ---- RMSNorm

    /**
     * {@code out = x / rms(x) * (offset + w)} over groups of {@code groupSize} columns; with a
     * residual, first {@code residual += x} and the stored sum is normalized. {@code out} may alias x.
     */
    public void rmsNorm(Tensor x, Tensor residual, MemorySegment w, float eps, float offset, int groupSize,
                        Tensor out, int rows) {
        Views.checkRows(x, rows, "rms norm x");
        Views.checkRows(out, rows, "rms norm out");
        if (residual != null) Views.checkRows(residual, rows, "rms norm residual");
        if (rows == 0) return;
        MemorySegment xs = Views.f32(x);
        MemorySegment rs = residual == null ? null : Views.f32(residual);
        MemorySegment os = Views.f32(out);
        int cols = x.cols();
        int n = Views.chunks(rows, cols, GRAIN, pool.threads());
        pool.run(n, (c, worker) -> {
            int r1 = Views.chunkStart(c + 1, n, rows);
            for (int r = Views.chunkStart(c, n, rows); r < r1; r++) {
                long xo = Views.at(x, r, 0);
                long oo = Views.at(out, r, 0);
                MemorySegment src = xs;
                long so = xo;
                if (rs != null) {
                    long ro = Views.at(residual, r, 0);
                    addInto(xs, xo, rs, ro, cols);
                    src = rs;
                    so = ro;
                }
                for (int g = 0; g < cols; g += groupSize) {
                    normGroup(src, so + 4L * g, w, eps, offset, groupSize, os, oo + 4L * g);
                }
            }
        });
    }

    /** {@code res += x}, element-wise over {@code n} floats. */
    private static void addInto(MemorySegment xs, long xo, MemorySegment rs, long ro, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(F, xs, xo + 4L * i, LE)
                    .add(FloatVector.fromMemorySegment(F, rs, ro + 4L * i, LE));
            v.intoMemorySegment(rs, ro + 4L * i, LE);
        }
        for (; i < n; i++) rs.set(FLOAT, ro + 4L * i, xs.get(FLOAT, xo + 4L * i) + rs.get(FLOAT, ro + 4L * i));
    }

    private static void normGroup(MemorySegment src, long so, MemorySegment w, float eps, float offset, int g,
                                  MemorySegment dst, long dOff) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i <= g - L; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(F, src, so + 4L * i, LE);
            acc = v.fma(v, acc);
        }
        double ss = acc.reduceLanes(VectorOperators.ADD);
        for (; i < g; i++) {
            float v = src.get(FLOAT, so + 4L * i);
            ss += (double) v * v;
        }
        float inv = (float) (1.0 / Math.sqrt(ss / g + eps));
        i = 0;
        for (; i <= g - L; i += L) {
            FloatVector wv = FloatVector.fromMemorySegment(F, w, 4L * i, LE).add(offset);
            FloatVector.fromMemorySegment(F, src, so + 4L * i, LE).mul(inv).mul(wv)
                    .intoMemorySegment(dst, dOff + 4L * i, LE);
        }
        for (; i < g; i++) {
            dst.set(FLOAT, dOff + 4L * i, src.get(FLOAT, so + 4L * i) * inv * (offset + w.get(FLOAT, 4L * i)));
        }
    }

    // ---- gated activation

    /** {@code out = act(gate) * up}. */
    public void gated(Tensor gate, Tensor up, Tensor out, Activation act, int rows) {
        Views.checkRows(gate, rows, "gated gate");
        Views.checkRows(up, rows, "gated up");
        Views.checkRows(out, rows, "gated out");
        if (rows == 0) return;
        MemorySegment gs = Views.f32(gate);
        MemorySegment us = Views.f32(up);
        MemorySegment os = Views.f32(out);
        int cols = out.cols();
        int n = Views.chunks(rows, cols * 8L, GRAIN, pool.threads());
        pool.run(n, (c, worker) -> {
            int r1 = Views.chunkStart(c + 1, n, rows);
            for (int r = Views.chunkStart(c, n, rows); r < r1; r++) {
                long go = Views.at(gate, r, 0);
                long uo = Views.at(up, r, 0);
                long oo = Views.at(out, r, 0);
                if (act == Activation.SILU) silu(gs, go, us, uo, os, oo, cols);
                else geluTanh(gs, go, us, uo, os, oo, cols);
            }
        });
    }

    private static final float GELU_C = (float) Math.sqrt(2 / Math.PI);

    // One loop per activation, vectors kept inside: a Vector API value handed to a method C2 does
    // not inline is boxed, and that allocation per vector costs more than the math.

    /** {@code out = g / (1 + exp(-g)) * u}. */
    private static void silu(MemorySegment gs, long go, MemorySegment us, long uo, MemorySegment os, long oo, int cols) {
        int i = 0;
        for (; i <= cols - L; i += L) {
            FloatVector g = FloatVector.fromMemorySegment(F, gs, go + 4L * i, LE);
            FloatVector u = FloatVector.fromMemorySegment(F, us, uo + 4L * i, LE);
            g.div(VectorExp.exp(g.neg()).add(1f)).mul(u).intoMemorySegment(os, oo + 4L * i, LE);
        }
        for (; i < cols; i++) {
            float g = gs.get(FLOAT, go + 4L * i);
            os.set(FLOAT, oo + 4L * i, (float) (g / (1 + Math.exp(-g))) * us.get(FLOAT, uo + 4L * i));
        }
    }

    /** {@code out = 0.5 g (1 + tanh(sqrt(2/pi) (g + 0.044715 g^3))) * u}. */
    private static void geluTanh(MemorySegment gs, long go, MemorySegment us, long uo, MemorySegment os, long oo,
                                 int cols) {
        int i = 0;
        for (; i <= cols - L; i += L) {
            FloatVector g = FloatVector.fromMemorySegment(F, gs, go + 4L * i, LE);
            FloatVector u = FloatVector.fromMemorySegment(F, us, uo + 4L * i, LE);
            FloatVector inner = g.mul(g).mul(g).mul(0.044715f).add(g).mul(GELU_C);
            inner.lanewise(VectorOperators.TANH).add(1f).mul(g).mul(0.5f).mul(u).intoMemorySegment(os, oo + 4L * i, LE);
        }
        for (; i < cols; i++) {
            double g = gs.get(FLOAT, go + 4L * i);
            double a = 0.5 * g * (1 + Math.tanh(GELU_C * (g + 0.044715 * g * g * g)));
            os.set(FLOAT, oo + 4L * i, (float) a * us.get(FLOAT, uo + 4L * i));
        }
    }

    // ---- add, gather, soft-cap

    public void add(Tensor a, Tensor b, Tensor out, int rows) {
        Views.checkRows(a, rows, "add a");
        Views.checkRows(b, rows, "add b");
        Views.checkRows(out, rows, "add out");
        if (rows == 0) return;
        MemorySegment as = Views.f32(a);
        MemorySegment bs = Views.f32(b);
        MemorySegment os = Views.f32(out);
        int cols = out.cols();
        int n = Views.chunks(rows, cols, GRAIN, pool.threads());
        pool.run(n, (c, worker) -> {
            int r1 = Views.chunkStart(c + 1, n, rows);
            for (int r = Views.chunkStart(c, n, rows); r < r1; r++) {
                long ao = Views.at(a, r, 0);
                long bo = Views.at(b, r, 0);
                long oo = Views.at(out, r, 0);
                for (int i = 0; i < cols; i += L) {
                    VectorMask<Float> m = F.indexInRange(i, cols);
                    FloatVector.fromMemorySegment(F, as, ao + 4L * i, LE, m)
                            .add(FloatVector.fromMemorySegment(F, bs, bo + 4L * i, LE, m))
                            .intoMemorySegment(os, oo + 4L * i, LE, m);
                }
            }
        });
    }

    /** {@code out[i] = src[indices[i]]}; out must not overlap src. */
    public void gatherRows(Tensor src, Tensor indices, Tensor out, int rows) {
        Views.checkRows(out, rows, "gather out");
        Views.checkRows(indices, rows, "gather indices");
        MemorySegment ss = Views.f32(src);
        MemorySegment is = Views.i32(indices);
        MemorySegment os = Views.f32(out);
        for (int r = 0; r < rows; r++) {
            int from = Views.getInt(is, indices, r);
            if (from < 0 || from >= src.rows()) {
                throw new IndexOutOfBoundsException("gather row " + from + " outside " + src.rows());
            }
            MemorySegment.copy(ss, Views.at(src, from, 0), os, Views.at(out, r, 0), 4L * out.cols());
        }
    }

    /** In place {@code x = cap * tanh(x / cap)}. */
    public void softCap(Tensor x, float cap, int rows) {
        Views.checkRows(x, rows, "soft cap");
        if (rows == 0) return;
        MemorySegment xs = Views.f32(x);
        int cols = x.cols();
        float inv = 1f / cap;
        int n = Views.chunks(rows, cols * 8L, GRAIN, pool.threads());
        pool.run(n, (c, worker) -> {
            int r1 = Views.chunkStart(c + 1, n, rows);
            for (int r = Views.chunkStart(c, n, rows); r < r1; r++) {
                long xo = Views.at(x, r, 0);
                for (int i = 0; i < cols; i += L) {
                    VectorMask<Float> m = F.indexInRange(i, cols);
                    FloatVector.fromMemorySegment(F, xs, xo + 4L * i, LE, m).mul(inv)
                            .lanewise(VectorOperators.TANH).mul(cap).intoMemorySegment(xs, xo + 4L * i, LE, m);
                }
            }
        });
    }

    // ---- embedding

    /**
     * {@code out[r] = table[ids[r]] * scale} for a row-major {@code [vocab, cols]} table of
     * {@code dtype} (F32, BF16 or F16).
     */
    public void embedding(MemorySegment table, DType dtype, long vocab, Tensor ids, Tensor out, float scale,
                          int rows) {
        Views.checkRows(ids, rows, "embedding ids");
        Views.checkRows(out, rows, "embedding out");
        if (rows == 0) return;
        MemorySegment is = Views.i32(ids);
        MemorySegment os = Views.f32(out);
        int cols = out.cols();
        for (int r = 0; r < rows; r++) {
            int id = Views.getInt(is, ids, r);
            if (id < 0 || id >= vocab) {
                throw new IndexOutOfBoundsException("token id " + id + " outside vocabulary of " + vocab);
            }
        }
        int n = Views.chunks(rows, cols, GRAIN, pool.threads());
        pool.run(n, (c, worker) -> {
            int r1 = Views.chunkStart(c + 1, n, rows);
            for (int r = Views.chunkStart(c, n, rows); r < r1; r++) {
                int id = Views.getInt(is, ids, r);
                Convert.toF32(table, dtype, (long) id * cols, os, Views.at(out, r, 0), cols, scale);
            }
        });
    }
}
