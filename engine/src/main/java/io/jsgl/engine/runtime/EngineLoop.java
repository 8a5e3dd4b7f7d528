package io.jsgl.engine.runtime;

import io.jsgl.engine.api.EngineConfig;
import io.jsgl.engine.api.EngineHooks;
import io.jsgl.engine.api.EngineStats;
import io.jsgl.engine.api.FinishReason;
import io.jsgl.engine.model.DecoderModel;
import io.jsgl.radix.KvSlotAllocator;
import io.jsgl.radix.RadixCache;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The scheduler thread: takes new requests and aborts from lock-free queues, plans a step, runs
 * it, samples, streams, and caches finished sequences. Everything the radix tree, the slot
 * allocator and the sequences touch happens here, so none of it needs a lock.
 */
public final class EngineLoop implements AutoCloseable {
    private final DecoderModel model;
    private final RadixCache cache;
    private final Scheduler scheduler;
    private final StepRunner runner;
    private final OutputProcessor output;
    private final StepPlan plan = new StepPlan();
    private final List<SequenceState> textPending = new ArrayList<>();
    private boolean stepInFlight;
    /** Published by the scheduler thread after each iteration for readers on other threads. */
    private volatile int waitingCount;
    private volatile int runningCount;
    /** The thread forwards run on when overlap scheduling is on; null when off. */
    private final java.util.concurrent.ExecutorService forwardWorker;
    private final ConcurrentLinkedQueue<RequestState> inbox = new ConcurrentLinkedQueue<>();
    private final Map<String, RequestState> live = new ConcurrentHashMap<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final EngineConfig config;
    private final StatsRecorder stats;
    private final Thread thread;
    private volatile boolean stopping;
    private volatile boolean flushRequested;
    private volatile Boolean flushResult;
    private volatile Throwable failure;
    private final EngineHooks hooks;
    private final boolean checkInvariants;
    /** Null unless a hook wants logits: the row handed to {@link EngineHooks#onLogits}. */
    private final float[] hookRow;
    private long steps;
    private volatile long invariantChecks;

    public EngineLoop(EngineConfig config, DecoderModel model, int poolTokens, Set<Integer> eosIds, int contextLength) {
        this(config, model, poolTokens, eosIds, contextLength, EngineHooks.NONE);
    }

