package io.jsgl.engine;

import io.jsgl.engine.api.EngineConfig;
import io.jsgl.engine.api.EngineHooks;
import io.jsgl.engine.api.EngineStats;
import io.jsgl.engine.api.EngineUnavailableException;
import io.jsgl.engine.api.GenerateRequest;
import io.jsgl.engine.api.QueueFullException;
import io.jsgl.engine.api.RequestListener;
import io.jsgl.engine.api.RequestResult;
import io.jsgl.engine.backend.BackendFactory;
import io.jsgl.engine.backend.BackendRegistry;
import io.jsgl.engine.backend.FallbackPolicy;
import io.jsgl.engine.backend.OpenedBackend;
import io.jsgl.engine.model.ModelRequirements;
import io.jsgl.engine.model.DecoderModel;
import io.jsgl.engine.model.GenerationConfig;
import io.jsgl.engine.model.ModelConfig;
import io.jsgl.engine.model.ModelConfigParser;
import io.jsgl.engine.model.ModelLoadOptions;
import io.jsgl.engine.runtime.EngineLoop;
import io.jsgl.engine.runtime.Requests;
import io.jsgl.engine.tokenizer.Tokenizer;
import io.jsgl.spi.Backend;
import io.jsgl.spi.BackendOptions;
import io.jsgl.spi.KvCacheSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The offline engine Java users embed: a model on a backend behind SGLang's runtime (radix prefix
 * cache, continuous batching, chunked prefill). Thread-safe: submit, abort and stats from any
 * thread; results arrive through listeners or futures.
 */
public final class Engine implements AutoCloseable {
    private final EngineConfig config;
    /** Closes the backend when the engine owns it; a no-op for a caller's backend. */
    private final AutoCloseable backendOwner;
    private final String placement;
    private final Backend backend;
    private final DecoderModel model;
    private final Tokenizer tokenizer;
    private final EngineLoop loop;
    private final Requests requests;
    private final int contextLength;
    private final io.jsgl.engine.chat.ChatTemplate chatTemplate;
    private volatile boolean closed;

    private Engine(EngineConfig config, Backend backend, AutoCloseable backendOwner, String placement, DecoderModel model,
                   Tokenizer tokenizer, int poolTokens, int contextLength, EngineHooks hooks) {
        this.config = config;
        this.backendOwner = backendOwner;
        this.placement = placement;
        this.backend = backend;
        this.model = model;
        this.tokenizer = tokenizer;
        this.contextLength = contextLength;
        this.chatTemplate = io.jsgl.engine.chat.ChatTemplate.load(config.modelDir());
        Set<Integer> eos = new LinkedHashSet<>(model.config().eosTokenIds());
        eos.addAll(GenerationConfig.load(config.modelDir()).eosTokenIds());
        if (tokenizer != null) tokenizer.eosTokenId().ifPresent(eos::add);
        this.loop = new EngineLoop(config, model, poolTokens, eos, contextLength, hooks);
        this.requests = new Requests(loop, tokenizer, model.config().vocabSize(), contextLength, poolTokens, eos,
                config.maxQueuedRequests());
        loop.start();
    }

    public static Engine open(EngineConfig config) {
        return open(config, EngineHooks.NONE);
    }

