package io.jsgl.backend.amx;

import io.jsgl.cpu.kernels.Elementwise;
import io.jsgl.cpu.kernels.Views;
import io.jsgl.cpu.kernels.WorkerPool;
import io.jsgl.spi.DType;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.Weight;
import io.jsgl.spi.host.HostBuffer;
import io.jsgl.spi.op.LinearArgs;
import io.jsgl.spi.op.MoeArgs;
import io.jsgl.spi.op.MoeRouting;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Mixture of experts on the backend's own matmuls ({@link Linear}: oneDNN with the weights packed
 * at load, bf16 or W8A8 int8; the Java GEMV for a row or two). The router logits are one matmul over
 * all rows; routing ({@link MoeRouting}: softmax or sigmoid scores, optional selection bias,
 * group-limited top-k, normalization, scale) runs per row in double precision; the (row, choice)
 * pairs are then bucketed by expert, and each chosen expert runs once over exactly its rows, packed
 * together: gate|up as one matmul, the gated activation, down as one matmul, so each chosen
 * expert's weights are read once per call. Its outputs are added into {@code out} with the routing
 * weights (in parallel, each output row owned by one worker). The optional shared expert runs over
 * every row the same way, times {@code sigmoid(x . g)} when it has a gate.
 */
final class Moe implements AutoCloseable {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final Linear linear;
    private final Elementwise elementwise;
    private final WorkerPool pool;

    private HostBuffer buffer;
    private long bufferFloats;
    private int[] expertOf = new int[0];
    private float[] weightOf = new float[0];
    private int[] order = new int[0];

    Moe(Linear linear, Elementwise elementwise, WorkerPool pool) {
        this.linear = linear;
        this.elementwise = elementwise;
        this.pool = pool;
    }

    void run(MoeArgs m, int rows) {
        Views.checkRows(m.x(), rows, "moe x");
        Views.checkRows(m.out(), rows, "moe out");
        if (rows == 0) return;
        if (m.x().buffer() == m.out().buffer()) {
            long xa = m.x().offset();
            long oa = m.out().offset();
            long xe = m.x().index(rows - 1, m.x().cols());
            long oe = m.out().index(rows - 1, m.out().cols());
            if (xa < oe && oa < xe) throw new IllegalArgumentException("moe out overlaps x");
        }
        int experts = m.experts();
        int h = m.x().cols();
        int inter = m.intermediate();
        int shared = m.sharedIntermediate();
        int topK = m.routing().topK();
        int wide = Math.max(inter, shared);
        // scratch: logits [rows][experts], gathered x and expert output [rows][h], gate|up [rows][2 wide],
        // activated [rows][wide], shared gate logit [rows]
        long floats = (long) rows * experts + 2L * rows * h + 3L * rows * wide + rows;
        if (buffer == null || bufferFloats < floats) {
            if (buffer != null) buffer.close();
            bufferFloats = Math.max(floats, bufferFloats * 3 / 2);
            buffer = new HostBuffer(4 * bufferFloats);
        }
        long at = 0;
        Tensor logits = new Tensor(buffer, at, rows, experts, experts, DType.F32);
        at += (long) rows * experts;
        Tensor gathered = new Tensor(buffer, at, rows, h, h, DType.F32);
        at += (long) rows * h;
        Tensor result = new Tensor(buffer, at, rows, h, h, DType.F32);
        at += (long) rows * h;
        long hiddenAt = at;
        at += 2L * rows * wide;
        long actAt = at;
        at += (long) rows * wide;
        Tensor gateLogit = new Tensor(buffer, at, rows, 1, 1, DType.F32);

        linear.run(new LinearArgs(m.x(), m.router(), null, logits), rows);
        int pairs = rows * topK;
        if (expertOf.length < pairs) {
            expertOf = new int[pairs];
            weightOf = new float[pairs];
            order = new int[pairs];
        }
        route(m, logits, rows, experts);

        // pairs bucketed by expert (counting sort, stable in row order)
        int[] count = new int[experts + 1];
        for (int i = 0; i < pairs; i++) count[expertOf[i] + 1]++;
        for (int e = 0; e < experts; e++) count[e + 1] += count[e];
        int[] fill = Arrays.copyOf(count, experts);
        for (int i = 0; i < pairs; i++) order[fill[expertOf[i]]++] = i;

        MemorySegment xs = Views.f32(m.x());
        MemorySegment os = Views.f32(m.out());
        MemorySegment bs = HostBuffer.of(buffer);
        zero(os, m.out(), rows, h);
        for (int e = 0; e < experts; e++) {
            int first = count[e];
            int n = count[e + 1] - first;
            if (n == 0) continue;
            gather(xs, m.x(), bs, gathered, first, n, topK, h);
            mlp(gathered, m.gateUp().get(e), m.down().get(e), hiddenAt, actAt, inter, result, m, n);
            scatter(bs, result, os, m.out(), first, n, topK, h);
        }
        if (m.sharedGateUp() != null) {
            mlp(m.x(), m.sharedGateUp(), m.sharedDown(), hiddenAt, actAt, shared, result, m, rows);
            MemorySegment gl = null;
            if (m.sharedGate() != null) {
                linear.run(new LinearArgs(m.x(), m.sharedGate(), null, gateLogit), rows);
                gl = bs;
            }
            for (int r = 0; r < rows; r++) {
                float g = 1f;
                if (gl != null) g = (float) (1 / (1 + Math.exp(-(double) bs.get(ValueLayout.JAVA_FLOAT, Views.at(gateLogit, r, 0)))));
                addScaled(bs, Views.at(result, r, 0), os, Views.at(m.out(), r, 0), g, h);
            }
        }
    }