    public EngineLoop(EngineConfig config, DecoderModel model, int poolTokens, Set<Integer> eosIds, int contextLength,
                      EngineHooks hooks) {
        this.hooks = hooks;
        this.checkInvariants = CHECK_INVARIANTS || hooks.checkInvariants();
        this.hookRow = hooks.wantsLogits() ? new float[model.config().vocabSize()] : null;
        this.config = config;
        this.model = model;
        this.cache = new RadixCache(new KvSlotAllocator(poolTokens + 1, model.kvCache().pageSize()), config.disableRadixCache());
        this.scheduler = new Scheduler(config, cache, model.options().maxStepTokens());
        this.runner = new StepRunner(model, hookRow == null); // hooks read the logits
        this.output = new OutputProcessor(model.config().vocabSize(), contextLength, eosIds);
        this.stats = new StatsRecorder(poolTokens);
        this.thread = Thread.ofPlatform().name("jsgl-scheduler").daemon(true).unstarted(this::run);
        this.forwardWorker = config.disableOverlapSchedule() ? null : java.util.concurrent.Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("jsgl-forward").daemon(true).factory());
    }

    public void start() {
        thread.start();
    }

    public int poolTokens() {
        return stats.poolTokens;
    }

    /** Queues a request from any thread. */
    void enqueue(RequestState r) {
        live.put(r.rid, r);
        queued.incrementAndGet();
        inbox.add(r);
        LockSupport.unpark(thread);
    }

    /** Requests not yet running: still in the inbox, or waiting in the scheduler's queue. */
    public int queuedRequests() {
        return queued.get() + waitingCount;
    }

    public boolean isLive(String rid) {
        return live.containsKey(rid);
    }

    public boolean abort(String rid) {
        RequestState r = live.get(rid);
        if (r == null) return false;
        r.abortRequested = true;
        LockSupport.unpark(thread);
        return true;
    }

    /** Empties the prefix cache; refused (false) while any request is live. */
    public boolean flushCache() {
        if (!live.isEmpty()) return false;
        flushResult = null;
        flushRequested = true;
        LockSupport.unpark(thread);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (flushResult == null && System.nanoTime() < deadline) LockSupport.parkNanos(1_000_000);
        return Boolean.TRUE.equals(flushResult);
    }

    public EngineStats stats() {
        return stats.snapshot(runningCount, queuedRequests(), cache, scheduler.retractions);
    }

    public Throwable failure() {
        return failure;
    }

    private void run() {
        try {
            while (!stopping || !scheduler.idle() || !inbox.isEmpty() || !textPending.isEmpty()) {
                takeInbox();
                handleAborts();
                if (flushRequested) {
                    flushRequested = false;
                    boolean ok = scheduler.idle() && inbox.isEmpty();
                    if (ok) cache.reset();
                    flushResult = ok;
                }
                long t0 = System.nanoTime();
                scheduler.plan(plan);
                finishStarved();
                publishCounts();
                if (plan.isEmpty()) {
                    processPendingText();
                    publishCounts();
                    if (scheduler.idle() && inbox.isEmpty()) LockSupport.parkNanos(50_000_000);
                    continue;
                }
                int[] rows;
                long forward;
                long f0 = System.nanoTime();
                if (forwardWorker != null) {
                    // overlap: the text work of the last step runs while this step computes
                    var inflight = forwardWorker.submit(() -> runner.run(plan));
                    stepInFlight = true;
                    try {
                        processPendingText();
                    } finally {
                        rows = join(inflight);
                        stepInFlight = false;
                        forward = System.nanoTime() - f0;
                    }
                } else {
                    processPendingText();
                    f0 = System.nanoTime();
                    rows = runner.run(plan);
                    forward = System.nanoTime() - f0;
                }
                int produced = 0;
                for (int i = 0; i < plan.sequences.size(); i++) {
                    SequenceState s = plan.sequences.get(i);
                    boolean decode = plan.counts.get(i) == 1 && s.cache.slotCount() > s.request.promptIds.length;
                    if (s.finishReason != null) {
                        // finished by a stop string while this step ran: its extra token is dropped
                        release(s);
                        report(s);
                        continue;
                    }
                    if (!decode) cache.cacheUnfinishedRequest(s.cache);
                    if (rows[i] < 0) continue;
                    if (s.request.firstTokenNanos == 0) s.request.firstTokenNanos = System.nanoTime();
                    produced++;
                    if (hookRow != null) passLogits(s, rows[i]);
                    boolean finished = runner.sampledOnBackend() ? output.sampledOnBackend(s, runner.sampled(rows[i]))
                            : output.sample(s, runner.logits(), rows[i]);
                    if (finished) release(s);
                    textPending.add(s);
                }
                if (forwardWorker == null) processPendingText();
                stats.step(plan, produced, System.nanoTime() - t0, forward, scheduler.running.size());
                publishCounts();
                if (checkInvariants) checkInvariants();
                if (hooks != EngineHooks.NONE) hooks.afterStep(++steps);
            }
            processPendingText();
        } catch (Throwable t) {
            failure = t;
            failAll(t);
        }
    }

    private void publishCounts() {
        waitingCount = scheduler.waiting.size();
        runningCount = scheduler.running.size();
    }

    private static int[] join(java.util.concurrent.Future<int[]> f) throws Exception {
        try {
            return f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception ex) throw ex;
            throw e;
        }
    }

    /** Detokenizes, applies stop strings and streams for the sequences that got a token last step. */
    private void processPendingText() {
        for (SequenceState s : textPending) {
            if (s.request.reported) continue;
            output.processText(s);
            // a sequence inside the step now computing is released when that step returns
            if (s.finishReason != null && !(stepInFlight && plan.sequences.contains(s))) release(s);
            if (s.released && s.textFinished) report(s);
        }
        textPending.clear();
    }

    private void takeInbox() {
        RequestState r;
        while ((r = inbox.poll()) != null) {
            queued.decrementAndGet();
            scheduler.waiting.addAll(r.sequences);
            stats.requestArrived(r);
        }
    }

    private void handleAborts() {
        for (RequestState r : live.values()) {
            if (!r.abortRequested || r.reported) continue;
            stats.aborted(); // counted before the listener hears of it
            for (SequenceState s : r.sequences) {
                if (s.textFinished && s.released) continue;
                if (s.finishReason == null) s.finishReason = FinishReason.ABORT;
                output.processText(s);
                release(s);
                report(s);
            }
        }
    }

    private void finishStarved() {
        for (SequenceState s : scheduler.finishedByLength) {
            s.finishReason = FinishReason.LENGTH;
            output.processText(s);
            release(s);
            report(s);
        }
        scheduler.finishedByLength.clear();
    }

    /** Gives the sequence's KV back to the cache and drops it from the schedule. */
    private void release(SequenceState s) {
        if (s.released) return;
        s.released = true;
        scheduler.release(s);
    }

    /** Tells the request's listener, once every sequence is released with its text final. */
    private void report(SequenceState s) {
        if (s.reported) return;
        s.reported = true;
        RequestState r = s.request;
        r.finished++;
        if (r.done() && !r.reported) {
            r.reported = true;
            live.remove(r.rid);
            var result = Scheduler.result(r, System.nanoTime());
            stats.requestFinished(result);
            try {
                r.listener.onFinish(result);
            } catch (RuntimeException ignored) {
                // the listener's failure is its own; the engine has already released the request
            }
        }
    }

    private void failAll(Throwable t) {
        RuntimeException error = t instanceof RuntimeException re ? re : new IllegalStateException("engine failed: " + t, t);
        List<RequestState> all = new ArrayList<>(live.values());
        RequestState r;
        while ((r = inbox.poll()) != null) all.add(r);
        for (RequestState req : all) {
            if (req.reported) continue;
            req.reported = true;
            live.remove(req.rid);
            try {
                req.listener.onError(req.rid, error);
            } catch (RuntimeException ignored) {
                // nothing more to do for a listener that fails on an error
            }
        }
    }

    /** Stops taking work once everything queued and running has finished, or after the timeout. */
    public void drain(long timeoutNanos) {
        stopping = true;
        LockSupport.unpark(thread);
        try {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean stopping() {
        return stopping;
    }

    @Override
    public void close() {
        if (thread.isAlive()) {
            for (String rid : List.copyOf(live.keySet())) abort(rid);
            drain(TimeUnit.SECONDS.toNanos(30));
        }
        if (forwardWorker != null) forwardWorker.shutdownNow();
        runner.close();
    }

    private void passLogits(SequenceState s, int row) {
        int vocab = hookRow.length;
        java.lang.foreign.MemorySegment.copy(runner.logits(), io.jsgl.spi.host.Numerics.FLOAT_LE, (long) row * vocab * 4,
                hookRow, 0, vocab);
        hooks.onLogits(s.request.rid, s.index, s.cache.tokenCount(), hookRow);
    }

    /** Steps whose tokens the backend picked ({@code ARGMAX}): every logit row a plain greedy one. */
    public long stepsSampledOnBackend() {
        return runner.stepsSampledOnBackend();
    }

    /** Steps whose invariants were checked (0 unless -Djsgl.checkInvariants or {@link EngineHooks#checkInvariants}). */
    public long invariantChecks() {
        return invariantChecks;
    }

    /** Set -Djsgl.checkInvariants=true to verify slot accounting after every step (tests, debugging). */
    static final boolean CHECK_INVARIANTS = Boolean.getBoolean("jsgl.checkInvariants");

    /**
     * Every used slot belongs to the tree or to exactly one live sequence, every slot a running
     * sequence holds is allocated, its tree-owned prefix is locked, and nothing evictable is locked.
     */
    private void checkInvariants() {
        int owned = 0;
        var allocator = cache.allocator();
        var ownedSlots = new java.util.BitSet();
        for (SequenceState s : scheduler.running) {
            var c = s.cache;
            if (c == null || !c.isAdmitted()) throw new IllegalStateException("running sequence " + s.request.rid + "/"
                    + s.index + " holds no admitted KV");
            owned += c.ownedSlotCount();
            if (c.slotCount() > c.tokenCount() || c.cachedPrefixLength() > c.slotCount()) {
                throw new IllegalStateException("sequence " + s.request.rid + "/" + s.index + " has " + c.slotCount()
                        + " slots for " + c.tokenCount() + " tokens, " + c.cachedPrefixLength() + " of them cached");
            }
            if (c.cachedPrefixLength() > cache.protectedSize()) {
                throw new IllegalStateException("sequence " + s.request.rid + "/" + s.index + " uses a cached prefix of "
                        + c.cachedPrefixLength() + " tokens but only " + cache.protectedSize() + " are locked");
            }
            for (int i = 0; i < c.slotCount(); i++) {
                int slot = c.slot(i);
                if (!allocator.isAllocated(slot)) {
                    throw new IllegalStateException("sequence " + s.request.rid + "/" + s.index + " holds free slot " + slot);
                }
                if (i >= c.cachedPrefixLength()) {
                    if (ownedSlots.get(slot)) throw new IllegalStateException("slot " + slot + " owned by two sequences");
                    ownedSlots.set(slot);
                }
            }
        }
        int used = cache.allocator().usedCount();
        if (used != cache.totalSize() + owned) {
            throw new IllegalStateException("KV slot accounting broken: used " + used + " != tree " + cache.totalSize()
                    + " + owned " + owned);
        }
        if (cache.evictableSize() + cache.protectedSize() != cache.totalSize()) {
            throw new IllegalStateException("radix sizes inconsistent: evictable " + cache.evictableSize() + " + protected "
                    + cache.protectedSize() + " != total " + cache.totalSize());
        }
        if (!scheduler.waiting.stream().allMatch(s -> s.cache == null)) {
            throw new IllegalStateException("a waiting sequence holds KV");
        }
        invariantChecks++;
    }

    /** For tests: every KV slot is either free or held by the prefix tree (no request holds any). */
    public int leakedSlots() {
        return cache.allocator().usedCount() - cache.totalSize();
    }
}
