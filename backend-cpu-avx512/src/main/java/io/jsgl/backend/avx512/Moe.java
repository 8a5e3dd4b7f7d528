package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.Views;
import io.jsgl.cpu.kernels.WorkerPool;

import io.jsgl.spi.DType;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.Weight;
import io.jsgl.spi.host.HostBuffer;
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
 * Mixture of experts, composed from the other kernels: router logits by GEMV/GEMM, routing per
 * row on the scalar side (a few dozen experts), then the rows grouped by expert so that each
 * chosen expert's weights stream once per call, its MLP run as GEMV (a decode step picks each
 * expert for a row or two) or GEMM over just its rows, and the results added into {@code out}
 * scaled by the routing weights. Routing follows {@link MoeRouting} step by step in double, as the
 * reference does, so both pick the same experts unless two selection scores tie to within f32
 * rounding of the router logits.
 *
 * <p>Scratch tensors grow with the largest batch seen and are then reused.
 */
final class Moe {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final Linear linear;
    private final Activations activations;

    // scratch, sized by ensure()
    private HostBuffer buffer;
    private int capRows = -1;
    private int capHidden;
    private int capExperts;
    private int capInter;
    private int capShared;
    private Tensor logits;
    private Tensor gathered;
    private Tensor hidden;
    private Tensor activated;
    private Tensor result;
    private Tensor sharedHidden;
    private Tensor sharedActivated;
    private Tensor sharedGateLogit;

    private int[] chosen = new int[0];
    private double[] weights = new double[0];
    private int[] pairs = new int[0];
    private int[] count = new int[0];
    private int[] start = new int[0];
    private double[] scores = new double[0];
    private double[] selection = new double[0];
    private boolean[] eligible = new boolean[0];
    private boolean[] taken = new boolean[0];
    private double[] groupScore = new double[0];
    private double[] groupMembers = new double[0];
    private int[] top = new int[0];

    Moe(Linear linear, Activations activations, WorkerPool pool) {
        this.linear = linear;
        this.activations = activations;
    }

    void run(MoeArgs m, int rows) {
        Views.checkRows(m.x(), rows, "moe x");
        Views.checkRows(m.out(), rows, "moe out");
        if (rows == 0) return;
        int experts = m.experts();
        int h = m.x().cols();
        int inter = m.intermediate();
        ensure(rows, h, experts, inter, m.sharedIntermediate(), m.routing());
        MoeRouting rt = m.routing();
        int topK = rt.topK();

        linear.run(m.x(), Tensors.matrix(m.router()), null, logits, rows);
        MemorySegment ls = HostBuffer.of(logits.buffer());
        MemorySegment bias = Tensors.vector(m.scoreBias());
        for (int r = 0; r < rows; r++) {
            for (int e = 0; e < experts; e++) {
                scores[e] = ls.get(ValueLayout.JAVA_FLOAT, Views.at(logits, r, e));
            }
            route(rt, experts, bias, r * topK);
        }

        // counting sort of the (row, choice) pairs by expert
        Arrays.fill(count, 0, experts, 0);
        for (int i = 0; i < rows * topK; i++) count[chosen[i]]++;
        for (int e = 0, at = 0; e < experts; e++) {
            start[e] = at;
            at += count[e];
        }
        for (int i = 0; i < rows * topK; i++) pairs[start[chosen[i]]++] = i;
        for (int e = 0; e < experts; e++) start[e] -= count[e];

        MemorySegment xs = Views.f32(m.x());
        MemorySegment os = Views.f32(m.out());
        MemorySegment gs = HostBuffer.of(gathered.buffer());
        MemorySegment ys = HostBuffer.of(result.buffer());
        for (int r = 0; r < rows; r++) os.asSlice(Views.at(m.out(), r, 0), 4L * h).fill((byte) 0);
        for (int e = 0; e < experts; e++) {
            int n = count[e];
            if (n == 0) continue;
            for (int j = 0; j < n; j++) {
                int row = pairs[start[e] + j] / topK;
                MemorySegment.copy(xs, Views.at(m.x(), row, 0), gs, Views.at(gathered, j, 0), 4L * h);
            }
            mlp(gathered, m.gateUp().get(e), m.down().get(e), hidden, activated, inter, m, n);
            for (int j = 0; j < n; j++) {
                int pair = pairs[start[e] + j];
                addScaled(ys, Views.at(result, j, 0), os, Views.at(m.out(), pair / topK, 0), (float) weights[pair], h);
            }
        }

        if (m.sharedGateUp() != null) {
            mlp(m.x(), m.sharedGateUp(), m.sharedDown(), sharedHidden, sharedActivated, m.sharedIntermediate(), m, rows);
            MemorySegment gl = null;
            if (m.sharedGate() != null) {
                linear.run(m.x(), Tensors.matrix(m.sharedGate()), null, sharedGateLogit, rows);
                gl = HostBuffer.of(sharedGateLogit.buffer());
            }
            for (int r = 0; r < rows; r++) {
                float g = 1f;
                if (gl != null) {
                    double dot = gl.get(ValueLayout.JAVA_FLOAT, Views.at(sharedGateLogit, r, 0));
                    g = (float) (1 / (1 + Math.exp(-dot)));
                }
                addScaled(ys, Views.at(result, r, 0), os, Views.at(m.out(), r, 0), g, h);
            }
        }
    }

    /** {@code result = down(act(gate x) * up x)} over the first n rows of x. */
    private void mlp(Tensor x, Weight gateUp, Weight down, Tensor hid, Tensor act, int inter, MoeArgs m, int n) {
        linear.run(x, Tensors.matrix(gateUp), null, hid, n);
        activations.gated(hid.columns(0, inter), hid.columns(inter, inter), act, m.activation(), n);
        linear.run(act, Tensors.matrix(down), null, result, n);
    }

