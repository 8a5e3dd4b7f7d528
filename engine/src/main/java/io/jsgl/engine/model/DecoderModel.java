package io.jsgl.engine.model;

import io.jsgl.engine.weights.WeightStore;
import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.Backend;
import io.jsgl.spi.DType;
import io.jsgl.spi.Op;
import io.jsgl.spi.DeviceBuffer;
import io.jsgl.spi.KvCache;
import io.jsgl.spi.PreparedBatch;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.host.Numerics;
import io.jsgl.spi.op.ArgmaxArgs;
import io.jsgl.spi.op.EmbeddingArgs;
import io.jsgl.spi.op.GatherRowsArgs;
import io.jsgl.spi.op.LinearArgs;
import io.jsgl.spi.op.RmsNormArgs;
import io.jsgl.spi.op.SoftCapArgs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A pre-norm decoder (Llama, Qwen2/3, Mistral, Gemma 3, and the mixture-of-experts and latent
 * attention families Mixtral, Qwen2/3-MoE, DeepSeek-V2/V3) expressed as SPI ops. Each layer is an
 * {@link AttentionBlock} and a {@link FeedForward} chosen by the architecture, joined by the fused
 * add-norms of the residual stream. Every buffer and argument record is built once at load for
 * the largest step, so a forward step allocates nothing: it uploads the token ids and positions,
 * issues the ops, and downloads the logits.
 */
public final class DecoderModel implements AutoCloseable {
    private final ModelConfig config;
    private final Backend backend;
    private final WeightStore store;
    private final ModelLoadOptions options;
    private final List<Weight> weights;
    private final List<DeviceBuffer> buffers = new ArrayList<>();
    private final KvCache kvCache;
    private final Arena hostArena = Arena.ofShared();
    private final MemorySegment hostIds;
    private final MemorySegment hostPositions;
    private final MemorySegment hostLogitRows;
    private final Tensor ids;
    private final Tensor positions;
    private final Tensor logitRowIndices;
    private final Tensor residual;
    private final Tensor logits;
    /** Greedy sampling on the backend ({@link #forwardGreedy}): one I32 a logit row, null without {@code ARGMAX}. */
    private final ArgmaxArgs argmax;
    private final MemorySegment hostTokens;
    private final Tensor finalHidden;
    /** The residual stream of the rows that get logits, to which the last layer's output is added. */
    private final Tensor finalResidual;
    private final EmbeddingArgs embed;
    private final List<Layer> layers = new ArrayList<>();
    private final GatherRowsArgs gatherFinal;
    private final RmsNormArgs finalNorm;
    private final LinearArgs lmHead;
    private final SoftCapArgs finalSoftCap;
    private final RmsNormArgs[] nextNorms;
    private final GatherRowsArgs gatherFinalResidual;

    /** One layer: its blocks and the norms around them, in the order the layer issues them. */
    private record Layer(RmsNormArgs inputNorm, AttentionBlock attention, RmsNormArgs postAttention,
                         RmsNormArgs preFeedforward, FeedForward feedForward, RmsNormArgs postFeedforward) {}

    private DecoderModel(ModelConfig config, Backend backend, WeightStore store, ModelLoadOptions options) {
        this.config = config;
        this.backend = backend;
        this.store = store;
        this.options = options;
        int t = options.maxStepTokens();
        int r = options.maxLogitRows();
        int h = config.hiddenSize();
        var loader = new WeightLoader(store, backend, config);
        Weight embedding = loader.embedding();
        Weight head = loader.lmHead(embedding);
        Weight norm = loader.finalNorm();
        List<LayerWeights> lw = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) lw.add(loader.layer(i));
        this.weights = loader.loaded();

        kvCache = backend.allocateKvCache(config.kvCacheSpec(options.kvSlots(), options.kvDtype()));
        hostIds = hostArena.allocate(4L * t, 64);
        hostPositions = hostArena.allocate(4L * t, 64);
        hostLogitRows = hostArena.allocate(4L * r, 64);
        ids = tensor(t, 1, DType.I32);
        positions = tensor(t, 1, DType.I32);
        logitRowIndices = tensor(r, 1, DType.I32);
        residual = tensor(t, h, DType.F32);
        Tensor normed = tensor(t, h, DType.F32);
        Tensor proj = tensor(t, h, DType.F32);
        Tensor mlpOut = tensor(t, h, DType.F32);
        Workspace ws = new Workspace(this::tensor, t);
        finalHidden = tensor(r, h, DType.F32);
        finalResidual = tensor(r, h, DType.F32);
        logits = tensor(r, config.vocabSize(), DType.F32);
        argmax = backend.descriptor().supports(Op.ARGMAX, null) ? new ArgmaxArgs(logits, tensor(r, 1, DType.I32)) : null;
        hostTokens = hostArena.allocate(4L * r, 64);

