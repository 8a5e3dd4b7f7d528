package io.jsgl.backend.avx512;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Writes a block of widened keys as f32 columns, {@code kT[d * stride + j]}, the layout the
 * attention score loop wants (sixteen keys per vector, a query channel broadcast). Sixteen keys
 * by sixteen channels at a time are loaded into registers and transposed with four rounds of
 * two-source lane permutes ({@code vpermi2ps}), instead of one scalar store per key and channel.
 *
 * <p>Round {@code b} (8, 4, 2, 1) pairs rows {@code i} and {@code i + b}: the first keeps the
 * lanes of its own {@code b}-blocks that sit at even block positions and takes the partner's
 * matching blocks into the odd ones, the second the rest. After the four rounds row {@code i}
 * holds what was column {@code i}.
 */
final class KeyTranspose {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    /** Lane indexes of the two outputs of each round, for b = 8, 4, 2, 1. */
    private static final float[][] FIRST = new float[4][16];
    private static final float[][] SECOND = new float[4][16];

    static {
        for (int r = 0; r < 4; r++) {
            int b = 8 >> r;
            for (int l = 0; l < 16; l++) {
                boolean even = (l & b) == 0;
                FIRST[r][l] = even ? l : 16 + l - b;
                SECOND[r][l] = even ? l + b : 16 + l;
            }
        }
    }

    private KeyTranspose() {}

    /**
     * Keys {@code [first, first + n)} of a block, {@code n <= 32}, transposed as they lie in the
     * pool into {@code out[r * 32 + j]}: f32 channels, or raw bf16 pairs (row {@code 16g + i} holding
     * channels {@code 32g + i} and {@code 32g + 16 + i}), which the caller widens as it reads them:
     * a 16 x 16 transpose then moves 32 channels, half the permutes of widening first. Returns the
     * rows: hdp, or hdp / 2 for pairs. {@code rows} is scratch of {@code 32 hdp} floats.
     */
    static int transpose(KvBlock b, int first, int n, int hdp, float[] rows, float[] out) {
        int rowFloats = b.stageKeys(first, n, hdp, rows);
        for (int h = 0; 16 * h < n; h++) {
            for (int t = 0; t < rowFloats / 16; t++) tile(rows, rowFloats, 16 * h, n - 1, t, out, 32, 16 * h);
        }
        return rowFloats;
    }

