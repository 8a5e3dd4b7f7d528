package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.SharedPrefixPlan;

import static io.jsgl.backend.avx512.Harness.BF16_KV_TOL;
import static io.jsgl.backend.avx512.Harness.F32_TOL;
import static io.jsgl.backend.avx512.Harness.assertClose;
import static io.jsgl.backend.avx512.Harness.read;

import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.DType;
import io.jsgl.spi.KvCache;
import io.jsgl.spi.KvCacheSpec;
import io.jsgl.spi.PreparedBatch;
import io.jsgl.spi.host.Numerics;
import java.lang.foreign.MemorySegment;
import io.jsgl.spi.op.AttentionArgs;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Paged attention over three steps that share one KV pool: two prefills, then a ragged batch
 * mixing a decode row, an extend chunk on top of cached prefix KV and a fresh 40-token prefill
 * (longer than a query block and a key block), then a pure decode batch. Slots are a random
 * permutation, so no sequence's KV is contiguous.
 */
class AttentionTest {

    /**
     * One configuration. With {@code exactKv} the test rounds the new K and V to the pool's dtype
     * before both backends see them, so a bf16 or f16 pool stores exactly what the reference
     * keeps in double and the f32 tolerance applies: that checks the pool's layout and widening
     * bit for bit. Without it, the pool's rounding is part of the error ({@link Harness#BF16_KV_TOL}).
     */
    record Case(DType kv, int heads, int kvHeads, int headDim, int vHeadDim, float scale, int window, float softCap,
                boolean exactKv) {
        Case(DType kv, int heads, int kvHeads, int headDim, int vHeadDim, float scale, int window, float softCap) {
            this(kv, heads, kvHeads, headDim, vHeadDim, scale, window, softCap, kv != DType.F32);
        }

        @Override
        public String toString() {
            return kv + " h" + heads + "/kv" + kvHeads + " d" + headDim + "/" + vHeadDim + " scale " + scale
                    + " window " + window + " cap " + softCap + (kv != DType.F32 && !exactKv ? " rounded in pool" : "");
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case(DType.F32, 4, 4, 64, 64, 0.125f, 0, 0f),           // GQA 1
                new Case(DType.F32, 4, 2, 40, 24, 0.3f, 7, 0f),             // GQA 2, odd dims, sliding window
                new Case(DType.F32, 8, 2, 72, 72, 0.2f, 0, 20f),            // GQA 4, soft-cap
                new Case(DType.F32, 2, 1, 32, 32, 0.25f, 0, 0f),            // MQA: a decode item splits its heads
                new Case(DType.BF16, 14, 2, 64, 64, 0.125f, 0, 0f),         // GQA 7 (Qwen2.5-0.5B): tiles span positions
                new Case(DType.F32, 6, 2, 40, 40, 0.2f, 9, 0f),             // GQA 3, window: tiles split at its edge, 48 channels
                new Case(DType.BF16, 8, 2, 64, 64, 0.125f, 5, 10f),         // bf16 KV, window and cap
                new Case(DType.BF16, 4, 2, 40, 48, 0.2f, 0, 0f),            // bf16 KV, padded rows
                new Case(DType.F16, 4, 4, 48, 48, 0.15f, 0, 0f),            // f16 KV
                new Case(DType.BF16, 8, 2, 64, 64, 0.125f, 0, 0f, false),   // bf16 rounding of f32 K/V
                new Case(DType.F16, 4, 2, 40, 40, 0.15f, 6, 0f, false)      // f16 rounding of f32 K/V
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void raggedStepsMatchReference(Case c) {
        // {sequence, qLen, kvLen} per sequence of each step
        int[][][] steps = {
            {{0, 20, 20}, {1, 5, 5}},
            {{0, 1, 21}, {1, 7, 12}, {2, 40, 40}},
            {{0, 1, 22}, {1, 1, 13}, {2, 1, 41}},
        };
        runSteps(20 + c.hashCode(), c, 2, 128, new int[] {42, 42, 42}, steps);
    }

    /**
     * Runs {@code steps} on every layer of a pool of {@code slots} slots, each sequence on its own
     * slots ({@code seqLengths[s]} of them) drawn from one shuffled order, so no sequence's keys are
     * contiguous.
     */
    private static void runSteps(long seed, Case c, int layers, int slots, int[] seqLengths, int[][][] steps) {
        try (Harness h = new Harness(seed)) {
            var spec = new KvCacheSpec(layers, slots, c.kvHeads(), c.headDim(), c.vHeadDim(), c.kv());
            KvCache refCache = h.ref.allocateKvCache(spec);
            KvCache fastCache = h.fast.allocateKvCache(spec);
            List<Integer> perm = new ArrayList<>();
            for (int i = 0; i < slots; i++) perm.add(i);
            Collections.shuffle(perm, h.rnd);
            int[][] seqSlots = new int[seqLengths.length][];
            for (int s = 0, at = 0; s < seqLengths.length; at += seqLengths[s++]) {
                seqSlots[s] = perm.subList(at, at + seqLengths[s]).stream().mapToInt(Integer::intValue).toArray();
            }
            double tol = c.kv() == DType.F32 || c.exactKv() ? F32_TOL : BF16_KV_TOL;
            for (int layer = 0; layer < layers; layer++) {
                for (int st = 0; st < steps.length; st++) {
                    runStep(h, c, refCache, fastCache, layer, steps[st], seqSlots, tol, "layer " + layer + " step " + st);
                }
            }
            refCache.close();
            fastCache.close();
        }
    }

    static Stream<Arguments> longDecodeCases() {
        return Stream.of(
                new Case(DType.BF16, 14, 2, 64, 64, 0.125f, 0, 0f),         // group 7 in a pass of 8, raw bf16 pairs
                new Case(DType.F32, 8, 2, 64, 64, 0.125f, 0, 0f),           // group 4 (its own loops), f32 rows
                new Case(DType.BF16, 32, 8, 64, 64, 0.125f, 0, 0f),         // group 4 (Llama-3.2-1B), raw bf16 pairs
                new Case(DType.F16, 8, 2, 64, 128, 0.125f, 200, 25f),       // group 4, two passes of 64 value channels, window and cap
                new Case(DType.F16, 16, 2, 64, 64, 0.125f, 0, 0f),          // group 8, f16 widened per chunk
                new Case(DType.BF16, 8, 2, 64, 96, 0.125f, 300, 30f),       // window and cap across chunks, 96 value channels
                new Case(DType.BF16, 24, 2, 64, 64, 0.125f, 0, 0f)          // group 12: more heads than one pass takes
        ).map(Arguments::of);
    }

    /**
     * Decode rows over contexts of several of {@link DecodeGroup}'s chunks of keys, the last one
     * partial, on slots scattered over the pool; the rows' keys come from a prefill and an extend.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("longDecodeCases")
    void decodeRowsOverLongContextsMatchReference(Case c) {
        int[][][] steps = {
            {{0, 300, 300}, {1, 100, 100}},
            {{0, 300, 600}},
            {{0, 1, 601}, {1, 1, 101}},
            {{1, 1, 102}, {0, 1, 602}},
        };
        runSteps(70 + c.hashCode(), c, 1, 720, new int[] {610, 110}, steps);
    }

    static Stream<Arguments> sharedPrefixCases() {
        return Stream.of(
                new Case(DType.F32, 8, 2, 64, 64, 0.125f, 0, 0f),          // GQA 4: 16 shared queries, transposed pass
                new Case(DType.F32, 2, 2, 40, 24, 0.3f, 0, 15f),           // MHA with soft-cap: few queries, direct pass
                new Case(DType.BF16, 4, 1, 64, 64, 0.125f, 0, 0f)          // MQA over a bf16 pool
        ).map(Arguments::of);
    }

    /**
     * Decode rows of four sequences whose first 100 keys are the same slots (one radix-cache prefix),
     * beside a fifth that shares nothing: the shared pass walks 96 of those keys once for all four,
     * each continues alone from its state. Also a sliding window, where sharing stays off.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("sharedPrefixCases")
    void decodeRowsSharingAPrefixMatchReference(Case c) {
        try (Harness h = new Harness(50 + c.hashCode())) {
            int slots = 400;
            var spec = new KvCacheSpec(1, slots, c.kvHeads(), c.headDim(), c.vHeadDim(), c.kv());
            KvCache refCache = h.ref.allocateKvCache(spec);
            KvCache fastCache = h.fast.allocateKvCache(spec);
            List<Integer> perm = new ArrayList<>();
            for (int i = 0; i < slots; i++) perm.add(i);
            Collections.shuffle(perm, h.rnd);
            int[] prefix = perm.subList(0, 100).stream().mapToInt(Integer::intValue).toArray();
            int[][] seqSlots = new int[5][];
            int next = 100;
            for (int s = 0; s < 5; s++) {
                seqSlots[s] = new int[120];
                for (int j = 0; j < 120; j++) seqSlots[s][j] = s < 4 && j < 100 ? prefix[j] : perm.get(next++);
            }
            double tol = c.kv() == DType.F32 || c.exactKv() ? F32_TOL : BF16_KV_TOL;
            int[][][] steps = {
                {{0, 100, 100}, {4, 30, 30}},                             // the shared prefix, once
                {{1, 5, 105}, {2, 9, 109}, {3, 3, 103}, {0, 1, 101}},     // siblings extend on top of it
                {{1, 1, 106}, {4, 1, 31}, {2, 1, 110}, {0, 1, 102}, {3, 1, 104}}, // decode, one outsider
            };
            for (int st = 0; st < steps.length; st++) {
                runStep(h, c, refCache, fastCache, 0, steps[st], seqSlots, tol, "step " + st);
            }
            refCache.close();
            fastCache.close();
        }
    }

    @org.junit.jupiter.api.Test
    void sharedPrefixPlanGroupsOnlyRowsOnTheSameSlots() {
        // sequences 0, 1, 3 share 70 leading slots (64 after rounding to blocks of 32); 2 starts elsewhere;
        // 4 is an extend row, which never joins
        int[] qLen = {1, 1, 1, 1, 4};
        int[] kvLen = {90, 80, 90, 75, 90};
        int[] slotStart = new int[5];
        List<Integer> table = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            slotStart[s] = table.size();
            for (int j = 0; j < kvLen[s]; j++) {
                boolean shares = (s == 0 || s == 1 || s == 3 || s == 4) && j < 70;
                table.add(shares ? 1000 + j : 10_000 * (s + 1) + j);
            }
        }
        var b = new AttentionBatch(new int[] {0, 1, 2, 3, 4}, qLen, kvLen, slotStart,
                table.stream().mapToInt(Integer::intValue).toArray(), new int[8], 8);
        var plan = new SharedPrefixPlan();
        plan.plan(b, Attention.KB);
        org.junit.jupiter.api.Assertions.assertEquals(1, plan.items);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {64, 64, 0, 64, 0}, java.util.Arrays.copyOf(plan.prefixLen, 5));
    }

    private static void runStep(Harness h, Case c, KvCache refCache, KvCache fastCache, int layer, int[][] seqs,
                                int[][] seqSlots, double tol, String what) {
        int n = seqs.length;
        int[] qStart = new int[n], qLen = new int[n], kvLen = new int[n], slotStart = new int[n];
        List<Integer> table = new ArrayList<>();
        List<Integer> newSlots = new ArrayList<>();
        int rows = 0;
        for (int i = 0; i < n; i++) {
            int s = seqs[i][0];
            qStart[i] = rows;
            qLen[i] = seqs[i][1];
            kvLen[i] = seqs[i][2];
            slotStart[i] = table.size();
            for (int j = 0; j < kvLen[i]; j++) table.add(seqSlots[s][j]);
            for (int j = kvLen[i] - qLen[i]; j < kvLen[i]; j++) newSlots.add(seqSlots[s][j]);
            rows += qLen[i];
        }
        var batch = new AttentionBatch(qStart, qLen, kvLen, slotStart,
                table.stream().mapToInt(Integer::intValue).toArray(),
                newSlots.stream().mapToInt(Integer::intValue).toArray(), rows);

        // q, k and v as column views of one fused projection output, values large enough for a peaky softmax
        int qCols = c.heads() * c.headDim(), kCols = c.kvHeads() * c.headDim(), vCols = c.kvHeads() * c.vHeadDim();
        int width = qCols + kCols + vCols;
        float[] data = new float[rows * width];
        // q and k spread scores over a few units, so the softmax is peaky rather than flat
        float magnitude = c.exactKv() || c.kv() == DType.F32 ? 3 : 1;
        for (int i = 0; i < data.length; i++) {
            float x = (h.rnd.nextFloat() * 2 - 1) * magnitude;
            if (c.exactKv() && i % width >= qCols) x = Numerics.read(roundTrip(x, c.kv()), c.kv(), 0);
            data[i] = x;
        }
        var qkv = h.tensor(data, rows, width, 0);
        var out = h.tensor(rows, c.heads() * c.vHeadDim(), 2);
        for (boolean reference : new boolean[] {true, false}) {
            var t = reference ? qkv.ref() : qkv.fast();
            var backend = reference ? h.ref : h.fast;
            var args = new AttentionArgs(t.columns(0, qCols), t.columns(qCols, kCols), t.columns(qCols + kCols, vCols),
                    reference ? out.ref() : out.fast(), reference ? refCache : fastCache, layer,
                    c.heads(), c.kvHeads(), c.headDim(), c.vHeadDim(), c.scale(), c.window(), c.softCap());
            try (PreparedBatch prepared = backend.prepare(batch)) {
                backend.attention(args, prepared);
            }
        }
        assertClose(read(h.ref, out.ref(), rows), read(h.fast, out.fast(), rows), tol, c + " " + what);
    }

    private static MemorySegment roundTrip(float x, DType dtype) {
        MemorySegment one = MemorySegment.ofArray(new short[1]);
        Numerics.write(one, dtype, 0, x);
        return one;
    }
}