    /** {@code result[0, n) = down(act(gate x) * up x)}. */
    private void mlp(Tensor x, Weight gateUp, Weight down, long hiddenAt, long actAt, int width, Tensor result, MoeArgs m,
                     int n) {
        Tensor hid = new Tensor(buffer, hiddenAt, n, 2 * width, 2 * width, DType.F32);
        Tensor act = new Tensor(buffer, actAt, n, width, width, DType.F32);
        linear.run(new LinearArgs(x, gateUp, null, hid), n);
        elementwise.gated(hid.columns(0, width), hid.columns(width, width), act, m.activation(), n);
        linear.run(new LinearArgs(act, down, null, result), n);
    }

    /** Rows of the pairs {@code order[first, first + n)} of x, packed into {@code gathered}. */
    private void gather(MemorySegment xs, Tensor x, MemorySegment bs, Tensor gathered, int first, int n, int topK, int h) {
        int chunks = Views.chunks(n, h, 32_768, pool.threads());
        pool.run(chunks, (c, worker) -> {
            int j1 = Views.chunkStart(c + 1, chunks, n);
            for (int j = Views.chunkStart(c, chunks, n); j < j1; j++) {
                int row = order[first + j] / topK;
                MemorySegment.copy(xs, Views.at(x, row, 0), bs, Views.at(gathered, j, 0), 4L * h);
            }
        });
    }

    /**
     * {@code out[row] += w * result[j]} for the expert's pairs. One expert appears at most once per row
     * (top-k picks distinct experts), so the rows written here are distinct and chunks never collide.
     */
    private void scatter(MemorySegment bs, Tensor result, MemorySegment os, Tensor out, int first, int n, int topK, int h) {
        int chunks = Views.chunks(n, h, 32_768, pool.threads());
        pool.run(chunks, (c, worker) -> {
            int j1 = Views.chunkStart(c + 1, chunks, n);
            for (int j = Views.chunkStart(c, chunks, n); j < j1; j++) {
                int pair = order[first + j];
                addScaled(bs, Views.at(result, j, 0), os, Views.at(out, pair / topK, 0), weightOf[pair], h);
            }
        });
    }

    private static void zero(MemorySegment os, Tensor out, int rows, int h) {
        for (int r = 0; r < rows; r++) os.asSlice(Views.at(out, r, 0), 4L * h).fill((byte) 0);
    }

