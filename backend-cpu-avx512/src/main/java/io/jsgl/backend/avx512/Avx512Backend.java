package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.Argmax;
import io.jsgl.cpu.kernels.Elementwise;
import io.jsgl.cpu.kernels.RopeKernel;
import io.jsgl.cpu.kernels.WorkerPool;
import io.jsgl.spi.Backend;
import io.jsgl.spi.BackendDescriptor;
import io.jsgl.spi.BackendOptions;
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
import io.jsgl.spi.op.MlaArgs;
import io.jsgl.spi.op.MoeArgs;
import io.jsgl.spi.op.RmsNormArgs;
import io.jsgl.spi.op.RopeArgs;
import io.jsgl.spi.op.ArgmaxArgs;
import io.jsgl.spi.op.SoftCapArgs;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

/**
 * The CPU backend: host memory, one worker pool, and one reusable kernel object per op family.
 * Ops run synchronously on the pool (the calling thread takes part), so {@link #synchronize}
 * has nothing to wait for. One thread drives a backend at a time, as the SPI requires; the
 * kernel objects keep each call's arguments in fields so that no op allocates.
 */
final class Avx512Backend implements Backend {
    private final BackendDescriptor descriptor;
    private final WorkerPool pool;
    private final Linear linear;
    private final Moe moe;
    private final Mla mla;
    private final Attention attention;
    /** RMSNorm, add and gather: the kernels shared with cpu-amx through cpu-kernels. */
    private final Elementwise shared;
    private final RopeKernel rope;
    private final Activations activations;
    private final Embedding embedding;
    private volatile boolean closed;

    Avx512Backend(BackendDescriptor descriptor, BackendOptions options) {
        this.descriptor = descriptor;
        int threads = options.threads() > 0 ? options.threads() : Runtime.getRuntime().availableProcessors();
        this.pool = new WorkerPool(threads);
        this.linear = new Linear(pool);
        this.attention = new Attention(pool);
        this.shared = new Elementwise(pool);
        this.rope = new RopeKernel(pool);
        this.activations = new Activations(pool);
        this.embedding = new Embedding(pool);
        this.moe = new Moe(linear, activations, pool);
        this.mla = new Mla(linear, attention, pool);
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
        return WeightLoader.load(spec, pool);
    }

    @Override
    public KvCache allocateKvCache(KvCacheSpec spec) {
        return new Avx512KvCache(spec);
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
    public void embedding(EmbeddingArgs args, int rows) {
        embedding.run(args, rows);
    }

    @Override
    public void linear(LinearArgs args, int rows) {
        linear.run(args.x(), Tensors.matrix(args.weight()), Tensors.vector(args.bias()), args.out(), rows);
    }

    @Override
    public void moe(MoeArgs args, int rows) {
        moe.run(args, rows);
    }

    @Override
    public void mlaAttention(MlaArgs args, PreparedBatch batch) {
        mla.run(args, batch.layout());
    }

    @Override
    public void rmsNorm(RmsNormArgs args, int rows) {
        shared.rmsNorm(args.x(), args.residual(), Tensors.vector(args.weight()), args.eps(), args.weightOffset(),
                args.groupSize(), args.out(), rows);
    }

    @Override
    public void rope(RopeArgs args, int rows) {
        rope.apply(args.q(), args.k(), args.positions(), args.qHeads(), args.kHeads(), args.headDim(), args.rope(),
                rows);
    }

    @Override
    public void gatedActivation(GatedActivationArgs args, int rows) {
        activations.gated(args, rows);
    }

    @Override
    public void attention(AttentionArgs args, PreparedBatch batch) {
        attention.run(args, batch.layout());
    }

    @Override
    public void add(AddArgs args, int rows) {
        shared.add(args.a(), args.b(), args.out(), rows);
    }

    @Override
    public void gatherRows(GatherRowsArgs args, int rows) {
        shared.gatherRows(args.src(), args.indices(), args.out(), rows);
    }

    @Override
    public void argmax(ArgmaxArgs args, int rows) {
        Argmax.rows(args, rows);
    }

    @Override
    public void softCap(SoftCapArgs args, int rows) {
        activations.softCap(args, rows);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        pool.close();
        linear.close();
        moe.close();
        mla.close();
    }
}
