package io.jsgl.backend.opencl;

import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import io.jsgl.backend.opencl.OpenClTestSupport.Pair;
import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.DType;
import io.jsgl.spi.KvCache;
import io.jsgl.spi.KvCacheSpec;
import io.jsgl.spi.PreparedBatch;
import io.jsgl.spi.op.AttentionArgs;
import io.jsgl.spi.op.LinearArgs;
import io.jsgl.spi.op.RopeArgs;
import io.jsgl.spi.rope.RopeConfig;
import io.jsgl.spi.rope.RopeScaling;
import io.jsgl.spi.rope.RopeStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Paged attention against the reference: ragged batches mixing a fresh prefill, an extend on a
 * cached prefix and decodes, over scattered slots, with GQA/MQA, sliding windows, soft-capping,
 * odd head sizes, f32/f16/bf16 KV storage and split-key (flash-decoding) launches.
 */
class OpenClAttentionTest {
    private static OpenClTestSupport s;

    @BeforeAll
    static void open() {
        // opencl.fuseRope (off by default): the qkv-linear cases below check the GEMV epilogue
        // opencl.decodeAttention (off by default): decode steps check attention_d
        s = new OpenClTestSupport(7, java.util.Map.of("opencl.fuseRope", "true", "opencl.decodeAttention", "true"));
    }

    @AfterAll
    static void close() {
        if (s != null) s.close();
        if (split != null) split.close();
    }

    record Shape(String name, int heads, int kvHeads, int headDim, int vHeadDim, int window, float softCap) {}

    private static final List<Shape> SHAPES = List.of(
            new Shape("mha hd=64", 4, 4, 64, 64, 0, 0),
            new Shape("gqa 8/2 hd=32", 8, 2, 32, 32, 0, 0),
            new Shape("mqa 6/1 hd=16", 6, 1, 16, 16, 0, 0),
            new Shape("gqa 12/1 hd=24 (head blocks)", 12, 1, 24, 24, 0, 0),
            new Shape("odd hd=6 vd=10", 2, 1, 6, 10, 0, 0),
            new Shape("sliding window 5", 4, 2, 32, 32, 5, 0),
            new Shape("soft-cap 5 (scores large)", 4, 2, 32, 32, 0, 5f),
            new Shape("window 16 + soft-cap 50, hd=128", 4, 2, 128, 128, 16, 50f),
            new Shape("hd=256 gqa 16/2", 16, 2, 256, 256, 0, 0));

