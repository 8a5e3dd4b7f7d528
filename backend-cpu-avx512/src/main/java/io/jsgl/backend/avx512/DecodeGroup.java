package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.VectorExp;
import io.jsgl.spi.DType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One decode row's query heads that share a KV head (up to {@link #Q}; Qwen's groups of seven
 * are padded with zero queries) against that head's keys, read in place from the pool. Each
 * key and value line feeds all the group's heads at once, and the softmax runs once per chunk
 * of {@link #C} keys instead of once per block of 32:
 * <ol>
 * <li>per block of 32 keys, the keys are transposed out of the pool and scored for all heads
 * (16 accumulators: eight heads by two vectors of keys);
 * <li>per head, one max and one sum over the chunk's scores turn them into probabilities and
 * give the factor by which that head's earlier values shrink;
 * <li>per 32 value channels, the heads' accumulators (again 16) stay in registers over the
 * chunk's keys, one value line and eight broadcast probabilities per key.
 * </ol>
 * The keys are transposed as they lie in the pool: a bf16 row as raw pairs of channels, widened
 * in the score loop, so that each 16 x 16 transpose moves 32 channels. A group of four (Llama's
 * 32 query heads over 8 KV heads) scores only its four heads and takes 64 value channels per
 * pass, instead of running as eight heads with four zero queries: 99 against 136 us at
 * 1024 tokens and 739 against 1075 at 8192 (AttentionBench, heads 32/8, 2 threads).
 *
 * <p>{@link Attention}'s walk per block of 32 keys, four heads folded together and the other three
 * of Qwen2.5-0.5B's seven one at a time, each block gathered into f32 rows first, took 64.6 us for
 * one layer's decode row over 1024 cached tokens (AttentionBench, 2 threads); this takes 37-39.
 */
final class DecodeGroup {
    /** Query heads per pass: 16 accumulators of two vectors each in the score and value loops. */
    static final int Q = 8;
    /** Keys per chunk: the unit of the softmax, and of the probabilities held for the value loop. */
    static final int C = 256;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;

    private final KvBlock block = new KvBlock(C);
    /**
     * Queries scaled and transposed, in the score loop's order: step i's two channels of head h at
     * {@code qT[2Q i + h]} and {@code qT[2Q i + Q + h]}; zero for padding heads.
     */
    private float[] qT = new float[0];
    private float[] kRows = new float[0];
    private float[] kT = new float[0];
    /**
     * Scores, then probabilities: {@code p[h C + j]}. The score loop writes every head's row, the
     * padding heads' as zero (their queries are zero), before anything reads it.
     */
    private final float[] p = new float[Q * C];
    /**
     * Accumulated values, {@code acc[h vdp + c]}: all Q rows, since the value loop runs the padding
     * heads too (with zero probabilities), where the caller holds rows for its real heads only.
     */
    private float[] acc = new float[0];

    /**
     * Folds keys {@code [from, to)} (slots {@code slotTable[slotBase + j]}) into the softmax state
     * of {@code heads} queries: query h is {@code q[h hdp ..]}, zero-padded to hdp, with running max
     * {@code mIn[h]}, denominator {@code lIn[h]} and unnormalized values {@code accIn[h vdp ..]},
     * all updated in place.
     */
    void run(Avx512KvCache cache, int layer, int kvHead, int[] slotTable, int slotBase, int from, int to,
             float[] q, int heads, int hdp, int vdp, float scale, float cap,
             float[] mIn, float[] lIn, float[] accIn) {
        if (qT.length < Q * hdp) qT = new float[Q * hdp];
        if (kT.length < 32 * hdp) {
            kT = new float[32 * hdp];
            kRows = new float[32 * hdp];
        }
        if (acc.length < Q * vdp) acc = new float[Q * vdp];
        Arrays.fill(qT, 0f);
        Arrays.fill(acc, 0, Q * vdp, 0f);
        boolean pairs = cache.dtype == DType.BF16;
        // Groups of four (Llama's 32 query heads over 8 KV heads) skip the score loop's other four
        // heads and run their own value loop, rather than eight heads with four zero queries, which
        // would double the FMAs of both loops.
        boolean four = heads <= Q / 2 && vdp % 64 == 0;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < hdp / 2; i++) {
                int lo = pairs ? i / 16 * 32 + i % 16 : 2 * i, hi = pairs ? lo + 16 : lo + 1;
                qT[2 * Q * i + h] = q[h * hdp + lo] * scale;
                qT[2 * Q * i + Q + h] = q[h * hdp + hi] * scale;
            }
            System.arraycopy(accIn, h * vdp, acc, h * vdp, vdp);
        }
        for (int c0 = from; c0 < to; c0 += C) {
            int n = Math.min(C, to - c0);
            block.locate(cache, layer, kvHead, slotTable, slotBase + c0, n, hdp, vdp);
            for (int j0 = 0; j0 < n; j0 += 32) {
                int jn = Math.min(32, n - j0);
                boolean raw = KeyTranspose.transpose(block, j0, jn, hdp, kRows, kT) < hdp;
                score(hdp / 2, raw, j0, four);
            }
            for (int h = 0; h < heads; h++) softmax(h, n, cap, vdp, mIn, lIn);
            if (four) for (int c = 0; c < vdp; c += 64) values4(n, c, vdp);
            else for (int c = 0; c < vdp; c += 32) values(n, c, vdp);
        }
        for (int h = 0; h < heads; h++) System.arraycopy(acc, h * vdp, accIn, h * vdp, vdp);
    }

    /**
     * Scores of the 32 keys transposed into kT, for all Q heads, stored at {@code p[h C + j0 ..]}.
     * A step takes two channels: two f32 rows of kT, or one row of raw bf16 pairs, whose low and
     * high halves are widened here rather than stored widened first. The same shift-and-mask serves
     * both, a no-op for f32, so that one loop covers both layouts. With {@code four}, only heads 0-3
     * (eight accumulators); the flag is loop-invariant, and measured level with a separate loop.
     */
    private void score(int steps, boolean raw, int j0, boolean four) {
        float[] qT = this.qT, kT = this.kT;
        int step = raw ? 32 : 64, second = raw ? 0 : 32;
        int shiftA = raw ? 16 : 0, maskB = raw ? 0xffff0000 : -1;
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        FloatVector s40 = s00, s41 = s00, s50 = s00, s51 = s00, s60 = s00, s61 = s00, s70 = s00, s71 = s00;
        for (int i = 0; i < steps; i++) {
            int ra = step * i, rb = ra + second;
            IntVector a0 = FloatVector.fromArray(F, kT, ra).reinterpretAsInts();
            IntVector a1 = FloatVector.fromArray(F, kT, ra + 16).reinterpretAsInts();
            IntVector b0 = FloatVector.fromArray(F, kT, rb).reinterpretAsInts();
            IntVector b1 = FloatVector.fromArray(F, kT, rb + 16).reinterpretAsInts();
            FloatVector k0 = a0.lanewise(VectorOperators.LSHL, shiftA).reinterpretAsFloats();
            FloatVector k1 = a1.lanewise(VectorOperators.LSHL, shiftA).reinterpretAsFloats();
            FloatVector k2 = b0.and(maskB).reinterpretAsFloats();
            FloatVector k3 = b1.and(maskB).reinterpretAsFloats();
            int qo = 2 * Q * i;
            FloatVector x = FloatVector.broadcast(F, qT[qo]);
            FloatVector y = FloatVector.broadcast(F, qT[qo + Q]);
            s00 = k2.fma(y, k0.fma(x, s00));
            s01 = k3.fma(y, k1.fma(x, s01));
            x = FloatVector.broadcast(F, qT[qo + 1]);
            y = FloatVector.broadcast(F, qT[qo + Q + 1]);
            s10 = k2.fma(y, k0.fma(x, s10));
            s11 = k3.fma(y, k1.fma(x, s11));
            x = FloatVector.broadcast(F, qT[qo + 2]);
            y = FloatVector.broadcast(F, qT[qo + Q + 2]);
            s20 = k2.fma(y, k0.fma(x, s20));
            s21 = k3.fma(y, k1.fma(x, s21));
            x = FloatVector.broadcast(F, qT[qo + 3]);
            y = FloatVector.broadcast(F, qT[qo + Q + 3]);
            s30 = k2.fma(y, k0.fma(x, s30));
            s31 = k3.fma(y, k1.fma(x, s31));
            if (four) continue;
            x = FloatVector.broadcast(F, qT[qo + 4]);
            y = FloatVector.broadcast(F, qT[qo + Q + 4]);
            s40 = k2.fma(y, k0.fma(x, s40));
            s41 = k3.fma(y, k1.fma(x, s41));
            x = FloatVector.broadcast(F, qT[qo + 5]);
            y = FloatVector.broadcast(F, qT[qo + Q + 5]);
            s50 = k2.fma(y, k0.fma(x, s50));
            s51 = k3.fma(y, k1.fma(x, s51));
            x = FloatVector.broadcast(F, qT[qo + 6]);
            y = FloatVector.broadcast(F, qT[qo + Q + 6]);
            s60 = k2.fma(y, k0.fma(x, s60));
            s61 = k3.fma(y, k1.fma(x, s61));
            x = FloatVector.broadcast(F, qT[qo + 7]);
            y = FloatVector.broadcast(F, qT[qo + Q + 7]);
            s70 = k2.fma(y, k0.fma(x, s70));
            s71 = k3.fma(y, k1.fma(x, s71));
        }
        float[] p = this.p;
        s00.intoArray(p, j0);
        s01.intoArray(p, j0 + 16);
        s10.intoArray(p, C + j0);
        s11.intoArray(p, C + j0 + 16);
        s20.intoArray(p, 2 * C + j0);
        s21.intoArray(p, 2 * C + j0 + 16);
        s30.intoArray(p, 3 * C + j0);
        s31.intoArray(p, 3 * C + j0 + 16);
        if (four) return;
        s40.intoArray(p, 4 * C + j0);
        s41.intoArray(p, 4 * C + j0 + 16);
        s50.intoArray(p, 5 * C + j0);
        s51.intoArray(p, 5 * C + j0 + 16);
        s60.intoArray(p, 6 * C + j0);
        s61.intoArray(p, 6 * C + j0 + 16);
        s70.intoArray(p, 7 * C + j0);
        s71.intoArray(p, 7 * C + j0 + 16);
    }

    /**
     * Head h's scores of the chunk's n keys into unnormalized probabilities against the new running
     * max {@code m[h]}, with the head's denominator {@code l[h]} and accumulated values shrunk by
     * {@code exp(m_old - m_new)}. Lanes past n become zero, so the value loop may read whole vectors.
     */
    private void softmax(int h, int n, float cap, int vdp, float[] m, float[] l) {
        float[] p = this.p;
        int at = h * C;
        FloatVector top = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < n; j += 16) {
            FloatVector s = FloatVector.fromArray(F, p, at + j);
            if (cap > 0) {
                s = s.div(cap).lanewise(VectorOperators.TANH).mul(cap);
                s.intoArray(p, at + j);
            }
            top = top.max(s.blend(Float.NEGATIVE_INFINITY, F.indexInRange(j, n).not()));
        }
        float mOld = m[h];
        float mNew = Math.max(mOld, top.reduceLanes(VectorOperators.MAX));
        float corr = (float) Math.exp(mOld - mNew); // 0 for the first chunk, where mOld is -inf
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < n; j += 16) {
            VectorMask<Float> dead = F.indexInRange(j, n).not();
            FloatVector e = VectorExp.exp(FloatVector.fromArray(F, p, at + j).sub(mNew)).blend(0f, dead);
            e.intoArray(p, at + j);
            sum = sum.add(e);
        }
        m[h] = mNew;
        l[h] = l[h] * corr + sum.reduceLanes(VectorOperators.ADD);
        if (corr != 1f) {
            FloatVector cv = FloatVector.broadcast(F, corr);
            for (int c = 0; c < vdp; c += 16) FloatVector.fromArray(F, acc, h * vdp + c).mul(cv).intoArray(acc, h * vdp + c);
        }
    }

    /** Value channels {@code [c, c+32)} of all Q heads over the chunk's n keys. */
    private void values(int n, int c, int vdp) {
        float[] acc = this.acc, p = this.p;
        MemorySegment vs = block.v;
        long[] vOff = block.vOff;
        int t = c / 16;
        long l0 = block.lineByte(t), l1 = block.lineByte(t + 1);
        int h0 = block.shift(t), h1 = block.shift(t + 1), m0 = block.mask(t), m1 = block.mask(t + 1);
        FloatVector a00 = FloatVector.fromArray(F, acc, c), a01 = FloatVector.fromArray(F, acc, c + 16);
        FloatVector a10 = FloatVector.fromArray(F, acc, vdp + c), a11 = FloatVector.fromArray(F, acc, vdp + c + 16);
        FloatVector a20 = FloatVector.fromArray(F, acc, 2 * vdp + c), a21 = FloatVector.fromArray(F, acc, 2 * vdp + c + 16);
        FloatVector a30 = FloatVector.fromArray(F, acc, 3 * vdp + c), a31 = FloatVector.fromArray(F, acc, 3 * vdp + c + 16);
        FloatVector a40 = FloatVector.fromArray(F, acc, 4 * vdp + c), a41 = FloatVector.fromArray(F, acc, 4 * vdp + c + 16);
        FloatVector a50 = FloatVector.fromArray(F, acc, 5 * vdp + c), a51 = FloatVector.fromArray(F, acc, 5 * vdp + c + 16);
        FloatVector a60 = FloatVector.fromArray(F, acc, 6 * vdp + c), a61 = FloatVector.fromArray(F, acc, 6 * vdp + c + 16);
        FloatVector a70 = FloatVector.fromArray(F, acc, 7 * vdp + c), a71 = FloatVector.fromArray(F, acc, 7 * vdp + c + 16);
        for (int j = 0; j < n; j++) {
            long vo = vOff[j];
            FloatVector v0 = KvBlock.read(vs, vo + l0, h0, m0), v1 = KvBlock.read(vs, vo + l1, h1, m1);
            FloatVector x = FloatVector.broadcast(F, p[j]);
            a00 = v0.fma(x, a00);
            a01 = v1.fma(x, a01);
            x = FloatVector.broadcast(F, p[C + j]);
            a10 = v0.fma(x, a10);
            a11 = v1.fma(x, a11);
            x = FloatVector.broadcast(F, p[2 * C + j]);
            a20 = v0.fma(x, a20);
            a21 = v1.fma(x, a21);
            x = FloatVector.broadcast(F, p[3 * C + j]);
            a30 = v0.fma(x, a30);
            a31 = v1.fma(x, a31);
            x = FloatVector.broadcast(F, p[4 * C + j]);
            a40 = v0.fma(x, a40);
            a41 = v1.fma(x, a41);
            x = FloatVector.broadcast(F, p[5 * C + j]);
            a50 = v0.fma(x, a50);
            a51 = v1.fma(x, a51);
            x = FloatVector.broadcast(F, p[6 * C + j]);
            a60 = v0.fma(x, a60);
            a61 = v1.fma(x, a61);
            x = FloatVector.broadcast(F, p[7 * C + j]);
            a70 = v0.fma(x, a70);
            a71 = v1.fma(x, a71);
        }
        a00.intoArray(acc, c);
        a01.intoArray(acc, c + 16);
        a10.intoArray(acc, vdp + c);
        a11.intoArray(acc, vdp + c + 16);
        a20.intoArray(acc, 2 * vdp + c);
        a21.intoArray(acc, 2 * vdp + c + 16);
        a30.intoArray(acc, 3 * vdp + c);
        a31.intoArray(acc, 3 * vdp + c + 16);
        a40.intoArray(acc, 4 * vdp + c);
        a41.intoArray(acc, 4 * vdp + c + 16);
        a50.intoArray(acc, 5 * vdp + c);
        a51.intoArray(acc, 5 * vdp + c + 16);
        a60.intoArray(acc, 6 * vdp + c);
        a61.intoArray(acc, 6 * vdp + c + 16);
        a70.intoArray(acc, 7 * vdp + c);
        a71.intoArray(acc, 7 * vdp + c + 16);
    }

    /** {@link #values} for the first four heads, over 64 channels: again 16 accumulators. */
    private void values4(int n, int c, int vdp) {
        float[] acc = this.acc, p = this.p;
        MemorySegment vs = block.v;
        long[] vOff = block.vOff;
        int t = c / 16;
        long l0 = block.lineByte(t), l1 = block.lineByte(t + 1), l2 = block.lineByte(t + 2), l3 = block.lineByte(t + 3);
        int h0 = block.shift(t), h1 = block.shift(t + 1), h2 = block.shift(t + 2), h3 = block.shift(t + 3);
        int m0 = block.mask(t), m1 = block.mask(t + 1), m2 = block.mask(t + 2), m3 = block.mask(t + 3);
        FloatVector a00 = FloatVector.fromArray(F, acc, c), a01 = FloatVector.fromArray(F, acc, c + 16);
        FloatVector a02 = FloatVector.fromArray(F, acc, c + 32), a03 = FloatVector.fromArray(F, acc, c + 48);
        FloatVector a10 = FloatVector.fromArray(F, acc, vdp + c), a11 = FloatVector.fromArray(F, acc, vdp + c + 16);
        FloatVector a12 = FloatVector.fromArray(F, acc, vdp + c + 32), a13 = FloatVector.fromArray(F, acc, vdp + c + 48);
        FloatVector a20 = FloatVector.fromArray(F, acc, 2 * vdp + c), a21 = FloatVector.fromArray(F, acc, 2 * vdp + c + 16);
        FloatVector a22 = FloatVector.fromArray(F, acc, 2 * vdp + c + 32), a23 = FloatVector.fromArray(F, acc, 2 * vdp + c + 48);
        FloatVector a30 = FloatVector.fromArray(F, acc, 3 * vdp + c), a31 = FloatVector.fromArray(F, acc, 3 * vdp + c + 16);
        FloatVector a32 = FloatVector.fromArray(F, acc, 3 * vdp + c + 32), a33 = FloatVector.fromArray(F, acc, 3 * vdp + c + 48);
        for (int j = 0; j < n; j++) {
            long vo = vOff[j];
            FloatVector v0 = KvBlock.read(vs, vo + l0, h0, m0), v1 = KvBlock.read(vs, vo + l1, h1, m1);
            FloatVector v2 = KvBlock.read(vs, vo + l2, h2, m2), v3 = KvBlock.read(vs, vo + l3, h3, m3);
            FloatVector x = FloatVector.broadcast(F, p[j]);
            a00 = v0.fma(x, a00);
            a01 = v1.fma(x, a01);
            a02 = v2.fma(x, a02);
            a03 = v3.fma(x, a03);
            x = FloatVector.broadcast(F, p[C + j]);
            a10 = v0.fma(x, a10);
            a11 = v1.fma(x, a11);
            a12 = v2.fma(x, a12);
            a13 = v3.fma(x, a13);
            x = FloatVector.broadcast(F, p[2 * C + j]);
            a20 = v0.fma(x, a20);
            a21 = v1.fma(x, a21);
            a22 = v2.fma(x, a22);
            a23 = v3.fma(x, a23);
            x = FloatVector.broadcast(F, p[3 * C + j]);
            a30 = v0.fma(x, a30);
            a31 = v1.fma(x, a31);
            a32 = v2.fma(x, a32);
            a33 = v3.fma(x, a33);
        }
        a00.intoArray(acc, c);
        a01.intoArray(acc, c + 16);
        a02.intoArray(acc, c + 32);
        a03.intoArray(acc, c + 48);
        a10.intoArray(acc, vdp + c);
        a11.intoArray(acc, vdp + c + 16);
        a12.intoArray(acc, vdp + c + 32);
        a13.intoArray(acc, vdp + c + 48);
        a20.intoArray(acc, 2 * vdp + c);
        a21.intoArray(acc, 2 * vdp + c + 16);
        a22.intoArray(acc, 2 * vdp + c + 32);
        a23.intoArray(acc, 2 * vdp + c + 48);
        a30.intoArray(acc, 3 * vdp + c);
        a31.intoArray(acc, 3 * vdp + c + 16);
        a32.intoArray(acc, 3 * vdp + c + 32);
        a33.intoArray(acc, 3 * vdp + c + 48);
    }
}
