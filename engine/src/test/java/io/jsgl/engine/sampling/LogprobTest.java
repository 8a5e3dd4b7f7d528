package io.jsgl.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LogprobTest {
    @Test
    void chosenAndTopAlternativesMatchABruteForceLogSoftmax() {
        Random rnd = new Random(11);
        int n = 5000;
        float[] logits = new float[n];
        // coarse values give ties, which keep the lower token id first
        for (int v = 0; v < n; v++) logits[v] = Math.round(rnd.nextGaussian() * 8) / 2f;
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float l : logits) max = Math.max(max, l);
        for (float l : logits) sum += Math.exp(l - max);
        double logZ = max + Math.log(sum);
        int[] want = IntStream.range(0, n).boxed()
                .sorted(Comparator.comparingDouble((Integer v) -> -logits[v]).thenComparingInt(v -> v))
                .mapToInt(Integer::intValue).limit(7).toArray();

        TokenLogprob got = RequestSampler.logprob(logits, 42, 7);

        assertEquals(logits[42] - logZ, got.logprob(), 1e-4);
        assertEquals(7, got.top().size());
        for (int i = 0; i < 7; i++) {
            assertEquals(want[i], got.top().get(i).tokenId(), "rank " + i);
            assertEquals(logits[want[i]] - logZ, got.top().get(i).logprob(), 1e-4);
        }
    }
}
