package io.jsgl.engine.generate;

import io.jsgl.engine.model.DecoderModel;
import io.jsgl.engine.model.HiddenStateObserver;
import io.jsgl.engine.model.ModelStep;
import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.host.Numerics;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One sequence run through a model by itself, its KV in slots {@code 0..n}: prompts are fed in
 * chunks no larger than the model's step capacity, then one token at a time. The single-request
 * path of {@code generate}, {@code logits} and {@code perplexity}; batching is the scheduler's job.
 */
public final class SequenceSession implements AutoCloseable {
    private final DecoderModel model;
    private final int[] slots;
    private final int[] tokens;
    private int length;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment logitsHost;
    private final int vocab;
    private final int[] rowIndex;
    private final int[] picked = new int[1];

    public SequenceSession(DecoderModel model) {
        this.model = model;
        int capacity = model.options().kvSlots();
        this.slots = new int[capacity];
        for (int i = 0; i < capacity; i++) slots[i] = i;
        this.tokens = new int[capacity];
        this.vocab = model.config().vocabSize();
        int maxRows = model.options().maxLogitRows();
        this.logitsHost = arena.allocate((long) maxRows * vocab * 4, 64);
        this.rowIndex = new int[model.options().maxStepTokens()];
        for (int i = 0; i < rowIndex.length; i++) rowIndex[i] = i;
    }

    public int length() {
        return length;
    }

    public int capacity() {
        return slots.length;
    }

    /** Forgets the sequence; its slots are reused. */
    public void reset() {
        length = 0;
    }

    /**
     * Appends tokens and returns the logits of the last one, or of every appended token when
     * {@code allLogits} (then {@code out} must hold {@code ids.length} rows).
     */
    public void append(int[] ids, boolean allLogits, float[][] out, HiddenStateObserver observer) {
        if (ids.length == 0) throw new IllegalArgumentException("nothing to append");
        if (length + ids.length > slots.length) {
            throw new IllegalArgumentException("sequence of " + (length + ids.length) + " tokens exceeds the KV capacity of "
                    + slots.length);
        }
        int chunk = Math.min(model.options().maxStepTokens(), model.options().maxLogitRows());
        if (!allLogits) chunk = model.options().maxStepTokens();
        if (observer != null && ids.length > chunk) throw new IllegalArgumentException("observed sequences must fit one step");
        for (int done = 0; done < ids.length; ) {
            int n = Math.min(chunk, ids.length - done);
            System.arraycopy(ids, done, tokens, length, n);
            int[] chunkIds = java.util.Arrays.copyOfRange(ids, done, done + n);
            AttentionBatch layout = AttentionBatch.single(slots, length + n, n);
            boolean last = done + n == ids.length;
            int[] logitRows = allLogits ? java.util.Arrays.copyOf(rowIndex, n) : (last ? new int[] {n - 1} : new int[0]);
            if (logitRows.length == 0) {
                model.forward(new ModelStep(chunkIds, layout, new int[] {n - 1}), logitsHost, observer);
            } else {
                model.forward(new ModelStep(chunkIds, layout, logitRows), logitsHost, observer);
                for (int r = 0; r < logitRows.length; r++) {
                    float[] dst = out[allLogits ? done + r : 0];
                    MemorySegment.copy(logitsHost, Numerics.FLOAT_LE, (long) r * vocab * 4, dst, 0, vocab);
                }
            }
            length += n;
            done += n;
        }
    }

    /** Appends one token and writes the logits of the next position into {@code out}. */
    public void step(int token, float[] out) {
        if (length + 1 > slots.length) throw new IllegalArgumentException("KV capacity of " + slots.length + " reached");
        tokens[length] = token;
        AttentionBatch layout = AttentionBatch.single(slots, length + 1, 1);
        model.forward(new ModelStep(new int[] {token}, layout, new int[] {0}), logitsHost);
        MemorySegment.copy(logitsHost, Numerics.FLOAT_LE, 0, out, 0, vocab);
        length++;
    }

    /**
     * Appends one token and returns the next one as the backend picks it greedily
     * ({@link DecoderModel#forwardGreedy}; needs {@link DecoderModel#samplesOnBackend()}).
     */
    public int stepGreedy(int token) {
        if (length + 1 > slots.length) throw new IllegalArgumentException("KV capacity of " + slots.length + " reached");
        tokens[length] = token;
        AttentionBatch layout = AttentionBatch.single(slots, length + 1, 1);
        model.forwardGreedy(new ModelStep(new int[] {token}, layout, new int[] {0}), picked);
        length++;
        return picked[0];
    }

    @Override
    public void close() {
        arena.close();
    }
}
