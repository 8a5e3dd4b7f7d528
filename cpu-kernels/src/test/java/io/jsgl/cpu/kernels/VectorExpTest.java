package io.jsgl.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorExpTest {
    private static float[] exp(float... x) {
        float[] out = new float[16];
        float[] in = new float[16];
        System.arraycopy(x, 0, in, 0, x.length);
        VectorExp.exp(FloatVector.fromArray(FloatVector.SPECIES_512, in, 0)).intoArray(out, 0);
        return out;
    }

    @Test
    void matchesMathExpInTheNormalRange() {
        float[] x = {-87f, -60.5f, -20f, -3.25f, -1f, -1e-3f, 0f, 1e-3f, 0.5f, 1f, 2.75f, 10f, 30f, 60f, 80f, 88f};
        float[] e = exp(x);
        for (int i = 0; i < x.length; i++) {
            double want = Math.exp(x[i]);
            assertEquals(want, e[i], want * 2e-6, "exp(" + x[i] + ")");
        }
    }

    @Test
    void lanesBelowTheNormalRangeAreZeroAndSpecialValuesKeepTheirMeaning() {
        float[] e = exp(-87.5f, -88f, -100f, -1e30f, Float.NEGATIVE_INFINITY, Float.NaN, Float.POSITIVE_INFINITY, -86.9f);
        for (int i = 0; i < 5; i++) assertEquals(0f, e[i], "lane " + i);
        assertTrue(Float.isNaN(e[5]), "NaN stays NaN");
        assertEquals(Float.POSITIVE_INFINITY, e[6]);
        assertEquals(Math.exp(-86.9f), e[7], 1e-43);
        assertEquals(1f, e[8], "a zero lane is e^0");
    }
}