    @TestFactory
    Stream<DynamicTest> attention() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Shape sh : SHAPES) {
            for (DType kv : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                if (kv != DType.F32 && !sh.name().startsWith("gqa 8/2") && !sh.name().startsWith("window")) continue;
                for (int split : new int[] {0, 7}) {
                    if (split != 0 && kv != DType.F32) continue;
                    tests.add(dynamicTest(sh.name() + " kv=" + kv + (split > 0 ? " split=" + split : ""),
                            () -> run(sh, kv, split, 40)));
                }
            }
        }
        tests.add(dynamicTest("long decode (auto key splits) gqa 4/2 kv=BF16",
                () -> run(new Shape("long", 4, 2, 32, 32, 0, 0), DType.BF16, 0, 520)));
        tests.add(dynamicTest("long decode, forced split 100 (several value chunks per split)",
                () -> run(new Shape("long split", 8, 2, 64, 64, 0, 0), DType.F32, 100, 300)));
        tests.add(dynamicTest("long decode with window 100 (auto splits)",
                () -> run(new Shape("long window", 4, 1, 32, 32, 100, 0), DType.F32, 0, 400)));
        // RoPE issued right before attention: the backend fuses it with the KV store
        tests.add(dynamicTest("rope + attention (fused rope/KV store) gqa 8/2 kv=BF16",
                () -> run(new Shape("rope", 8, 2, 32, 32, 0, 0), DType.BF16, 0, 40,
                        RopeConfig.create(RopeStyle.NEOX, 32, 10000, new RopeScaling.None()))));
        tests.add(dynamicTest("rope + attention, interleaved partial rotary hd=40/20, long decode",
                () -> run(new Shape("rope partial", 4, 1, 40, 40, 0, 0), DType.F32, 0, 300,
                        RopeConfig.create(RopeStyle.INTERLEAVED, 20, 10000, new RopeScaling.None()))));
        // decode steps take attention_d (ClDecodeAttention) by default; the split kernels stay checked with it off
        tests.add(dynamicTest("rope + attention, long decode over several chunk rounds a warp, gqa 8/2 hd=64 kv=BF16",
                () -> run(new Shape("rope long", 8, 2, 64, 64, 0, 0), DType.BF16, 0, 1100,
                        RopeConfig.create(RopeStyle.NEOX, 64, 500000, new RopeScaling.None()))));
        tests.add(dynamicTest("long decode, decode kernels off (auto key splits) gqa 4/2 kv=BF16", () -> {
            s.ocl.decodeAttention = false;
            s.ocl.splitDecode = false;
            try {
                run(new Shape("long", 4, 2, 32, 32, 0, 0), DType.BF16, 0, 520);
                run(new Shape("rope long", 8, 2, 64, 64, 0, 0), DType.F32, 0, 700,
                        RopeConfig.create(RopeStyle.NEOX, 64, 500000, new RopeScaling.None()));
            } finally {
                s.ocl.decodeAttention = true;
                s.ocl.splitDecode = true;
            }
        }));
        // attention_s (ClSplitAttention, the default for decode steps): the decode step of each run
        // (rows of 1, several splits and one), forced split lengths, RoPE fused or already applied
        RopeConfig neox32 = RopeConfig.create(RopeStyle.NEOX, 32, 10000, new RopeScaling.None());
        splitCase(tests, "gqa 8/2 hd=32 kv=F32 no rope", new Shape("s1", 8, 2, 32, 32, 0, 0), DType.F32, 16, 40, null);
        splitCase(tests, "gqa 8/2 hd=32 kv=BF16 rope, ~20 splits", new Shape("s2", 8, 2, 32, 32, 0, 0), DType.BF16, 16, 300,
                neox32);
        splitCase(tests, "gqa 4/1 hd=40 kv=F16 interleaved partial rope", new Shape("s3", 4, 1, 40, 40, 0, 0), DType.F16, 32,
                100, RopeConfig.create(RopeStyle.INTERLEAVED, 20, 10000, new RopeScaling.None()));
        splitCase(tests, "window 16 + soft-cap 50, hd=128 kv=F32", new Shape("s4", 4, 2, 128, 128, 16, 50f), DType.F32, 16,
                40, null);
        splitCase(tests, "gqa 16/2 hd=256 kv=BF16 rope", new Shape("s5", 16, 2, 256, 256, 0, 0), DType.BF16, 16, 40,
                RopeConfig.create(RopeStyle.NEOX, 256, 10000, new RopeScaling.None()));
        splitCase(tests, "mha 4/4 hd=64 kv=F32, split 64", new Shape("s6", 4, 4, 64, 64, 0, 0), DType.F32, 64, 150, null);
        splitCase(tests, "mqa 6/1 hd=16 kv=BF16 rope, split 32", new Shape("s7", 6, 1, 16, 16, 0, 0), DType.BF16, 32, 70,
                RopeConfig.create(RopeStyle.NEOX, 16, 10000, new RopeScaling.None()));
        splitCase(tests, "soft-cap 5, auto split, kv=F32", new Shape("s8", 4, 2, 32, 32, 0, 5f), DType.F32, 0, 90, null);
        splitCase(tests, "sliding window 5 hd=32 kv=BF16 rope", new Shape("s9", 4, 2, 32, 32, 5, 0), DType.BF16, 16, 40,
                neox32);
        // the merge loading 4 or 16 splits' partials at once (opencl.decodeMergeBatch; ~20 splits: 5 rounds, 2)
        splitCase(tests, "gqa 8/2 hd=32 kv=BF16 rope, ~20 splits, merge batch 4", new Shape("s10", 8, 2, 32, 32, 0, 0),
                DType.BF16, 16, 300, neox32, 4);
        splitCase(tests, "gqa 8/2 hd=64 kv=F16 rope, ~20 splits, merge batch 16", new Shape("s11", 8, 2, 64, 64, 0, 0),
                DType.F16, 16, 300, RopeConfig.create(RopeStyle.NEOX, 64, 10000, new RopeScaling.None()), 16);
        tests.add(dynamicTest("decode kernel without its RoPE/KV-store prologue, gqa 8/2 hd=64 kv=BF16", () -> {
            try (OpenClTestSupport plain = new OpenClTestSupport(9, java.util.Map.of("opencl.decodeAttention", "true",
                    "opencl.decodeAttentionRope", "false"))) {
                OpenClTestSupport saved = s;
                s = plain;
                try {
                    run(new Shape("rope long", 8, 2, 64, 64, 0, 0), DType.BF16, 0, 600,
                            RopeConfig.create(RopeStyle.NEOX, 64, 500000, new RopeScaling.None()));
                } finally {
                    s = saved;
                }
            }
        }));
        tests.add(dynamicTest("decode steps ran attention_d", () -> org.junit.jupiter.api.Assertions.assertTrue(
                s.ocl.programFlags().keySet().stream().anyMatch(p -> p.startsWith("attdec-")),
                "no attdec program was built: " + s.ocl.programFlags().keySet())));
        // q|k|v from a decode linear, then RoPE, then attention: the RoPE and KV store become the
        // GEMV's epilogue (gemvw_rope) where the step has at most opencl.gemvMaxRows rows
        tests.add(dynamicTest("qkv linear + rope + attention (GEMV epilogue) gqa 8/2 kv=BF16",
                () -> run(new Shape("qkv rope", 8, 2, 32, 32, 0, 0), DType.BF16, 0, 40,
                        RopeConfig.create(RopeStyle.NEOX, 32, 10000, new RopeScaling.None()), true)));
        tests.add(dynamicTest("qkv linear + rope + attention, interleaved partial rotary hd=40/20 kv=F16",
                () -> run(new Shape("qkv rope partial", 4, 1, 40, 40, 0, 0), DType.F16, 0, 70,
                        RopeConfig.create(RopeStyle.INTERLEAVED, 20, 10000, new RopeScaling.None()), true)));
        return tests.stream();
    }

    /** A run on a backend with default decode settings (attention_s), asserting that its program was built. */
    private static void splitCase(List<DynamicTest> tests, String name, Shape sh, DType kv, int splitKeys, int prefix,
                                  RopeConfig rope) {
        splitCase(tests, name, sh, kv, splitKeys, prefix, rope, 0);
    }

    private static void splitCase(List<DynamicTest> tests, String name, Shape sh, DType kv, int splitKeys, int prefix,
                                  RopeConfig rope, int mergeBatch) {
        tests.add(dynamicTest("attention_s: " + name, () -> {
            OpenClTestSupport saved = s;
            s = split();
            int keys = s.ocl.decodeSplitKeys;
            int batch = s.ocl.decodeMergeBatch;
            s.ocl.decodeSplitKeys = splitKeys;
            if (mergeBatch > 0) s.ocl.decodeMergeBatch = mergeBatch;
            try {
                run(sh, kv, 0, prefix, rope);
            } finally {
                s.ocl.decodeSplitKeys = keys;
                s.ocl.decodeMergeBatch = batch;
                s = saved;
            }
            org.junit.jupiter.api.Assertions.assertTrue(
                    split.ocl.programFlags().keySet().stream().anyMatch(p -> p.startsWith("attsplit-" + OpenClBackend
                            .dtypeCode(kv) + "-" + sh.headDim() + "-")), "attention_s did not run: " + split.ocl.programFlags());
        }));
    }

    private static OpenClTestSupport split;

    private static OpenClTestSupport split() {
        if (split == null) split = new OpenClTestSupport(11, java.util.Map.of());
        return split;
    }

    private static double tolerance(DType kv) {
        return switch (kv) {
            case F32 -> OpenClTestSupport.F32_TOL;
            case F16 -> OpenClTestSupport.F16_KV_TOL;
            default -> OpenClTestSupport.BF16_KV_TOL;
        };
    }

    /**
     * Step 1 prefills sequences A (prefixLen tokens) and B (11 tokens); step 2 is ragged: A
     * extends by 5 on its cached prefix, B decodes one token, C is a fresh 7-token prefill, D
     * a one-token sequence; step 3 decodes A, B and C. Slots are a random permutation.
     */
    private static void run(Shape sh, DType kvType, int split, int prefixLen) {
        run(sh, kvType, split, prefixLen, null);
    }

    private static void run(Shape sh, DType kvType, int split, int prefixLen, RopeConfig rope) {
        run(sh, kvType, split, prefixLen, rope, false);
    }

    private static void run(Shape sh, DType kvType, int split, int prefixLen, RopeConfig rope, boolean viaLinear) {
        int slots = prefixLen + 64;
        KvCacheSpec spec = new KvCacheSpec(2, slots, sh.kvHeads(), sh.headDim(), sh.vHeadDim(), kvType);
        KvCache refKv = s.ref.allocateKvCache(spec);
        KvCache oclKv = s.ocl.allocateKvCache(spec);
        int saved = s.ocl.attentionSplit;
        s.ocl.attentionSplit = split;
        try {
            Random r = new Random(prefixLen * 31L + sh.headDim());
            List<Integer> free = new ArrayList<>();
            for (int i = 0; i < slots; i++) free.add(i);
            java.util.Collections.shuffle(free, r);
            int[] a = take(free, prefixLen + 6);
            int[] b = take(free, 13);
            int[] c = take(free, 9);
            int[] d = take(free, 1);
            float scale = (float) (1 / Math.sqrt(sh.headDim()));
            int qkvW = (sh.heads() + sh.kvHeads()) * sh.headDim() + sh.kvHeads() * sh.vHeadDim();
            Linear lin = viaLinear ? new Linear(s.weight("qkv", DType.BF16, qkvW, HIDDEN, 1.0 / Math.sqrt(HIDDEN)),
                    s.vector("qkv bias", DType.F32, qkvW, 0.5, 0)) : null;
            if (sh.softCap() > 0) scale *= 8; // push scores into the cap's non-linear range

            step(sh, refKv, oclKv, scale, kvType, rope, lin, "prefill",
                    new int[][] {a, b}, new int[] {prefixLen, 11}, new int[] {prefixLen, 11});
            step(sh, refKv, oclKv, scale, kvType, rope, lin, "ragged extend+decode+prefill",
                    new int[][] {a, b, c, d}, new int[] {5, 1, 7, 1}, new int[] {prefixLen + 5, 12, 7, 1});
            step(sh, refKv, oclKv, scale, kvType, rope, lin, "decode",
                    new int[][] {a, b, c}, new int[] {1, 1, 1}, new int[] {prefixLen + 6, 13, 8});
            if (lin != null) {
                step(sh, refKv, oclKv, scale, kvType, rope, lin, "decode bs=1",
                        new int[][] {c}, new int[] {1}, new int[] {9});
                org.junit.jupiter.api.Assertions.assertTrue(
                        s.ocl.programFlags().keySet().stream().anyMatch(p -> p.startsWith("linrope-")),
                        "the RoPE + KV store did not run as the GEMV epilogue: " + s.ocl.programFlags().keySet());
            }
        } finally {
            s.ocl.attentionSplit = saved;
            oclKv.close();
            refKv.close();
        }
    }

    private static final int HIDDEN = 72;

    /** The q|k|v projection a step computes its q|k|v with (x random, HIDDEN wide). */
    private record Linear(OpenClTestSupport.WeightPair w, OpenClTestSupport.WeightPair bias) {}

    private static int[] take(List<Integer> free, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = free.removeLast();
        return out;
    }

    private static void step(Shape sh, KvCache refKv, KvCache oclKv, float scale, DType kvType, RopeConfig rope, Linear lin,
                             String what,
                             int[][] seqSlots, int[] qLen, int[] kvLen) {
        int n = seqSlots.length;
        int rows = 0;
        int tableLen = 0;
        for (int i = 0; i < n; i++) {
            rows += qLen[i];
            tableLen += kvLen[i] + 2;
        }
        int[] qStart = new int[n];
        int[] slotStart = new int[n];
        int[] table = new int[tableLen];
        int[] newSlots = new int[rows];
        int row = 0;
        int t = 0;
        for (int i = 0; i < n; i++) {
            qStart[i] = row;
            slotStart[i] = t + 1; // leave gaps so slotStart matters
            System.arraycopy(seqSlots[i], 0, table, slotStart[i], kvLen[i]);
            for (int j = 0; j < qLen[i]; j++) newSlots[row++] = seqSlots[i][kvLen[i] - qLen[i] + j];
            t += kvLen[i] + 2;
        }
        AttentionBatch batch = new AttentionBatch(qStart, qLen, kvLen, slotStart, table, newSlots, rows);
        int qw = sh.heads() * sh.headDim();
        int kw = sh.kvHeads() * sh.headDim();
        int vw = sh.kvHeads() * sh.vHeadDim();
        // q|k|v as views of one fused buffer, like the models build them
        Pair qkv = s.randomTensor(rows + 2, qw + kw + vw);
        Pair q = qkv.columns(0, qw);
        Pair k = qkv.columns(qw, kw);
        Pair v = qkv.columns(qw + kw, vw);
        for (int layer = 0; layer < 2; layer++) {
            Pair out = s.tensor(rows + 2, sh.heads() * sh.vHeadDim(), new float[(rows + 2) * sh.heads() * sh.vHeadDim()]);
            try (PreparedBatch rp = s.ref.prepare(batch); PreparedBatch op = s.ocl.prepare(batch)) {
                if (rope != null) {
                    int[] pos = new int[rows];
                    int rr = 0;
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < qLen[i]; j++) pos[rr++] = batch.position(i, j);
                    }
                    Pair p = s.ints(pos);
                    if (lin != null) {
                        // uploads first: an upload launches the deferred op
                        Pair x = s.randomTensor(rows, HIDDEN);
                        s.ref.linear(new LinearArgs(x.ref(), lin.w().ref(), lin.bias().ref(), qkv.ref()), rows);
                        s.ocl.linear(new LinearArgs(x.ocl(), lin.w().ocl(), lin.bias().ocl(), qkv.ocl()), rows);
                    }
                    s.ref.rope(new RopeArgs(q.ref(), k.ref(), p.ref(), sh.heads(), sh.kvHeads(), sh.headDim(), rope), rows);
                    s.ocl.rope(new RopeArgs(q.ocl(), k.ocl(), p.ocl(), sh.heads(), sh.kvHeads(), sh.headDim(), rope), rows);
                }
                s.ref.attention(new AttentionArgs(q.ref(), k.ref(), v.ref(), out.ref(), refKv, layer, sh.heads(),
                        sh.kvHeads(), sh.headDim(), sh.vHeadDim(), scale, sh.window(), sh.softCap()), rp);
                s.ocl.attention(new AttentionArgs(q.ocl(), k.ocl(), v.ocl(), out.ocl(), oclKv, layer, sh.heads(),
                        sh.kvHeads(), sh.headDim(), sh.vHeadDim(), scale, sh.window(), sh.softCap()), op);
            }
            s.assertClose(out, rows, tolerance(kvType), what + " layer " + layer);
            if (rope != null) s.assertClose(qkv, rows, OpenClTestSupport.F32_TOL, what + " rotated q|k|v layer " + layer);
        }
    }
}
