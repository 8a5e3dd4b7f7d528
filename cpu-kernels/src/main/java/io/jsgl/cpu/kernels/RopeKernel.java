package io.jsgl.cpu.kernels;

import io.jsgl.spi.Tensor;
import io.jsgl.spi.rope.RopeConfig;
import io.jsgl.spi.rope.RopeStyle;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.IdentityHashMap;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary embeddings in place. cos and sin of every (position, pair) are computed once in double,
 * exactly as the reference does, times the config's attention scale, and kept per
 * {@link RopeConfig} in a table that grows (doubling) with the largest position seen; a step then
 * only multiplies.
 */
public final class RopeKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final WorkerPool pool;
    private final Map<RopeConfig, Table> tables = new IdentityHashMap<>();

    private static final class Table {
        final RopeConfig rope;
        final int half;
        int capacity;
        float[] cos = new float[0];
        float[] sin = new float[0];

        Table(RopeConfig rope) {
            this.rope = rope;
            this.half = rope.rotaryDim() / 2;
        }

        void ensure(int maxPos) {
            if (maxPos < capacity) return;
            int cap = Math.max(1024, capacity);
            while (cap <= maxPos) cap *= 2;
            float[] c = new float[cap * half];
            float[] s = new float[cap * half];
            System.arraycopy(cos, 0, c, 0, cos.length);
            System.arraycopy(sin, 0, s, 0, sin.length);
            double scale = rope.attentionScale();
            for (int p = capacity; p < cap; p++) {
                for (int i = 0; i < half; i++) {
                    double angle = p * rope.invFreq()[i];
                    c[p * half + i] = (float) (Math.cos(angle) * scale);
                    s[p * half + i] = (float) (Math.sin(angle) * scale);
                }
            }
            cos = c;
            sin = s;
            capacity = cap;
        }
    }

    public RopeKernel(WorkerPool pool) {
        this.pool = pool;
    }

    /** Rotates the first {@code rotaryDim} channels of each head of q (and k, if not null) at the I32 positions. */
    public void apply(Tensor q, Tensor k, Tensor positions, int qHeads, int kHeads, int headDim, RopeConfig rope,
                      int rows) {
        Views.checkRows(q, rows, "rope q");
        Views.checkRows(positions, rows, "rope positions");
        if (k != null) Views.checkRows(k, rows, "rope k");
        if (rows == 0) return;
        MemorySegment ps = Views.i32(positions);
        int maxPos = 0;
        for (int r = 0; r < rows; r++) {
            int p = Views.getInt(ps, positions, r);
            if (p < 0) throw new IllegalArgumentException("negative rope position " + p);
            maxPos = Math.max(maxPos, p);
        }
        Table t = tables.computeIfAbsent(rope, Table::new);
        t.ensure(maxPos);
        MemorySegment qs = Views.f32(q);
        MemorySegment ks = k == null ? null : Views.f32(k);
        int work = (qHeads + (k == null ? 0 : kHeads)) * rope.rotaryDim();
        int n = Views.chunks(rows, work, 8192, pool.threads());
        pool.run(n, (c, worker) -> {
            int r1 = Views.chunkStart(c + 1, n, rows);
            for (int r = Views.chunkStart(c, n, rows); r < r1; r++) {
                int pos = Views.getInt(ps, positions, r);
                rotate(t, qs, Views.at(q, r, 0), qHeads, headDim, pos);
                if (ks != null) rotate(t, ks, Views.at(k, r, 0), kHeads, headDim, pos);
            }
        });
    }

    /*
     * The two styles are separate methods on purpose: as one method the body is too large for C1
     * ("out of virtual registers"), and a method C1 gives up on never reaches C2 either, leaving
     * its Vector API calls uncompiled.
     */
    private static void rotate(Table t, MemorySegment seg, long rowByte, int heads, int headDim, int pos) {
        if (t.rope.style() == RopeStyle.NEOX) rotateHalves(t, seg, rowByte, heads, headDim, pos);
        else rotatePairs(t, seg, rowByte, heads, headDim, pos);
    }

    /** NeoX style: channel i pairs with channel i + half. */
    private static void rotateHalves(Table t, MemorySegment seg, long rowByte, int heads, int headDim, int pos) {
        int half = t.half;
        float[] cos = t.cos;
        float[] sin = t.sin;
        int tb = pos * half;
        for (int h = 0; h < heads; h++) {
            long b0 = rowByte + 4L * h * headDim;
            long b1 = b0 + 4L * half;
            for (int i = 0; i < half; i += F.length()) {
                VectorMask<Float> m = F.indexInRange(i, half);
                FloatVector x0 = FloatVector.fromMemorySegment(F, seg, b0 + 4L * i, LE, m);
                FloatVector x1 = FloatVector.fromMemorySegment(F, seg, b1 + 4L * i, LE, m);
                FloatVector cv = FloatVector.fromArray(F, cos, tb + i, m);
                FloatVector sv = FloatVector.fromArray(F, sin, tb + i, m);
                x0.mul(cv).sub(x1.mul(sv)).intoMemorySegment(seg, b0 + 4L * i, LE, m);
                x1.mul(cv).add(x0.mul(sv)).intoMemorySegment(seg, b1 + 4L * i, LE, m);
            }
        }
    }

    /** Interleaved (GPT-J) style: channel 2i pairs with channel 2i + 1. */
    private static void rotatePairs(Table t, MemorySegment seg, long rowByte, int heads, int headDim, int pos) {
        int half = t.half;
        float[] cos = t.cos;
        float[] sin = t.sin;
        int tb = pos * half;
        for (int h = 0; h < heads; h++) {
            long b = rowByte + 4L * h * headDim;
            for (int i = 0; i < half; i++) {
                float x0 = seg.get(FLOAT, b + 8L * i);
                float x1 = seg.get(FLOAT, b + 8L * i + 4);
                float cv = cos[tb + i];
                float sv = sin[tb + i];
                seg.set(FLOAT, b + 8L * i, x0 * cv - x1 * sv);
                seg.set(FLOAT, b + 8L * i + 4, x1 * cv + x0 * sv);
            }
        }
    }
}
