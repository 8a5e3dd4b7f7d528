package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.ParallelTask;
import io.jsgl.cpu.kernels.VectorExp;
import io.jsgl.cpu.kernels.Views;
import io.jsgl.cpu.kernels.WorkerPool;

import io.jsgl.spi.Tensor;
import io.jsgl.spi.op.Activation;
import io.jsgl.spi.op.GatedActivationArgs;
import io.jsgl.spi.op.SoftCapArgs;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise nonlinearities: the gated MLP activation {@code out = act(gate) * up} and
 * Gemma's soft-capping {@code x = cap * tanh(x / cap)}. exp and tanh are the Vector API's
 * lane-wise operators, which HotSpot maps to its SVML-derived stubs (about 1 ulp in f32).
 */
final class Activations implements ParallelTask {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** sqrt(2 / pi), the constant of the tanh approximation of GELU. */
    private static final float GELU_K = (float) Math.sqrt(2 / Math.PI);

    private final WorkerPool pool;

    private boolean softCap;
    private Tensor gate;
    private Tensor up;
    private Tensor out;
    private boolean silu;
    private SoftCapArgs sc;
    private MemorySegment gs;
    private MemorySegment us;
    private MemorySegment os;
    private int rows;
    private int chunks;

    Activations(WorkerPool pool) {
        this.pool = pool;
    }

    void gated(GatedActivationArgs g, int rows) {
        gated(g.gate(), g.up(), g.out(), g.activation(), rows);
    }

    void gated(Tensor gate, Tensor up, Tensor out, Activation activation, int rows) {
        Views.checkRows(out, rows, "gatedActivation out");
        this.softCap = false;
        this.gate = gate;
        this.up = up;
        this.out = out;
        this.silu = activation == Activation.SILU;
        this.gs = Views.f32(gate);
        this.us = Views.f32(up);
        this.os = Views.f32(out);
        launch(rows, out.cols());
        this.gate = this.up = this.out = null;
        this.gs = this.us = this.os = null;
    }

    void softCap(SoftCapArgs sc, int rows) {
        Views.checkRows(sc.x(), rows, "softCap x");
        this.softCap = true;
        this.sc = sc;
        this.os = Views.f32(sc.x());
        launch(rows, sc.x().cols());
        this.sc = null;
        this.os = null;
    }

    private void launch(int rows, int cols) {
        this.rows = rows;
        this.chunks = Views.chunks(rows, cols, 16_384, pool.threads());
        pool.run(chunks, this);
    }

    @Override
    public void run(int chunk, int worker) {
        int to = Views.chunkStart(chunk + 1, chunks, rows);
        for (int r = Views.chunkStart(chunk, chunks, rows); r < to; r++) {
            if (softCap) capRow(r);
            else gatedRow(r);
        }
    }

    private void gatedRow(int r) {
        int n = out.cols();
        long go = Views.at(gate, r, 0);
        long uo = Views.at(up, r, 0);
        long oo = Views.at(out, r, 0);
        boolean silu = this.silu;
        for (int c = 0; c < n; c += F.length()) {
            VectorMask<Float> m = F.indexInRange(c, n);
            FloatVector x = FloatVector.fromMemorySegment(F, gs, go + 4L * c, LE, m);
            FloatVector u = FloatVector.fromMemorySegment(F, us, uo + 4L * c, LE, m);
            FloatVector act = silu ? silu(x) : geluTanh(x);
            act.mul(u).intoMemorySegment(os, oo + 4L * c, LE, m);
        }
    }

    /** x * sigmoid(x) = x / (1 + e^-x). */
    private static FloatVector silu(FloatVector x) {
        return x.div(VectorExp.exp(x.neg()).add(1f));
    }

    /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    private static FloatVector geluTanh(FloatVector x) {
        FloatVector inner = x.mul(x).mul(0.044715f).mul(x).add(x).mul(GELU_K);
        return x.mul(0.5f).mul(inner.lanewise(VectorOperators.TANH).add(1f));
    }

    private void capRow(int r) {
        Tensor x = sc.x();
        int n = x.cols();
        long o = Views.at(x, r, 0);
        float cap = sc.cap();
        for (int c = 0; c < n; c += F.length()) {
            VectorMask<Float> m = F.indexInRange(c, n);
            FloatVector v = FloatVector.fromMemorySegment(F, os, o + 4L * c, LE, m);
            v.div(cap).lanewise(VectorOperators.TANH).mul(cap).intoMemorySegment(os, o + 4L * c, LE, m);
        }
    }
}