    /** {@code dst += w * src} over n floats. */
    private static void addScaled(MemorySegment src, long so, MemorySegment dst, long d, float w, int n) {
        for (int c = 0; c < n; c += F.length()) {
            VectorMask<Float> mk = F.indexInRange(c, n);
            FloatVector.fromMemorySegment(F, src, so + 4L * c, LE, mk).mul(w)
                    .add(FloatVector.fromMemorySegment(F, dst, d + 4L * c, LE, mk))
                    .intoMemorySegment(dst, d + 4L * c, LE, mk);
        }
    }

    /** Fills {@link #expertOf} and {@link #weightOf} for pairs {@code r * topK + t}. */
    private void route(MoeArgs m, Tensor logits, int rows, int experts) {
        MoeRouting rt = m.routing();
        MemorySegment ls = HostBuffer.of(logits.buffer());
        MemorySegment bias = m.scoreBias() == null ? null : Linear.vector(m.scoreBias());
        double[] s = new double[experts];
        double[] sel = new double[experts];
        boolean[] ok = new boolean[experts];
        int groups = rt.groups();
        int per = experts / groups;
        double[] groupScore = new double[groups];
        int topK = rt.topK();
        int[] picked = new int[topK];
        for (int r = 0; r < rows; r++) {
            for (int e = 0; e < experts; e++) s[e] = ls.get(ValueLayout.JAVA_FLOAT, Views.at(logits, r, e));
            if (rt.scoring() == MoeRouting.Scoring.SOFTMAX) {
                double mx = Double.NEGATIVE_INFINITY;
                for (double v : s) mx = Math.max(mx, v);
                double sum = 0;
                for (int e = 0; e < experts; e++) sum += s[e] = Math.exp(s[e] - mx);
                for (int e = 0; e < experts; e++) s[e] /= sum;
            } else {
                for (int e = 0; e < experts; e++) s[e] = 1 / (1 + Math.exp(-s[e]));
            }
            for (int e = 0; e < experts; e++) {
                sel[e] = s[e] + (bias == null ? 0 : bias.getAtIndex(ValueLayout.JAVA_FLOAT, e));
            }
            Arrays.fill(ok, true);
            if (groups > 1) {
                for (int g = 0; g < groups; g++) groupScore[g] = sumOfLargest(sel, g * per, per, rt.groupScoreTopN());
                boolean[] keepGroup = new boolean[groups];
                for (int t = 0; t < rt.topkGroups(); t++) {
                    int best = -1;
                    for (int g = 0; g < groups; g++) {
                        if (!keepGroup[g] && (best < 0 || groupScore[g] > groupScore[best])) best = g;
                    }
                    keepGroup[best] = true;
                }
                for (int e = 0; e < experts; e++) ok[e] = keepGroup[e / per];
            }
            double wsum = 0;
            for (int t = 0; t < topK; t++) {
                int best = -1;
                for (int e = 0; e < experts; e++) {
                    if (ok[e] && (best < 0 || sel[e] > sel[best])) best = e;
                }
                if (best < 0) throw new IllegalStateException("moe: fewer than " + topK + " eligible experts");
                ok[best] = false;
                picked[t] = best;
                wsum += s[best];
            }
            for (int t = 0; t < topK; t++) {
                double w = s[picked[t]];
                if (rt.normTopK()) w /= wsum;
                expertOf[r * topK + t] = picked[t];
                weightOf[r * topK + t] = (float) (w * rt.routedScale());
            }
        }
    }

    /** Sum of the {@code k} largest of {@code v[from, from + n)}. */
    private static double sumOfLargest(double[] v, int from, int n, int k) {
        double[] c = Arrays.copyOfRange(v, from, from + n);
        Arrays.sort(c);
        double sum = 0;
        for (int i = 0; i < Math.min(k, n); i++) sum += c[n - 1 - i];
        return sum;
    }

    @Override
    public void close() {
        if (buffer != null) buffer.close();
        buffer = null;
    }
}