    /**
     * Lanes {@code [16t, 16t + 16)} of sixteen key rows of {@code k} ({@code rowStride}
     * floats apart; row {@code i} is key {@code min(first + i, last)}, since past a block's last key
     * a real row serves: its scores are masked later) stored as {@code kT[(16t + i) * stride + at ..]}.
     * A lane is an f32 channel or a raw pair of bf16 channels: the permutes move bits. Widening here
     * too made the method so large that C2 stopped inlining the Vector API's conversions, which then
     * ran as Java code.
     */
    static void tile(float[] k, int rowStride, int first, int last, int t, float[] kT, int stride, int at) {
        int c = 16 * t;
        FloatVector r0 = row(k, rowStride, first, last, c), r1 = row(k, rowStride, first + 1, last, c);
        FloatVector r2 = row(k, rowStride, first + 2, last, c), r3 = row(k, rowStride, first + 3, last, c);
        FloatVector r4 = row(k, rowStride, first + 4, last, c), r5 = row(k, rowStride, first + 5, last, c);
        FloatVector r6 = row(k, rowStride, first + 6, last, c), r7 = row(k, rowStride, first + 7, last, c);
        FloatVector r8 = row(k, rowStride, first + 8, last, c), r9 = row(k, rowStride, first + 9, last, c);
        FloatVector r10 = row(k, rowStride, first + 10, last, c), r11 = row(k, rowStride, first + 11, last, c);
        FloatVector r12 = row(k, rowStride, first + 12, last, c), r13 = row(k, rowStride, first + 13, last, c);
        FloatVector r14 = row(k, rowStride, first + 14, last, c), r15 = row(k, rowStride, first + 15, last, c);
        FloatVector a = FloatVector.fromArray(F, FIRST[0], 0), z = FloatVector.fromArray(F, SECOND[0], 0);
        FloatVector x, y;
        // b = 8
        x = a.selectFrom(r0, r8); y = z.selectFrom(r0, r8); r0 = x; r8 = y;
        x = a.selectFrom(r1, r9); y = z.selectFrom(r1, r9); r1 = x; r9 = y;
        x = a.selectFrom(r2, r10); y = z.selectFrom(r2, r10); r2 = x; r10 = y;
        x = a.selectFrom(r3, r11); y = z.selectFrom(r3, r11); r3 = x; r11 = y;
        x = a.selectFrom(r4, r12); y = z.selectFrom(r4, r12); r4 = x; r12 = y;
        x = a.selectFrom(r5, r13); y = z.selectFrom(r5, r13); r5 = x; r13 = y;
        x = a.selectFrom(r6, r14); y = z.selectFrom(r6, r14); r6 = x; r14 = y;
        x = a.selectFrom(r7, r15); y = z.selectFrom(r7, r15); r7 = x; r15 = y;
        // b = 4
        a = FloatVector.fromArray(F, FIRST[1], 0);
        z = FloatVector.fromArray(F, SECOND[1], 0);
        x = a.selectFrom(r0, r4); y = z.selectFrom(r0, r4); r0 = x; r4 = y;
        x = a.selectFrom(r1, r5); y = z.selectFrom(r1, r5); r1 = x; r5 = y;
        x = a.selectFrom(r2, r6); y = z.selectFrom(r2, r6); r2 = x; r6 = y;
        x = a.selectFrom(r3, r7); y = z.selectFrom(r3, r7); r3 = x; r7 = y;
        x = a.selectFrom(r8, r12); y = z.selectFrom(r8, r12); r8 = x; r12 = y;
        x = a.selectFrom(r9, r13); y = z.selectFrom(r9, r13); r9 = x; r13 = y;
        x = a.selectFrom(r10, r14); y = z.selectFrom(r10, r14); r10 = x; r14 = y;
        x = a.selectFrom(r11, r15); y = z.selectFrom(r11, r15); r11 = x; r15 = y;
        // b = 2
        a = FloatVector.fromArray(F, FIRST[2], 0);
        z = FloatVector.fromArray(F, SECOND[2], 0);
        x = a.selectFrom(r0, r2); y = z.selectFrom(r0, r2); r0 = x; r2 = y;
        x = a.selectFrom(r1, r3); y = z.selectFrom(r1, r3); r1 = x; r3 = y;
        x = a.selectFrom(r4, r6); y = z.selectFrom(r4, r6); r4 = x; r6 = y;
        x = a.selectFrom(r5, r7); y = z.selectFrom(r5, r7); r5 = x; r7 = y;
        x = a.selectFrom(r8, r10); y = z.selectFrom(r8, r10); r8 = x; r10 = y;
        x = a.selectFrom(r9, r11); y = z.selectFrom(r9, r11); r9 = x; r11 = y;
        x = a.selectFrom(r12, r14); y = z.selectFrom(r12, r14); r12 = x; r14 = y;
        x = a.selectFrom(r13, r15); y = z.selectFrom(r13, r15); r13 = x; r15 = y;
        // b = 1
        a = FloatVector.fromArray(F, FIRST[3], 0);
        z = FloatVector.fromArray(F, SECOND[3], 0);
        x = a.selectFrom(r0, r1); y = z.selectFrom(r0, r1); r0 = x; r1 = y;
        x = a.selectFrom(r2, r3); y = z.selectFrom(r2, r3); r2 = x; r3 = y;
        x = a.selectFrom(r4, r5); y = z.selectFrom(r4, r5); r4 = x; r5 = y;
        x = a.selectFrom(r6, r7); y = z.selectFrom(r6, r7); r6 = x; r7 = y;
        x = a.selectFrom(r8, r9); y = z.selectFrom(r8, r9); r8 = x; r9 = y;
        x = a.selectFrom(r10, r11); y = z.selectFrom(r10, r11); r10 = x; r11 = y;
        x = a.selectFrom(r12, r13); y = z.selectFrom(r12, r13); r12 = x; r13 = y;
        x = a.selectFrom(r14, r15); y = z.selectFrom(r14, r15); r14 = x; r15 = y;
        int o = c * stride + at;
        r0.intoArray(kT, o);
        r1.intoArray(kT, o + stride);
        r2.intoArray(kT, o + 2 * stride);
        r3.intoArray(kT, o + 3 * stride);
        r4.intoArray(kT, o + 4 * stride);
        r5.intoArray(kT, o + 5 * stride);
        r6.intoArray(kT, o + 6 * stride);
        r7.intoArray(kT, o + 7 * stride);
        r8.intoArray(kT, o + 8 * stride);
        r9.intoArray(kT, o + 9 * stride);
        r10.intoArray(kT, o + 10 * stride);
        r11.intoArray(kT, o + 11 * stride);
        r12.intoArray(kT, o + 12 * stride);
        r13.intoArray(kT, o + 13 * stride);
        r14.intoArray(kT, o + 14 * stride);
        r15.intoArray(kT, o + 15 * stride);
    }

    private static FloatVector row(float[] k, int rowStride, int key, int last, int c) {
        return FloatVector.fromArray(F, k, Math.min(key, last) * rowStride + c);
    }
}
