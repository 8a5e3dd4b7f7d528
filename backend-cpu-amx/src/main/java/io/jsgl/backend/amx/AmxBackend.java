package io.jsgl.backend.amx;

import io.jsgl.cpu.kernels.Argmax;
import io.jsgl.cpu.kernels.AttentionKernel;
import io.jsgl.cpu.kernels.CpuKvCache;
import io.jsgl.cpu.kernels.Elementwise;
import io.jsgl.cpu.kernels.RopeKernel;
import io.jsgl.cpu.kernels.WorkerPool;
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
import io.jsgl.spi.op.GatherRowsArgs;
import io.jsgl.spi.op.LinearArgs;
import io.jsgl.spi.op.MoeArgs;
import io.jsgl.spi.op.RmsNormArgs;
import io.jsgl.spi.op.RopeArgs;
import io.jsgl.spi.op.ArgmaxArgs;
import io.jsgl.spi.op.SoftCapArgs;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

/**
 * The oneDNN CPU backend: matmuls on oneDNN (AMX or AVX512_BF16/VNNI brgemm kernels) with weights
 * packed once at load, decode-sized matmuls and every other op on Java Vector API kernels over
 * host memory. Ops run synchronously on the calling thread plus a worker pool (Java kernels) or
 * OpenMP (oneDNN), both sized to {@link #threads()}.
 */
final class AmxBackend implements Backend {
    private final BackendDescriptor descriptor;
    private final AmxConfig config;
    private final WorkerPool pool;
    private final DnnlMatmul dnnl;
    private final Linear linear;
    private final WeightPacker packer;
    private final Elementwise elementwise;
    private final RopeKernel rope;
    private final AttentionKernel attention;
    private final DnnlAttention dnnlAttention;
    private final Moe moe;
    private final OpProfile profile;
    private volatile boolean closed;

    AmxBackend(BackendDescriptor descriptor, AmxConfig config) {
        this.descriptor = descriptor;
        this.config = config;
        this.pool = new WorkerPool(config.threads(), config.spinNanos(), "jsgl-amx-worker");
        this.dnnl = new DnnlMatmul(config.threads(), config.nSlice(), config.sliceMinBytes(), config.javaGemm() ? pool : null,
                config.mChunk(), config.mParts());
        this.linear = new Linear(pool, dnnl, config.gemvMaxRows());
        this.packer = new WeightPacker(pool, dnnl, config.int8());
        this.elementwise = new Elementwise(pool);
        this.rope = new RopeKernel(pool);
        this.attention = new AttentionKernel(pool);
        this.dnnlAttention = new DnnlAttention(pool, dnnl, attention, config.attentionMinRows(), config.javaGemm());
        this.moe = new Moe(linear, elementwise, pool);
        this.profile = new OpProfile(config.profile());
        linear.profile(profile);
        dnnlAttention.profile(profile);
    }

    void resetProfile() {
        profile.reset();
    }

    AmxConfig config() {
        return config;
    }

    /** The oneDNN implementation that runs {@code m} rows of {@code w}, e.g. {@code brg_matmul:avx10_1_512_amx}. */
    String implementation(Weight w, int m) {
        return linear.implementation(w, m);
    }

    /** Columns of {@code w} per oneDNN call at {@code m} rows ({@code w.rows()} when not sliced). */
    int sliceColumns(Weight w, int m) {
        return dnnl.sliceColumns(Linear.matrix(w), m);
    }

    /** The oneDNN implementation of the latest prefill attention product, e.g. {@code brg_matmul:avx10_1_512_amx}. */
    String attentionImplementation() {
        return dnnlAttention.lastImplementation();
    }

    @Override public BackendDescriptor descriptor() { return descriptor; }
    @Override public int threads() { return pool.threads(); }

    @Override
    public java.util.OptionalDouble measureReadBandwidth(long bytes) {
        return java.util.OptionalDouble.of(io.jsgl.cpu.kernels.BandwidthProbe.measure(pool, bytes));
    }

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
        return packer.load(spec);
    }

    @Override
    public KvCache allocateKvCache(KvCacheSpec spec) {
        return new CpuKvCache(spec);
    }

    @Override
    public MemoryInfo memoryInfo() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return new MemoryInfo(os.getTotalMemorySize(), os.getFreeMemorySize());
        }
        return new MemoryInfo(-1, -1);
    }

    @Override public void synchronize() {}

    @Override
    public void embedding(EmbeddingArgs a, int rows) {
        if (!(a.table() instanceof EmbeddingTable t)) {
            throw new IllegalArgumentException("weight " + a.table().name() + " was not loaded as EMBEDDING by cpu-amx");
        }
        if (a.out().cols() != t.cols()) {
            throw new IllegalArgumentException("embedding out has " + a.out().cols() + " columns, table " + t.cols());
        }
        long t0 = profile.start();
        elementwise.embedding(t.data, t.dtype(), t.rows(), a.ids(), a.out(), a.scale(), rows);
        profile.stop("embedding", t0);
    }

    @Override
    public void linear(LinearArgs args, int rows) {
        linear.run(args, rows);
    }

    @Override
    public void rmsNorm(RmsNormArgs a, int rows) {
        long t0 = profile.start();
        elementwise.rmsNorm(a.x(), a.residual(), Linear.vector(a.weight()), a.eps(), a.weightOffset(), a.groupSize(),
                a.out(), rows);
        profile.stop("rms_norm", t0);
    }

    @Override
    public void rope(RopeArgs a, int rows) {
        long t0 = profile.start();
        rope.apply(a.q(), a.k(), a.positions(), a.qHeads(), a.kHeads(), a.headDim(), a.rope(), rows);
        profile.stop("rope", t0);
    }

    @Override
    public void gatedActivation(GatedActivationArgs a, int rows) {
        long t0 = profile.start();
        elementwise.gated(a.gate(), a.up(), a.out(), a.activation(), rows);
        profile.stop("gated_activation", t0);
    }

    @Override
    public void attention(AttentionArgs args, PreparedBatch batch) {
        dnnlAttention.run(args, batch.layout());
    }

    @Override
    public void moe(MoeArgs a, int rows) {
        long t0 = profile.start();
        moe.run(a, rows);
        profile.stop("moe", t0);
    }

    @Override
    public void add(AddArgs a, int rows) {
        long t0 = profile.start();
        elementwise.add(a.a(), a.b(), a.out(), rows);
        profile.stop("add", t0);
    }

    @Override
    public void gatherRows(GatherRowsArgs a, int rows) {
        long t0 = profile.start();
        elementwise.gatherRows(a.src(), a.indices(), a.out(), rows);
        profile.stop("gather_rows", t0);
    }

    @Override
    public void argmax(ArgmaxArgs args, int rows) {
        Argmax.rows(args, rows);
    }

    @Override
    public void softCap(SoftCapArgs a, int rows) {
        long t0 = profile.start();
        elementwise.softCap(a.x(), a.cap(), rows);
        profile.stop("softcap", t0);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (profile.on()) System.err.print(profile.report());
        pool.close();
        linear.close();
        dnnlAttention.close();
        moe.close();
        dnnl.close();
    }
}