    /** {@code dst += w * src} over n floats. */
    private static void addScaled(MemorySegment src, long so, MemorySegment dst, long d, float w, int n) {
        FloatVector wv = FloatVector.broadcast(F, w);
        for (int c = 0; c < n; c += F.length()) {
            VectorMask<Float> m = F.indexInRange(c, n);
            FloatVector.fromMemorySegment(F, src, so + 4L * c, LE, m)
                    .fma(wv, FloatVector.fromMemorySegment(F, dst, d + 4L * c, LE, m))
                    .intoMemorySegment(dst, d + 4L * c, LE, m);
        }
    }

    /** Chooses topK experts for one row from the logits in {@link #scores}, writing chosen/weights at {@code at}. */
    private void route(MoeRouting rt, int n, MemorySegment bias, int at) {
        double[] s = scores;
        if (rt.scoring() == MoeRouting.Scoring.SOFTMAX) {
            double max = Double.NEGATIVE_INFINITY;
            for (int e = 0; e < n; e++) max = Math.max(max, s[e]);
            double sum = 0;
            for (int e = 0; e < n; e++) {
                s[e] = Math.exp(s[e] - max);
                sum += s[e];
            }
            for (int e = 0; e < n; e++) s[e] /= sum;
        } else {
            for (int e = 0; e < n; e++) s[e] = 1 / (1 + Math.exp(-s[e]));
        }
        double[] c = selection;
        for (int e = 0; e < n; e++) c[e] = s[e] + (bias == null ? 0 : bias.getAtIndex(ValueLayout.JAVA_FLOAT, e));
        Arrays.fill(eligible, 0, n, true);
        if (rt.groups() > 1) {
            int per = n / rt.groups();
            for (int g = 0; g < rt.groups(); g++) {
                System.arraycopy(c, g * per, groupMembers, 0, per);
                int k = topK(groupMembers, per, null, rt.groupScoreTopN());
                double sum = 0;
                for (int t = 0; t < k; t++) sum += groupMembers[top[t]];
                groupScore[g] = sum;
            }
            Arrays.fill(eligible, 0, n, false);
            int k = topK(groupScore, rt.groups(), null, rt.topkGroups());
            for (int t = 0; t < k; t++) Arrays.fill(eligible, top[t] * per, (top[t] + 1) * per, true);
        }
        int k = topK(c, n, eligible, rt.topK());
        double sum = 0;
        for (int t = 0; t < k; t++) {
            chosen[at + t] = top[t];
            weights[at + t] = s[top[t]];
            sum += s[top[t]];
        }
        for (int t = 0; t < k; t++) {
            if (rt.normTopK()) weights[at + t] /= sum;
            weights[at + t] *= rt.routedScale();
        }
    }

    /** Indices of the k largest of {@code v[0, n)} among the allowed, largest first, ties to the lower index, in {@link #top}. */
    private int topK(double[] v, int n, boolean[] allowed, int k) {
        Arrays.fill(taken, 0, n, false);
        for (int t = 0; t < k; t++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (taken[i] || (allowed != null && !allowed[i])) continue;
                if (best < 0 || v[i] > v[best]) best = i;
            }
            if (best < 0) throw new IllegalStateException("fewer than " + k + " experts to choose from");
            taken[best] = true;
            top[t] = best;
        }
        return k;
    }

    private void ensure(int rows, int h, int experts, int inter, int shared, MoeRouting rt) {
        if (rows > capRows || h != capHidden || experts != capExperts || inter != capInter || shared != capShared) {
            int cap = Math.max(rows, capRows);
            long floats = (long) cap * experts      // logits
                    + 3L * cap * h                    // gathered, result, and slack for the shared gate
                    + 3L * cap * Math.max(inter, shared); // gate|up and activated
            if (buffer != null) buffer.close();
            buffer = new HostBuffer(4 * floats);
            long at = 0;
            logits = new Tensor(buffer, at, cap, experts, experts, DType.F32);
            at += (long) cap * experts;
            gathered = new Tensor(buffer, at, cap, h, h, DType.F32);
            at += (long) cap * h;
            result = new Tensor(buffer, at, cap, h, h, DType.F32);
            at += (long) cap * h;
            sharedGateLogit = new Tensor(buffer, at, cap, 1, 1, DType.F32);
            at += (long) cap * h;
            int wide = Math.max(inter, shared);
            hidden = new Tensor(buffer, at, cap, 2 * inter, 2 * inter, DType.F32);
            sharedHidden = new Tensor(buffer, at, cap, 2 * Math.max(shared, 1), 2 * Math.max(shared, 1), DType.F32);
            at += 2L * cap * wide;
            activated = new Tensor(buffer, at, cap, inter, inter, DType.F32);
            sharedActivated = new Tensor(buffer, at, cap, Math.max(shared, 1), Math.max(shared, 1), DType.F32);
            capRows = cap;
            capHidden = h;
            capExperts = experts;
            capInter = inter;
            capShared = shared;
        }
        int pairsNeeded = rows * rt.topK();
        if (chosen.length < pairsNeeded) {
            chosen = new int[Math.max(pairsNeeded, 2 * chosen.length)];
            weights = new double[chosen.length];
            pairs = new int[chosen.length];
        }
        if (count.length < experts) {
            count = new int[experts];
            start = new int[experts];
            scores = new double[experts];
            selection = new double[experts];
            eligible = new boolean[experts];
            taken = new boolean[experts];
            groupScore = new double[experts];
            groupMembers = new double[experts];
            top = new int[experts];
        }
    }

    void close() {
        if (buffer != null) buffer.close();
    }
}
