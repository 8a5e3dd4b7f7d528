package io.jsgl.engine.runtime;

import io.jsgl.engine.api.FinishReason;
import io.jsgl.engine.api.TokenEvent;
import io.jsgl.engine.sampling.RequestSampler;
import io.jsgl.engine.sampling.TokenLogprob;
import io.jsgl.spi.host.Numerics;
import java.lang.foreign.MemorySegment;
import java.util.Set;

/**
 * After a step: samples each sequence's next token from its logits row, appends it, turns it
 * into text, applies EOS / stop ids / stop strings / length limits, and streams the new text.
 */
final class OutputProcessor {
    private final int vocab;
    private final int contextLength;
    private final Set<Integer> eosIds;
    private final float[] row;
    private final float[] raw;

    OutputProcessor(int vocab, int contextLength, Set<Integer> eosIds) {
        this.vocab = vocab;
        this.contextLength = contextLength;
        this.eosIds = Set.copyOf(eosIds);
        this.row = new float[vocab];
        this.raw = new float[vocab];
    }

    /**
     * Samples and appends one token, and applies the checks that need no text (EOS, stop ids,
     * lengths). Returns true when that finished the sequence. The text work is {@link #processText}.
     */
    boolean sample(SequenceState seq, MemorySegment logits, int logitRow) {
        MemorySegment.copy(logits, Numerics.FLOAT_LE, (long) logitRow * vocab * 4, row, 0, vocab);
        var p = seq.sampler.params();
        boolean wantLogprobs = p.logprobs();
        if (wantLogprobs) System.arraycopy(row, 0, raw, 0, vocab);
        int token = seq.sampler.sample(row);
        if (wantLogprobs) seq.logprobs.add(RequestSampler.logprob(raw, token, p.topLogprobs()));
        return append(seq, token);
    }

    /**
     * {@link #sample} for a token the backend already picked as the argmax of the logits, for a
     * request whose sampler {@link RequestSampler#isArgmaxOfLogits() takes exactly that}.
     */
    boolean sampledOnBackend(SequenceState seq, int token) {
        seq.sampler.accept(token);
        return append(seq, token);
    }

    private boolean append(SequenceState seq, int token) {
        var p = seq.sampler.params();
        seq.output.add(token);
        seq.cache.appendToken(token);
        if ((!p.ignoreEos() && eosIds.contains(token)) || p.stopTokenIds().contains(token)) {
            seq.finishReason = FinishReason.STOP;
            seq.stoppedByToken = true;
        } else if (seq.output.size() >= p.maxNewTokens() || seq.cache.tokenCount() >= contextLength) {
            seq.finishReason = FinishReason.LENGTH;
        }
        return seq.finishReason != null;
    }

    /**
     * Turns the tokens sampled since the last call into text, cutting at a stop string (which
     * finishes the sequence), and streams what is final. Returns true when a stop string was found.
     */
    boolean processText(SequenceState seq) {
        boolean stopped = false;
        int last = seq.output.size() - (seq.stoppedByToken ? 1 : 0);
        while (seq.detokenized < last && seq.matchedStop == null) {
            int token = seq.output.get(seq.detokenized++);
            String delta = seq.detokenizer == null ? "" : seq.detokenizer.add(token);
            int before = seq.text.length();
            seq.text.append(delta);
            var match = seq.stops.find(seq.text, before);
            if (match != null) {
                seq.text.setLength(match.at());
                seq.matchedStop = match.stop();
                seq.finishReason = FinishReason.STOP;
                stopped = true;
            }
        }
        if (seq.finishReason != null) finishText(seq, seq.finishReason);
        emit(seq);
        return stopped;
    }

    /** Marks a sequence finished, completing its text with what the detokenizer still holds. */
    void finishText(SequenceState seq, FinishReason reason) {
        if (seq.textFinished) return;
        seq.textFinished = true;
        if (seq.finishReason == null) seq.finishReason = reason;
        if (seq.matchedStop == null) {
            if (seq.detokenizer != null) seq.text.append(seq.detokenizer.flush());
            var match = seq.stops.find(seq.text, 0);
            if (match != null && reason != FinishReason.ABORT) {
                seq.text.setLength(match.at());
                seq.matchedStop = match.stop();
                seq.finishReason = FinishReason.STOP;
            }
        }
    }

    /** Sends the tokens and the text that are final since the last event. */
    void emit(SequenceState seq) {
        int streamable = seq.finishReason != null ? seq.text.length()
                : seq.text.length() - seq.stops.heldBack(seq.text);
        int tokens = seq.output.size();
        if (streamable <= seq.streamedChars && tokens == seq.streamedTokens) return;
        String delta = streamable > seq.streamedChars ? seq.text.substring(seq.streamedChars, streamable) : "";
        int[] ids = new int[tokens - seq.streamedTokens];
        for (int i = 0; i < ids.length; i++) ids[i] = seq.output.get(seq.streamedTokens + i);
        TokenLogprob[] lps = null;
        if (seq.sampler.params().logprobs()) {
            lps = seq.logprobs.subList(seq.streamedTokens, tokens).toArray(TokenLogprob[]::new);
        }
        seq.streamedChars = Math.max(seq.streamedChars, streamable);
        seq.streamedTokens = tokens;
        try {
            seq.request.listener.onTokens(new TokenEvent(seq.request.rid, seq.index, ids, delta, lps));
        } catch (RuntimeException e) {
            // a listener failing must not take the scheduler down; the request is aborted instead
            seq.request.abortRequested = true;
        }
    }
}
