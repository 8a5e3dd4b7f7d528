package io.jsgl.engine.sampling;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code softmax(logits / T)} over a vocabulary row, with the Vector API: the engine loop samples
 * the requests of a step one after another while the backend waits, and a scalar pass of
 * {@code Math.exp} over Qwen's 151,936 logits took 1.2 ms a token, so 77 ms in each step of a
 * 64-request batch.
 */
final class TemperatureSoftmax {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /**
     * Arguments below this give 0: the vector exp takes a scalar slow path for results below the
     * normal floats, and at low temperature most of a vocabulary lies there (e^-87 = 1.6e-38).
     */
    private static final float LOWEST = -87f;

    private TemperatureSoftmax() {}

    /**
     * Writes {@code probs[v] = exp((logits[v] - max) / T) / sum} for v below n and returns the
     * largest probability. A {@code -inf} logit (a masked token) gets probability 0.
     */
    static float apply(float[] logits, int n, float temperature, float[] probs) {
        float max = max(logits, n);
        float inv = (float) (1.0 / expSum(logits, n, max, 1f / temperature, probs));
        int v = 0;
        for (int bound = F.loopBound(n); v < bound; v += F.length()) {
            FloatVector.fromArray(F, probs, v).mul(inv).intoArray(probs, v);
        }
        for (; v < n; v++) probs[v] *= inv;
        return inv; // the max logit's probability, exp(0) / sum
    }

    /** {@code log(sum_v exp(logits[v]))}, the log-softmax's normalizer, at temperature 1. */
    static float logSumExp(float[] logits, int n) {
        float max = max(logits, n);
        return (float) (max + Math.log(expSum(logits, n, max, 1f, null)));
    }

    /** {@code sum_v exp((logits[v] - max) * invT)}, each term also written to {@code terms} unless it is null. */
    private static double expSum(float[] logits, int n, float max, float invT, float[] terms) {
        int v = 0;
        FloatVector sumV = FloatVector.zero(F);
        for (int bound = F.loopBound(n); v < bound; v += F.length()) {
            FloatVector x = FloatVector.fromArray(F, logits, v).sub(max).mul(invT);
            FloatVector e = x.max(LOWEST).lanewise(VectorOperators.EXP).blend(0f, x.lt(LOWEST));
            if (terms != null) e.intoArray(terms, v);
            sumV = sumV.add(e);
        }
        double sum = sumV.reduceLanes(VectorOperators.ADD);
        for (; v < n; v++) {
            float x = (logits[v] - max) * invT;
            float e = x < LOWEST ? 0f : (float) Math.exp(x);
            if (terms != null) terms[v] = e;
            sum += e;
        }
        return sum;
    }

    static float max(float[] x, int n) {
        int v = 0;
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int bound = F.loopBound(n); v < bound; v += F.length()) m = m.max(FloatVector.fromArray(F, x, v));
        float max = m.reduceLanes(VectorOperators.MAX);
        for (; v < n; v++) max = Math.max(max, x[v]);
        return max;
    }
}
