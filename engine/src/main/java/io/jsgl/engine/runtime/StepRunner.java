package io.jsgl.engine.runtime;

import io.jsgl.engine.model.DecoderModel;
import io.jsgl.engine.model.ModelStep;
import io.jsgl.radix.CachedRequest;
import io.jsgl.spi.AttentionBatch;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Turns a {@link StepPlan} into one ragged forward pass: rows packed sequence by sequence, each
 * sequence's slot table its cached slots, logits for the sequences that complete their pending
 * tokens. The slot-table arrays grow as needed and are reused across steps.
 */
final class StepRunner implements AutoCloseable {
    private final DecoderModel model;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment logits;
    private int[] slotTable = new int[4096];
    /** Whether steps whose every logit row is a plain greedy pick may sample on the backend. */
    private final boolean backendSampling;
    /** The last step's tokens when it sampled on the backend, by logit row; see {@link #sampledOnBackend}. */
    private final int[] sampled;
    private boolean lastSampled;
    private volatile long stepsSampled;

    StepRunner(DecoderModel model, boolean backendSampling) {
        this.model = model;
        this.backendSampling = backendSampling && model.samplesOnBackend();
        this.logits = arena.allocate((long) model.options().maxLogitRows() * model.config().vocabSize() * 4, 64);
        this.sampled = new int[model.options().maxLogitRows()];
    }

    /** Whether the last step's tokens were picked by the backend ({@link #sampled}) instead of leaving logits. */
    boolean sampledOnBackend() {
        return lastSampled;
    }

    long stepsSampledOnBackend() {
        return stepsSampled;
    }

    /** The token the backend picked for logit row {@code row} of the last step. */
    int sampled(int row) {
        return sampled[row];
    }

    MemorySegment logits() {
        return logits;
    }

    /** Runs the step; returns, per planned sequence, its logit row index or -1. */
    int[] run(StepPlan plan) {
        int n = plan.sequences.size();
        int[] qStart = new int[n];
        int[] qLen = new int[n];
        int[] kvLen = new int[n];
        int[] slotStart = new int[n];
        int[] tokenIds = new int[plan.rows];
        int[] newSlots = new int[plan.rows];
        int[] logitRowOf = new int[n];
        int logitRows = 0;
        int tableLen = 0;
        for (int s = 0; s < n; s++) tableLen += plan.sequences.get(s).cache.slotCount();
        if (slotTable.length < tableLen) slotTable = new int[Math.max(tableLen, slotTable.length * 2)];
        int row = 0;
        int table = 0;
        for (int s = 0; s < n; s++) {
            SequenceState seq = plan.sequences.get(s);
            CachedRequest c = seq.cache;
            int q = plan.counts.get(s);
            int kv = c.slotCount();
            qStart[s] = row;
            qLen[s] = q;
            kvLen[s] = kv;
            slotStart[s] = table;
            c.copySlots(0, slotTable, table, kv);
            for (int i = 0; i < q; i++) {
                tokenIds[row + i] = c.token(kv - q + i);
                newSlots[row + i] = slotTable[table + kv - q + i];
            }
            logitRowOf[s] = kv == c.tokenCount() ? logitRows++ : -1;
            row += q;
            table += kv;
        }
        int[] logitIndex = new int[logitRows];
        for (int s = 0; s < n; s++) if (logitRowOf[s] >= 0) logitIndex[logitRowOf[s]] = qStart[s] + qLen[s] - 1;
        var layout = new AttentionBatch(qStart, qLen, kvLen, slotStart, slotTable, newSlots, plan.rows);
        // all of the step's logit rows plain greedy picks: the backend samples them (SGLang samples on
        // the GPU too), and 4 bytes a row come down instead of the vocabulary's logits
        boolean onBackend = backendSampling && logitRows > 0;
        for (int s = 0; s < n && onBackend; s++) {
            if (logitRowOf[s] >= 0 && !plan.sequences.get(s).sampler.isArgmaxOfLogits()) onBackend = false;
        }
        ModelStep step = new ModelStep(tokenIds, layout, logitIndex);
        if (onBackend) {
            model.forwardGreedy(step, sampled);
        } else {
            model.forward(step, logits);
        }
        lastSampled = onBackend;
        if (onBackend) stepsSampled++; // one writer: the step's thread
        return logitRowOf;
    }

    @Override
    public void close() {
        arena.close();
    }
}
