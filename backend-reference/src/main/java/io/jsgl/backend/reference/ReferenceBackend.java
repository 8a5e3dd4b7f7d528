package io.jsgl.backend.reference;

import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.Backend;
import io.jsgl.spi.BackendDescriptor;
import io.jsgl.spi.DeviceBuffer;
import io.jsgl.spi.KvCache;
import io.jsgl.spi.KvCacheSpec;
import io.jsgl.spi.MemoryInfo;
import io.jsgl.spi.PreparedBatch;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.host.HostBuffer;
import io.jsgl.spi.op.AddArgs;
import io.jsgl.spi.op.AttentionArgs;
import io.jsgl.spi.op.EmbeddingArgs;
import io.jsgl.spi.op.GatedActivationArgs;
import io.jsgl.spi.op.Activation;
import io.jsgl.spi.op.ArgmaxArgs;
import io.jsgl.spi.op.GatherRowsArgs;
import io.jsgl.spi.op.LinearArgs;
import io.jsgl.spi.op.MlaArgs;
import io.jsgl.spi.op.MoeArgs;
import io.jsgl.spi.op.RmsNormArgs;
import io.jsgl.spi.op.RopeArgs;
import io.jsgl.spi.op.SoftCapArgs;
import java.lang.foreign.MemorySegment;

/**
 * The oracle: every op written as the plain math, one element at a time, accumulating in double.
 * Single-threaded and slow on purpose; every other backend is compared against it.
 */
public final class ReferenceBackend implements Backend {
    private final BackendDescriptor descriptor;

    ReferenceBackend(BackendDescriptor descriptor) {
        this.descriptor = descriptor;
    }

    @Override public BackendDescriptor descriptor() { return descriptor; }
    @Override public int threads() { return 1; }

    @Override
    public DeviceBuffer allocate(long bytes) {
        return new HostBuffer(bytes);
    }

    @Override
    public void upload(MemorySegment src, DeviceBuffer dst, long dstByteOffset) {
        HostBuffer.of(dst).asSlice(dstByteOffset, src.byteSize()).copyFrom(src);
    }

    @Override
    public void download(DeviceBuffer src, long srcByteOffset, MemorySegment dst) {
        dst.copyFrom(HostBuffer.of(src).asSlice(srcByteOffset, dst.byteSize()));
    }

    @Override
    public Weight loadWeight(WeightSpec spec) {
        return new HostWeight(spec);
    }

    @Override
    public KvCache allocateKvCache(KvCacheSpec spec) {
        return new ReferenceKvCache(spec);
    }

    @Override
    public MemoryInfo memoryInfo() {
        Runtime rt = Runtime.getRuntime();
        return new MemoryInfo(rt.maxMemory(), rt.maxMemory() - (rt.totalMemory() - rt.freeMemory()));
    }

    @Override public void synchronize() {}

    @Override
    public void embedding(EmbeddingArgs a, int rows) {
        HostWeight table = (HostWeight) a.table();
        for (int r = 0; r < rows; r++) {
            int id = Views.getInt(a.ids(), r);
            if (id < 0 || id >= table.rows()) {
                throw new IndexOutOfBoundsException("token id " + id + " outside vocabulary of " + table.rows());
            }
            for (int c = 0; c < a.out().cols(); c++) {
                Views.set(a.out(), r, c, table.get(id, c) * a.scale());
            }
        }
    }

    @Override
    public void linear(LinearArgs a, int rows) {
        HostWeight w = (HostWeight) a.weight();
        HostWeight bias = (HostWeight) a.bias();
        int in = a.x().cols();
        for (int r = 0; r < rows; r++) {
            double[] x = Views.row(a.x(), r);
            for (int o = 0; o < a.out().cols(); o++) {
                double sum = bias == null ? 0 : bias.get(0, o);
                for (int i = 0; i < in; i++) sum += x[i] * w.get(o, i);
                Views.set(a.out(), r, o, sum);
            }
        }
    }

    @Override
    public void rmsNorm(RmsNormArgs a, int rows) {
        HostWeight w = (HostWeight) a.weight();
        int g = a.groupSize();
        for (int r = 0; r < rows; r++) {
            double[] x = Views.row(a.x(), r);
            if (a.residual() != null) {
                for (int c = 0; c < x.length; c++) {
                    x[c] += Views.get(a.residual(), r, c);
                    Views.set(a.residual(), r, c, x[c]);
                }
                // the residual stream is stored in f32: normalize exactly what was stored
                for (int c = 0; c < x.length; c++) x[c] = Views.get(a.residual(), r, c);
            }
            for (int start = 0; start < x.length; start += g) {
                double ss = 0;
                for (int c = 0; c < g; c++) ss += x[start + c] * x[start + c];
                double inv = 1.0 / Math.sqrt(ss / g + a.eps());
                for (int c = 0; c < g; c++) {
                    Views.set(a.out(), r, start + c, x[start + c] * inv * (a.weightOffset() + w.get(0, c)));
                }
            }
        }
    }

    @Override
    public void rope(RopeArgs a, int rows) {
        for (int r = 0; r < rows; r++) {
            int pos = Views.getInt(a.positions(), r);
            rotate(a, a.q(), a.qHeads(), r, pos);
            if (a.k() != null) rotate(a, a.k(), a.kHeads(), r, pos);
        }
    }

