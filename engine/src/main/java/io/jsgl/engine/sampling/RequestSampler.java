package io.jsgl.engine.sampling;

import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * Picks the next token of one request from its logits: penalties and logit bias, then greedy
 * argmax or temperature / top-k / top-p / min-p sampling from the request's own seeded generator,
 * so a seed gives the same tokens whatever else shares the batch. Scratch arrays are sized to the
 * vocabulary once, so sampling a token allocates nothing.
 */
public final class RequestSampler {
    private static final RandomGeneratorFactory<RandomGenerator> RNG = RandomGeneratorFactory.of("L64X128MixRandom");
    private final SamplingParams params;
    private final int vocab;
    private final RandomGenerator random;
    private final int[] outputCounts;
    private final boolean[] seen;
    private final float[] probs;
    private final int[] candidates;
    private final int[] eosIds;
    private int generated;

    public RequestSampler(SamplingParams params, int vocab, int[] promptIds, int[] eosIds) {
        this.params = params;
        this.vocab = vocab;
        this.random = params.seed() != null ? RNG.create(params.seed()) : RNG.create();
        this.outputCounts = new int[vocab];
        this.seen = new boolean[vocab];
        for (int id : promptIds) if (id >= 0 && id < vocab) seen[id] = true;
        this.probs = new float[vocab];
        this.candidates = new int[vocab];
        this.eosIds = eosIds.clone();
    }

    public SamplingParams params() {
        return params;
    }

    /** Chooses the next token, modifying {@code logits} in place, and records it for the penalties. */
    public int sample(float[] logits) {
        applyAdjustments(logits);
        int token = params.isGreedy() ? argmax(logits) : sampleFrom(logits);
        accept(token);
        return token;
    }

    /**
     * Whether the next token is the plain argmax of the model's logits: greedy, with no bias,
     * penalty or minimum length adjusting them and no logprobs wanted, so the backend may pick it
     * where the logits are ({@code ARGMAX}) and the step downloads no logits for this request.
     */
    public boolean isArgmaxOfLogits() {
        return params.isGreedy() && !params.logprobs() && params.logitBias().isEmpty() && !penalized() && !masksStops();
    }

    /** Whether a repetition, frequency or presence penalty applies ({@link #applyAdjustments}). */
    private boolean penalized() {
        return params.repetitionPenalty() != 1f || params.frequencyPenalty() != 0f || params.presencePenalty() != 0f;
    }

    /** Whether EOS and the stop ids are masked because min_new_tokens is not yet reached. */
    private boolean masksStops() {
        return generated < params.minNewTokens();
    }

    /** Records a token chosen elsewhere (e.g. a forced token) for the penalties. */
    public void accept(int token) {
        outputCounts[token]++;
        seen[token] = true;
        generated++;
    }

    private void applyAdjustments(float[] logits) {
        for (var e : params.logitBias().entrySet()) logits[e.getKey()] += e.getValue();
        float rep = params.repetitionPenalty();
        float freq = params.frequencyPenalty();
        float pres = params.presencePenalty();
        if (penalized()) {
            for (int v = 0; v < vocab; v++) {
                if (rep != 1f && seen[v]) logits[v] = logits[v] > 0 ? logits[v] / rep : logits[v] * rep;
                int c = outputCounts[v];
                if (c > 0) logits[v] -= freq * c + pres;
            }
        }
        if (masksStops()) {
            for (int id : eosIds) if (id >= 0 && id < vocab) logits[id] = Float.NEGATIVE_INFINITY;
            for (int id : params.stopTokenIds()) logits[id] = Float.NEGATIVE_INFINITY;
        }
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
        return best;
    }

    private int sampleFrom(float[] logits) {
        float maxProb = TemperatureSoftmax.apply(logits, vocab, params.temperature(), probs);
        if (params.topK() <= 0 && params.topP() >= 1f && params.minP() == 0f) {
            double r = random.nextDouble();
            for (int v = 0; v < vocab; v++) {
                r -= probs[v];
                if (r <= 0) return v;
            }
            return argmax(probs);
        }
        int n = nucleus(maxProb);
        double mass = 0;
        for (int i = 0; i < n; i++) mass += probs[candidates[i]];
        double r = random.nextDouble() * mass;
        for (int i = 0; i < n; i++) {
            r -= probs[candidates[i]];
            if (r <= 0) return candidates[i];
        }
        return candidates[n - 1];
    }

    /**
     * Fills {@code candidates} with the tokens that survive top-k, top-p and min-p, most likely
     * first. Only tokens above a probability threshold are sorted; the threshold drops until they
     * cover the top-p mass, which keeps the sort small without changing the result.
     */
    private int nucleus(float maxProb) {
        float minP = params.minP() * maxProb;
        int k = params.topK() > 0 ? Math.min(params.topK(), vocab) : vocab;
        float threshold = maxProb / 1024f;
        int n;
        while (true) {
            n = 0;
            double covered = 0;
            for (int v = 0; v < vocab; v++) {
                if (probs[v] >= threshold) {
                    candidates[n++] = v;
                    covered += probs[v];
                }
            }
            // the nucleus ends inside the candidates once they cover top_p, and top-k needs only k of them
            if (threshold == 0f || covered >= params.topP() || params.topK() > 0 && n >= k) break;
            threshold = threshold < 1e-30f ? 0f : threshold / 1024f;
        }
        sortByProbDesc(n);
        int keep = Math.min(n, k);
        double cum = 0;
        int out = 0;
        for (int i = 0; i < keep; i++) {
            float p = probs[candidates[i]];
            if (p < minP && out > 0) break;
            out++;
            cum += p;
            if (cum >= params.topP()) break;
        }
        return Math.max(out, 1);
    }

    private void sortByProbDesc(int n) {
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            // probabilities are non-negative, so their float bits order like the values
            keys[i] = ((long) Float.floatToRawIntBits(probs[candidates[i]]) << 32) | (0xffffffffL - candidates[i]);
        }
        Arrays.sort(keys);
        for (int i = 0; i < n; i++) candidates[i] = (int) (0xffffffffL - (keys[n - 1 - i] & 0xffffffffL));
    }

    /** Log-softmax of raw logits for the chosen token and the top alternatives. */
    public static TokenLogprob logprob(float[] logits, int token, int top) {
        float logZ = TemperatureSoftmax.logSumExp(logits, logits.length);
        List<TokenLogprob.Candidate> best = List.of();
        if (top > 0) {
            int[] idx = new int[top];
            Arrays.fill(idx, -1);
            for (int v = 0; v < logits.length; v++) {
                if (idx[top - 1] >= 0 && logits[v] <= logits[idx[top - 1]]) continue; // most tokens: one compare
                for (int j = 0; j < top; j++) {
                    if (idx[j] < 0 || logits[v] > logits[idx[j]]) {
                        System.arraycopy(idx, j, idx, j + 1, top - j - 1);
                        idx[j] = v;
                        break;
                    }
                }
            }
            best = Arrays.stream(idx).filter(i -> i >= 0).mapToObj(i -> new TokenLogprob.Candidate(i, logits[i] - logZ)).toList();
        }
        return new TokenLogprob(token, logits[token] - logZ, best);
    }
}