        embed = new EmbeddingArgs(embedding, ids, residual, config.embeddingScale());
        float eps = config.rmsNormEps();
        boolean gemma = config.architecture().gemmaStyle();
        float offset = gemma ? 1f : 0f;
        for (int i = 0; i < config.numLayers(); i++) {
            LayerWeights w = lw.get(i);
            AttentionBlock attention = switch (w.attention()) {
                case GqaAttention.Weights g -> new GqaAttention(config, i, g, ws, normed, proj, positions, kvCache);
                case MlaAttention.Weights m -> new MlaAttention(config, i, m, ws, normed, proj, positions, kvCache);
            };
            FeedForward feedForward = switch (w.feedForward()) {
                case DenseFeedForward.Weights d -> new DenseFeedForward(d, ws, normed, mlpOut, config.activation());
                case MoeFeedForward.Weights m -> new MoeFeedForward(config, m, normed, mlpOut, config.activation());
            };
            // layer 0 normalizes the embeddings; later layers get their input norm fused into the previous layer's add
            RmsNormArgs inputNorm = i == 0 ? new RmsNormArgs(residual, null, w.inputNorm(), eps, offset, h, normed) : null;
            RmsNormArgs postAttention = gemma
                    ? new RmsNormArgs(proj, null, w.postAttentionNorm(), eps, offset, h, proj)
                    : new RmsNormArgs(proj, residual, w.postAttentionNorm(), eps, offset, h, normed);
            RmsNormArgs preFeedforward = gemma
                    ? new RmsNormArgs(proj, residual, w.preFeedforwardNorm(), eps, offset, h, normed) : null;
            RmsNormArgs postFeedforward = gemma
                    ? new RmsNormArgs(mlpOut, null, w.postFeedforwardNorm(), eps, offset, h, mlpOut) : null;
            layers.add(new Layer(inputNorm, attention, postAttention, preFeedforward, feedForward, postFeedforward));
        }
        // the next layer's input norm, fused with the residual add that ends this layer
        nextNorms = new RmsNormArgs[config.numLayers()];
        for (int i = 0; i + 1 < config.numLayers(); i++) {
            nextNorms[i] = new RmsNormArgs(mlpOut, residual, lw.get(i + 1).inputNorm(), eps, offset, h, normed);
        }
        // the last layer's residual add is fused into the final norm, over the rows that get
        // logits only: a prefill of 512 rows needs one
        gatherFinal = new GatherRowsArgs(mlpOut, logitRowIndices, finalHidden);
        gatherFinalResidual = new GatherRowsArgs(residual, logitRowIndices, finalResidual);
        finalNorm = new RmsNormArgs(finalHidden, finalResidual, norm, eps, offset, h, finalHidden);
        lmHead = new LinearArgs(finalHidden, head, null, logits);
        finalSoftCap = config.finalLogitSoftcap() > 0 ? new SoftCapArgs(logits, config.finalLogitSoftcap()) : null;
    }

    public static DecoderModel load(Path dir, Backend backend, ModelLoadOptions options) {
        ModelConfig config = ModelConfigParser.parse(dir);
        WeightStore store = WeightStore.open(dir);
        try {
            return new DecoderModel(config, backend, store, options);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private Tensor tensor(int rows, int cols, DType dtype) {
        DeviceBuffer b = backend.allocate((long) rows * cols * dtype.bytes());
        buffers.add(b);
        return Tensor.of(b, rows, cols, dtype);
    }

    public ModelConfig config() {
        return config;
    }

    public Backend backend() {
        return backend;
    }

    public KvCache kvCache() {
        return kvCache;
    }

    public ModelLoadOptions options() {
        return options;
    }

    /** Bytes of every weight but the embedding table: all experts included. */
    public long totalWeightBytes() {
        long bytes = 0;
        for (Weight w : weights) {
            if (w.use() != WeightUse.EMBEDDING) bytes += w.rows() * w.cols() * w.dtype().bytes();
        }
        return bytes;
    }

    /**
     * Bytes of weights one decode step of a single sequence reads: every linear and norm weight
     * (the LM head included, the embedding table not), but of each mixture-of-experts layer only the
     * router, the top-k routed experts and the shared expert. What decode GB/s is counted on.
     */
    public long streamedWeightBytes() {
        return streamedWeightBytes(1);
    }

    /**
     * Bytes of weights a decode step of {@code batch} sequences reads. Dense models read all of them
     * at any batch; for mixtures of experts above batch 1 the routed experts touched are the
     * expectation under uniform routing, {@code E (1 - (1 - k/E)^batch)} per layer.
     */
    public long streamedWeightBytes(int batch) {
        long bytes = totalWeightBytes();
        for (Layer l : layers) bytes -= l.feedForward().unreadWeightBytes(batch);
        return bytes;
    }

    /** Runs one step and writes {@code logitRows.length x vocab} f32 logits to {@code logitsOut}. */
    public void forward(ModelStep step, MemorySegment logitsOut) {
        forward(step, logitsOut, null);
    }

    public void forward(ModelStep step, MemorySegment logitsOut, HiddenStateObserver observer) {
        int outRows = step.logitRows().length;
        if (logitsOut.byteSize() < (long) outRows * config.vocabSize() * 4) {
            throw new IllegalArgumentException("logits buffer too small");
        }
        run(step, observer, () -> backend.download(logits.buffer(), 0,
                logitsOut.asSlice(0, (long) outRows * config.vocabSize() * 4)));
    }

    /** Whether {@link #forwardGreedy} samples on the backend (it declares {@code ARGMAX}). */
    public boolean samplesOnBackend() {
        return argmax != null;
    }

    /**
     * Runs one step and writes each logit row's greedy token (the lowest index of its largest
     * logit) to {@code tokensOut}: sampled by the backend, so only {@code 4 x rows} bytes come down
     * instead of the logits. Needs {@link #samplesOnBackend()}.
     */
    public void forwardGreedy(ModelStep step, int[] tokensOut) {
        if (argmax == null) {
            throw new IllegalStateException("backend " + backend.descriptor().name() + " does not implement ARGMAX");
        }
        int outRows = step.logitRows().length;
        if (tokensOut.length < outRows) throw new IllegalArgumentException("tokens buffer too small");
        run(step, null, () -> {
            backend.argmax(argmax, outRows);
            backend.download(argmax.out().buffer(), 0, hostTokens.asSlice(0, 4L * outRows));
        });
        for (int i = 0; i < outRows; i++) tokensOut[i] = hostTokens.getAtIndex(Numerics.INT_LE, i);
    }

    /** The step up to the logit rows' logits (on the backend), then {@code readOut} while its batch is prepared. */
    private void run(ModelStep step, HiddenStateObserver observer, Runnable readOut) {
        AttentionBatch layout = step.layout();
        int rows = layout.rows();
        int outRows = step.logitRows().length;
        if (rows > options.maxStepTokens() || outRows > options.maxLogitRows()) {
            throw new IllegalArgumentException("step of " + rows + " rows / " + outRows + " logit rows exceeds capacity "
                    + options.maxStepTokens() + " / " + options.maxLogitRows());
        }
        int vocab = config.vocabSize();
        for (int r = 0; r < rows; r++) {
            int id = step.tokenIds()[r];
            if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " out of range [0, " + vocab + ")");
            hostIds.setAtIndex(Numerics.INT_LE, r, id);
        }
        int row = 0;
        for (int s = 0; s < layout.sequences(); s++) {
            for (int i = 0; i < layout.qLen()[s]; i++) hostPositions.setAtIndex(Numerics.INT_LE, row++, layout.position(s, i));
        }
        for (int i = 0; i < outRows; i++) hostLogitRows.setAtIndex(Numerics.INT_LE, i, step.logitRows()[i]);
        backend.upload(hostIds.asSlice(0, 4L * rows), ids.buffer(), 0);
        backend.upload(hostPositions.asSlice(0, 4L * rows), positions.buffer(), 0);
        backend.upload(hostLogitRows.asSlice(0, 4L * outRows), logitRowIndices.buffer(), 0);

        try (PreparedBatch prepared = backend.prepare(layout)) {
            backend.embedding(embed, rows);
            observe(observer, 0, residual, rows);
            for (int i = 0; i < layers.size(); i++) {
                Layer l = layers.get(i);
                if (l.inputNorm() != null) backend.rmsNorm(l.inputNorm(), rows);
                l.attention().run(backend, prepared, rows);
                backend.rmsNorm(l.postAttention(), rows);
                if (l.preFeedforward() != null) backend.rmsNorm(l.preFeedforward(), rows);
                l.feedForward().run(backend, rows);
                if (l.postFeedforward() != null) backend.rmsNorm(l.postFeedforward(), rows);
                if (i + 1 < layers.size()) {
                    backend.rmsNorm(nextNorms[i], rows);
                    observe(observer, i + 1, residual, rows);
                }
            }
            backend.gatherRows(gatherFinal, outRows);
            backend.gatherRows(gatherFinalResidual, outRows);
            backend.rmsNorm(finalNorm, outRows);
            observe(observer, layers.size(), finalHidden, outRows);
            backend.linear(lmHead, outRows);
            if (finalSoftCap != null) backend.softCap(finalSoftCap, outRows);
            readOut.run();
        }
    }

    private void observe(HiddenStateObserver observer, int index, Tensor t, int rows) {
        if (observer == null) return;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate((long) rows * t.cols() * 4);
            backend.download(t.buffer(), 0, host);
            float[] out = new float[rows * t.cols()];
            for (int i = 0; i < out.length; i++) out[i] = host.getAtIndex(Numerics.FLOAT_LE, i);
            observer.onHiddenState(index, out, rows, t.cols());
        }
    }

    @Override
    public void close() {
        kvCache.close();
        buffers.forEach(DeviceBuffer::close);
        weights.forEach(Weight::close);
        if (hostArena.scope().isAlive()) hostArena.close();
        store.close();
    }
}
