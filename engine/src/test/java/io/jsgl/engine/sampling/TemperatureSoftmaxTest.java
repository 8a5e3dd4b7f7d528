package io.jsgl.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TemperatureSoftmaxTest {
    /** The softmax in double precision, the way the sampler computed it before it was vectorized. */
    private static double[] reference(float[] logits, float temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int v = 0; v < logits.length; v++) sum += p[v] = Math.exp((logits[v] - max) / temperature);
        for (int v = 0; v < p.length; v++) p[v] /= sum;
        return p;
    }

    @Test
    void matchesTheSoftmaxAtEveryTemperatureWithMaskedTokensAndARaggedTail() {
        Random rnd = new Random(3);
        for (int n : new int[] {1, 15, 17, 1000, 151_936 + 3}) {
            for (float t : new float[] {0.05f, 0.7f, 1f, 2.5f}) {
                float[] logits = new float[n];
                for (int v = 0; v < n; v++) logits[v] = (float) rnd.nextGaussian() * 8;
                if (n > 20) logits[7] = logits[n - 2] = Float.NEGATIVE_INFINITY; // masked stop ids
                float[] probs = new float[n];
                float maxProb = TemperatureSoftmax.apply(logits, n, t, probs);
                double[] want = reference(logits, t);
                double top = 0;
                for (int v = 0; v < n; v++) {
                    // f32 rounding of the exponent (up to 87 in size) costs a relative 1e-5; below
                    // e^-87 of the top token a probability may come out as 0
                    double slack = want[v] < 1e-37 ? 1e-37 : 3e-5 * want[v];
                    assertEquals(want[v], probs[v], slack, "n " + n + " T " + t + " token " + v);
                    top = Math.max(top, want[v]);
                }
                assertEquals(top, maxProb, 3e-5 * top); // the sum runs in f32 lanes
            }
        }
    }

    @Test
    void logSumExpMatchesDoublePrecision() {
        Random rnd = new Random(5);
        for (int n : new int[] {1, 17, 151_936}) {
            float[] logits = new float[n];
            for (int v = 0; v < n; v++) logits[v] = (float) rnd.nextGaussian() * 10 + 30;
            if (n > 1) logits[n - 1] = Float.NEGATIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (float l : logits) max = Math.max(max, l);
            for (float l : logits) sum += Math.exp(l - max);
            double want = max + Math.log(sum);
            assertEquals(want, TemperatureSoftmax.logSumExp(logits, n), 1e-5 * Math.abs(want), "n " + n);
        }
    }

    @Test
    void maxSeesTheTail() {
        float[] x = new float[35];
        x[34] = 5f;
        assertEquals(5f, TemperatureSoftmax.max(x, 35));
        assertEquals(0f, TemperatureSoftmax.max(x, 34));
    }
}
