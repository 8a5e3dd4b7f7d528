package io.jsgl.spi;

import io.jsgl.spi.op.AddArgs;
import io.jsgl.spi.op.ArgmaxArgs;
import io.jsgl.spi.op.AttentionArgs;
import io.jsgl.spi.op.EmbeddingArgs;
import io.jsgl.spi.op.GatedActivationArgs;
import io.jsgl.spi.op.GatherRowsArgs;
import io.jsgl.spi.op.LinearArgs;
import io.jsgl.spi.op.MlaArgs;
import io.jsgl.spi.op.MoeArgs;
import io.jsgl.spi.op.RmsNormArgs;
import io.jsgl.spi.op.RopeArgs;
import io.jsgl.spi.op.SoftCapArgs;
import java.lang.foreign.MemorySegment;

/**
 * An open backend: it owns device memory, weights and the KV pool, and runs the ops.
 *
 * <p>Ops may run asynchronously (a GPU queue); results are visible to later ops in call order,
 * and to the host after {@link #download}, which waits for the work it depends on. Every op takes
 * the number of active rows separately from its argument record, so the records a model builds
 * at load are reused for every step. One thread drives a backend at a time.
 */
public interface Backend extends AutoCloseable {

    BackendDescriptor descriptor();

    /** Worker threads the backend computes with (1 for a device backend's host side). */
    int threads();

    // ---- memory ----

    /** Zero-filled device memory. */
    DeviceBuffer allocate(long bytes);

    void upload(MemorySegment src, DeviceBuffer dst, long dstByteOffset);

    void download(DeviceBuffer src, long srcByteOffset, MemorySegment dst);

    /** Takes a weight from host memory (often mmapped) and converts or packs it as the backend likes. */
    Weight loadWeight(WeightSpec spec);

    KvCache allocateKvCache(KvCacheSpec spec);

    MemoryInfo memoryInfo();

    /** Returns when all work issued so far has finished. */
    void synchronize();

    /** Turns a step's layout into the backend's form, once for every layer of the step. */
    default PreparedBatch prepare(AttentionBatch batch) {
        return PreparedBatch.host(batch);
    }

    // ---- ops ----

    void embedding(EmbeddingArgs args, int rows);

    void linear(LinearArgs args, int rows);

    void rmsNorm(RmsNormArgs args, int rows);

    void rope(RopeArgs args, int rows);

    void gatedActivation(GatedActivationArgs args, int rows);

    void attention(AttentionArgs args, PreparedBatch batch);

    void add(AddArgs args, int rows);

    void gatherRows(GatherRowsArgs args, int rows);

    void softCap(SoftCapArgs args, int rows);

    /**
     * Mixture of experts: routing, the chosen experts grouped so each one's weights are read once
     * per call, and the shared expert. Backends that declare {@link Op#MOE} override it.
     */
    default void moe(MoeArgs args, int rows) {
        throw new UnsupportedOperationException("backend " + descriptor().name() + " does not implement MOE");
    }

    /**
     * Multi-head latent attention over a {@link KvCacheSpec.Layout#LATENT} KV pool (DeepSeek MLA).
     * Backends that declare {@link Op#MLA_ATTENTION} override it (and accept latent pools in
     * {@link #allocateKvCache}).
     */
    default void mlaAttention(MlaArgs args, PreparedBatch batch) {
        throw new UnsupportedOperationException("backend " + descriptor().name() + " does not implement MLA_ATTENTION");
    }

    /**
     * Greedy sampling where the logits are: the index of each row's largest value. Optional;
     * backends that declare {@link Op#ARGMAX} override it, and the engine then downloads one I32 a
     * row instead of the logits.
     */
    default void argmax(ArgmaxArgs args, int rows) {
        throw new UnsupportedOperationException("backend " + descriptor().name() + " does not implement ARGMAX");
    }

    /**
     * Reads {@code bytes} of freshly allocated device memory with the backend's own threads or
     * queues, the way its kernels read weights, and returns the best rate of a few passes in GB/s.
     * Benchmarks compare decode weight streaming with it; empty where a backend has no probe.
     */
    default java.util.OptionalDouble measureReadBandwidth(long bytes) {
        return java.util.OptionalDouble.empty();
    }

    /** Sum over ranks; a single-rank backend has nothing to do. */
    default void allReduce(Tensor t, int rows) {}

    @Override
    void close();
}