    /** {@link #open(EngineConfig)} with observation hooks (tests, the conformance kit, debugging). */
    public static Engine open(EngineConfig config, EngineHooks hooks) {
        ModelConfigParser.parse(config.modelDir()); // a bad model directory fails before a backend opens
        OpenedBackend opened = BackendFactory.open(config.backend(),
                new BackendOptions(config.threads(), config.backendProperties()),
                FallbackPolicy.parse(config.fallback()), ModelRequirements.forModel(config.modelDir()),
                BackendRegistry.pluginDir(config.pluginDir()));
        try {
            return start(config, opened.backend(), opened, opened.placementSummary(), hooks);
        } catch (RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    /**
     * Runs on a backend the caller created and keeps owning: {@code config.backend()}, its plugin
     * directory and fallback policy are not used, and closing the engine leaves the backend open
     * (the conformance kit runs several engines on the backend under test this way). The backend
     * must implement every op the model needs; if not, this throws {@link
     * io.jsgl.engine.backend.BackendSelectionException} naming them, before any weight loads.
     */
    public static Engine open(EngineConfig config, Backend backend, EngineHooks hooks) {
        var missing = ModelRequirements.forModel(config.modelDir()).missingOn(backend.descriptor());
        String name = backend.descriptor().name();
        if (!missing.isEmpty()) {
            throw new io.jsgl.engine.backend.BackendSelectionException("backend '" + name + "' lacks "
                    + String.join(", ", missing.stream().map(Object::toString).toList()) + ", which "
                    + config.modelDir() + " needs");
        }
        return start(config, backend, () -> { }, "placement: every op on " + name + " (a backend the caller owns)",
                hooks);
    }

    private static Engine start(EngineConfig config, Backend backend, AutoCloseable owner, String placement,
                                EngineHooks hooks) {
        ModelConfig mc = ModelConfigParser.parse(config.modelDir());
        int context = config.contextLength() > 0 ? config.contextLength() : mc.maxPositionEmbeddings();
        DecoderModel model = null;
        Tokenizer tokenizer = null;
        try {
            int pool = poolTokens(config, mc, context);
            model = DecoderModel.load(config.modelDir(), backend, new ModelLoadOptions(
                    config.chunkedPrefillSize() + config.maxRunningRequests(), config.maxRunningRequests() + 1,
                    pool + 1, config.kvDtype()));
            if (java.nio.file.Files.exists(config.modelDir().resolve("tokenizer.json"))) {
                tokenizer = Tokenizer.load(config.modelDir());
            }
            return new Engine(config, backend, owner, placement, model, tokenizer, pool, context, hooks);
        } catch (RuntimeException e) {
            if (tokenizer != null) tokenizer.close();
            if (model != null) model.close();
            throw e;
        }
    }

    /** KV pool size: as configured, else room for the context twice over and 256 tokens per running request, capped by memory. */
    static int poolTokens(EngineConfig config, ModelConfig mc, int context) {
        if (config.maxTotalTokens() > 0) return config.maxTotalTokens();
        long bytesPerToken = new KvCacheSpec(mc.numLayers(), 1, mc.numKvHeads(), mc.headDim(), mc.headDim(),
                config.kvDtype()).bytesPerSlot();
        long wanted = Math.max(2L * context, 256L * config.maxRunningRequests());
        long budget = Math.max(context, (Runtime.getRuntime().maxMemory() / 4) / bytesPerToken);
        return (int) Math.min(Math.min(wanted, budget), 1 << 20);
    }

    public EngineConfig config() {
        return config;
    }

    public ModelConfig modelConfig() {
        return model.config();
    }

    public Backend backend() {
        return backend;
    }

    public int contextLength() {
        return contextLength;
    }

    public int maxTotalTokens() {
        return loop.poolTokens();
    }

    /** Tokens per KV page of the backend's cache: slots are allocated and prefixes matched in whole pages. */
    public int kvPageSize() {
        return model.kvCache().pageSize();
    }

    /** The model's tokenizer; throws if the model directory has none. */
    public Tokenizer tokenizer() {
        if (tokenizer == null) throw new IllegalStateException("model " + config.modelDir() + " has no tokenizer.json");
        return tokenizer;
    }

    public boolean hasTokenizer() {
        return tokenizer != null;
    }

    /** The model's chat template (tokenizer_config.json or chat_template.jinja), if it has one. */
    public java.util.Optional<io.jsgl.engine.chat.ChatTemplate> chatTemplate() {
        return chatTemplate.isPresent() ? java.util.Optional.of(chatTemplate) : java.util.Optional.empty();
    }

    /**
     * Queues a request and returns its rid. Invalid input throws IllegalArgumentException now;
     * a full queue throws {@link QueueFullException}; a draining engine {@link EngineUnavailableException}.
     */
    public String submit(GenerateRequest request, RequestListener listener) {
        if (closed || loop.stopping()) throw new EngineUnavailableException("the engine is shutting down");
        if (loop.failure() != null) throw new EngineUnavailableException("the engine failed: " + loop.failure());
        return requests.submit(request, listener);
    }

    public CompletableFuture<RequestResult> submit(GenerateRequest request) {
        var future = new CompletableFuture<RequestResult>();
        submit(request, new RequestListener() {
            @Override
            public void onFinish(RequestResult result) {
                future.complete(result);
            }

            @Override
            public void onError(String rid, RuntimeException error) {
                future.completeExceptionally(error);
            }
        });
        return future;
    }

    /** Runs a batch to completion; all requests are queued at once and batched together. */
    public List<RequestResult> generate(List<GenerateRequest> batch) {
        List<CompletableFuture<RequestResult>> futures = new ArrayList<>();
        for (GenerateRequest r : batch) futures.add(submit(r));
        return futures.stream().map(CompletableFuture::join).toList();
    }

    public boolean abort(String rid) {
        return loop.abort(rid);
    }

    public EngineStats stats() {
        return loop.stats();
    }

    public boolean flushCache() {
        return loop.flushCache();
    }

    /** Slots held by nobody (neither a request nor the prefix tree); always 0 unless there is a leak. */
    public int leakedSlots() {
        return loop.leakedSlots();
    }

    /** Steps whose tokens the backend picked where the logits are (every logit row a plain greedy one). */
    public long stepsSampledOnBackend() {
        return loop.stepsSampledOnBackend();
    }

    /** Steps whose KV and radix invariants were checked ({@link EngineHooks#checkInvariants}, -Djsgl.checkInvariants). */
    public long invariantChecks() {
        return loop.invariantChecks();
    }

    /** Refuses new requests and waits for queued and running ones to finish. */
    public void drain(Duration timeout) {
        loop.drain(timeout.toNanos());
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        loop.close();
        if (tokenizer != null) tokenizer.close();
        model.close();
        try {
            backendOwner.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the backend: " + e, e);
        }
    }

    /** Which backend runs each op the model needs (the reference backend for fallback ops). */
    public String placementSummary() {
        return placement;
    }
}