    private static void rotate(RopeArgs a, io.jsgl.spi.Tensor t, int heads, int row, int pos) {
        var rope = a.rope();
        int half = rope.rotaryDim() / 2;
        for (int h = 0; h < heads; h++) {
            int base = h * a.headDim();
            for (int i = 0; i < half; i++) {
                double angle = pos * rope.invFreq()[i];
                double cos = Math.cos(angle) * rope.attentionScale();
                double sin = Math.sin(angle) * rope.attentionScale();
                int c0;
                int c1;
                switch (rope.style()) {
                    case NEOX -> { c0 = base + i; c1 = base + i + half; }
                    case INTERLEAVED -> { c0 = base + 2 * i; c1 = base + 2 * i + 1; }
                    default -> throw new IllegalStateException();
                }
                double x0 = Views.get(t, row, c0);
                double x1 = Views.get(t, row, c1);
                Views.set(t, row, c0, x0 * cos - x1 * sin);
                Views.set(t, row, c1, x1 * cos + x0 * sin);
            }
        }
    }

    @Override
    public void gatedActivation(GatedActivationArgs a, int rows) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < a.out().cols(); c++) {
                double act = activate(a.activation(), Views.get(a.gate(), r, c));
                Views.set(a.out(), r, c, act * Views.get(a.up(), r, c));
            }
        }
    }

    static double activate(Activation activation, double g) {
        return switch (activation) {
            case SILU -> g / (1 + Math.exp(-g));
            case GELU_TANH -> 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g)));
        };
    }

    @Override
    public void moe(MoeArgs a, int rows) {
        ReferenceMoe.run(a, rows);
    }

    @Override
    public void mlaAttention(MlaArgs a, PreparedBatch prepared) {
        ReferenceMla.run(a, prepared);
    }

    @Override
    public void attention(AttentionArgs a, PreparedBatch prepared) {
        AttentionBatch b = prepared.layout();
        ReferenceKvCache cache = (ReferenceKvCache) a.cache();
        double[] kc = cache.k[a.layer()];
        double[] vc = cache.v[a.layer()];
        int hd = a.headDim();
        int vd = a.vHeadDim();
        int kvh = a.kvHeads();
        for (int r = 0; r < b.rows(); r++) {
            int slot = b.newSlots()[r];
            for (int c = 0; c < kvh * hd; c++) kc[slot * kvh * hd + c] = Views.get(a.k(), r, c);
            for (int c = 0; c < kvh * vd; c++) vc[slot * kvh * vd + c] = Views.get(a.v(), r, c);
        }
        int group = a.heads() / kvh;
        for (int s = 0; s < b.sequences(); s++) {
            for (int i = 0; i < b.qLen()[s]; i++) {
                int row = b.qStart()[s] + i;
                int pos = b.position(s, i);
                int first = a.slidingWindow() > 0 ? Math.max(0, pos - a.slidingWindow() + 1) : 0;
                for (int h = 0; h < a.heads(); h++) {
                    int kvHead = h / group;
                    double[] scores = new double[pos + 1 - first];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = first; j <= pos; j++) {
                        int kvSlot = b.slotTable()[b.slotStart()[s] + j];
                        double dot = 0;
                        for (int d = 0; d < hd; d++) {
                            dot += Views.get(a.q(), row, h * hd + d) * kc[(kvSlot * kvh + kvHead) * hd + d];
                        }
                        double score = dot * a.scale();
                        if (a.softCap() > 0) score = a.softCap() * Math.tanh(score / a.softCap());
                        scores[j - first] = score;
                        max = Math.max(max, score);
                    }
                    double denom = 0;
                    for (int j = 0; j < scores.length; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        denom += scores[j];
                    }
                    for (int d = 0; d < vd; d++) {
                        double acc = 0;
                        for (int j = first; j <= pos; j++) {
                            int kvSlot = b.slotTable()[b.slotStart()[s] + j];
                            acc += scores[j - first] * vc[(kvSlot * kvh + kvHead) * vd + d];
                        }
                        Views.set(a.out(), row, h * vd + d, acc / denom);
                    }
                }
            }
        }
    }

    @Override
    public void add(AddArgs a, int rows) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < a.out().cols(); c++) {
                Views.set(a.out(), r, c, Views.get(a.a(), r, c) + Views.get(a.b(), r, c));
            }
        }
    }

    @Override
    public void gatherRows(GatherRowsArgs a, int rows) {
        for (int r = 0; r < rows; r++) {
            int src = Views.getInt(a.indices(), r);
            for (int c = 0; c < a.out().cols(); c++) Views.set(a.out(), r, c, Views.get(a.src(), src, c));
        }
    }

    @Override
    public void softCap(SoftCapArgs a, int rows) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < a.x().cols(); c++) {
                Views.set(a.x(), r, c, a.cap() * Math.tanh(Views.get(a.x(), r, c) / a.cap()));
            }
        }
    }

    @Override
    public void argmax(ArgmaxArgs a, int rows) {
        for (int r = 0; r < rows; r++) {
            int best = 0;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < a.x().cols(); c++) {
                double v = Views.get(a.x(), r, c);
                if (v > max) { // strict: the lowest index of equal maxima; NaN never wins
                    max = v;
                    best = c;
                }
            }
            Views.setInt(a.out(), r, best);
        }
    }

    @Override public void close() {}
}
