package io.jsgl.backend.amx;

import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.DType;
import io.jsgl.spi.KvCache;
import io.jsgl.spi.KvCacheSpec;
import io.jsgl.spi.PreparedBatch;
import io.jsgl.spi.op.AttentionArgs;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Paged attention against the reference: a prefill of two sequences (one reusing a cached
 * prefix), then a decode step of both, with GQA, sliding window, soft-cap, a value width unlike
 * the key width and every KV dtype. Sequences of at least {@code amx.attention-min-rows} (16) new
 * rows run on oneDNN in bf16 and are held to the bf16 bound (1e-2 max, NMSE 1e-4); shorter ones
 * (decode) on the shared f32 kernel, held to the KV dtype's bound.
 */
class AttentionTest {

    record Variant(String label, int heads, int kvHeads, int hd, int vd, int window, float cap, DType kv) {
        @Override
        public String toString() {
            return label;
        }
    }

    static Stream<Arguments> variants() {
        return Stream.of(
                new Variant("gqa-f32", 8, 2, 64, 64, 0, 0, DType.F32),
                new Variant("mha-bf16kv", 4, 4, 32, 32, 0, 0, DType.BF16),
                new Variant("window-softcap-f16kv", 4, 2, 48, 48, 7, 20f, DType.F16),
                new Variant("vd-differs", 6, 2, 40, 24, 0, 0, DType.F32)).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void prefillThenDecode(Variant v) {
        double tol = v.kv == DType.F32 ? 2e-5 : v.kv == DType.F16 ? 2e-3 : Harness.BF16_TOL;
        try (Harness h = new Harness(v.label.hashCode())) {
            KvCacheSpec spec = new KvCacheSpec(2, 128, v.kvHeads, v.hd, v.vd, v.kv);
            KvCache refCache = h.ref.allocateKvCache(spec);
            KvCache amxCache = h.amx.allocateKvCache(spec);
            // sequence A: 37 tokens in scattered slots, 37 new; sequence B: 20 cached + 13 new
            int[] slotsA = new int[40];
            for (int i = 0; i < slotsA.length; i++) slotsA[i] = 127 - 3 * i;
            int[] slotsB = new int[40];
            for (int i = 0; i < slotsB.length; i++) slotsB[i] = 2 * i + (i % 2);
            // warm B's first 20 tokens as an earlier prefill
            step(h, v, refCache, amxCache, tol, new int[][] {slotsB}, new int[] {20}, new int[] {20}, "B prefix");
            step(h, v, refCache, amxCache, tol, new int[][] {slotsA, slotsB}, new int[] {37, 33}, new int[] {37, 13},
                    "extend");
            step(h, v, refCache, amxCache, tol, new int[][] {slotsA, slotsB}, new int[] {38, 34}, new int[] {1, 1},
                    "decode");
            refCache.close();
            amxCache.close();
        }
    }

    /**
     * Decode rows of three sequences whose first 140 keys are the same slots (one radix-cache prefix),
     * beside a fourth that shares nothing: the shared kernel's cascade pass walks 128 of those keys
     * once for the three, each continues alone from its state. Prefill steps stay under 16 rows per
     * sequence, so every step runs on the Java kernel and the f32 bound applies.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void decodeRowsSharingAPrefix(Variant v) {
        if (v.window > 0) return; // sharing is off under a sliding window; covered by the other tests
        double tol = v.kv == DType.F32 ? 2e-5 : v.kv == DType.F16 ? 2e-3 : Harness.BF16_TOL;
        try (Harness h = new Harness(v.label.hashCode() + 7)) {
            KvCacheSpec spec = new KvCacheSpec(2, 512, v.kvHeads, v.hd, v.vd, v.kv);
            KvCache refCache = h.ref.allocateKvCache(spec);
            KvCache amxCache = h.amx.allocateKvCache(spec);
            // disjoint slot ranges: the shared prefix 300..439, each sibling's own 20 keys from 20*s, the outsider 100..259
            int[][] slots = new int[4][160];
            for (int s = 0; s < 3; s++) {
                for (int i = 0; i < 160; i++) slots[s][i] = i < 140 ? 300 + i : 20 * s + i - 140;
            }
            for (int i = 0; i < 160; i++) slots[3][i] = 100 + i;
            // the shared prefix in steps of 14 rows (under the oneDNN threshold), then each sibling's own rows
            for (int t = 14; t <= 140; t += 14) {
                step(h, v, refCache, amxCache, tol, new int[][] {slots[0]}, new int[] {t}, new int[] {14}, "prefix " + t);
            }
            step(h, v, refCache, amxCache, tol, new int[][] {slots[1], slots[2], slots[3]}, new int[] {145, 150, 10},
                    new int[] {5, 10, 10}, "siblings extend");
            step(h, v, refCache, amxCache, tol, new int[][] {slots[0], slots[1], slots[2], slots[3]},
                    new int[] {141, 146, 151, 11}, new int[] {1, 1, 1, 1}, "decode");
            refCache.close();
            amxCache.close();
        }
    }

    /** Longer than one 64-key block, chunked prefill then decode, with and without a sliding window. */
    @org.junit.jupiter.params.ParameterizedTest(name = "window={0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 80})
    void longSequenceAcrossKeyBlocks(int window) {
        Variant v = new Variant("long-w" + window, 8, 2, 64, 64, window, 0, DType.BF16);
        try (Harness h = new Harness(window + 5)) {
            KvCacheSpec spec = new KvCacheSpec(2, 256, v.kvHeads, v.hd, v.vd, v.kv);
            KvCache refCache = h.ref.allocateKvCache(spec);
            KvCache amxCache = h.amx.allocateKvCache(spec);
            int[] slots = new int[200];
            for (int i = 0; i < slots.length; i++) slots[i] = (i * 37) % 256;
            step(h, v, refCache, amxCache, Harness.BF16_TOL, new int[][] {slots}, new int[] {90}, new int[] {90}, "chunk 1");
            step(h, v, refCache, amxCache, Harness.BF16_TOL, new int[][] {slots}, new int[] {170}, new int[] {80}, "chunk 2");
            step(h, v, refCache, amxCache, Harness.BF16_TOL, new int[][] {slots}, new int[] {171}, new int[] {1}, "decode");
            refCache.close();
            amxCache.close();
        }
    }

    /**
     * One decode row with a single KV head has one chunk for two threads, so the shared kernel
     * splits its 600+ keys into parts (flash-decoding) and merges their softmax states; the parts'
     * borders fall inside and between key blocks, and the window starts mid-context.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("mqaVariants")
    void decodeSplitsLongContextAcrossThreads(Variant v) {
        double tol = v.kv == DType.F32 ? 2e-5 : v.kv == DType.F16 ? 2e-3 : Harness.BF16_TOL;
        try (Harness h = new Harness(v.label.hashCode() + 13, java.util.Map.of("amx.attention-min-rows", "100000"))) {
            KvCacheSpec spec = new KvCacheSpec(2, 1024, v.kvHeads, v.hd, v.vd, v.kv);
            KvCache refCache = h.ref.allocateKvCache(spec);
            KvCache amxCache = h.amx.allocateKvCache(spec);
            int[] slots = new int[700];
            for (int i = 0; i < slots.length; i++) slots[i] = (i * 5 + 11) % 1024;
            step(h, v, refCache, amxCache, tol, new int[][] {slots}, new int[] {601}, new int[] {601}, "prefill");
            for (int t = 602; t <= 604; t++) {
                step(h, v, refCache, amxCache, tol, new int[][] {slots}, new int[] {t}, new int[] {1}, "decode at " + t);
            }
            refCache.close();
            amxCache.close();
        }
    }

    static Stream<Arguments> mqaVariants() {
        return Stream.of(
                new Variant("mqa-f32", 4, 1, 64, 64, 0, 0, DType.F32),
                new Variant("mqa-window-softcap-bf16kv", 4, 1, 64, 64, 200, 30f, DType.BF16),
                new Variant("mqa-vd-differs-f16kv", 2, 1, 40, 24, 0, 0, DType.F16)).map(Arguments::of);
    }

    /** A mixed batch: a 300-row prefill over 3 query blocks with a 40-token cached prefix, next to decodes (OpenMP batched products). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void longPrefillBesideDecodes(Variant v) {
        longPrefillBesideDecodes(v, java.util.Map.of("amx.gemm-driver", "omp"));
    }

    /** The same with the Java GEMM driver (the default): the products run as (KV head, query block) tasks on the workers. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void longPrefillBesideDecodesOnWorkers(Variant v) {
        longPrefillBesideDecodes(v, java.util.Map.of("amx.gemm-driver", "java"));
    }

    private static void longPrefillBesideDecodes(Variant v, java.util.Map<String, String> props) {
        try (Harness h = new Harness(v.label.hashCode() + 11, props)) {
            KvCacheSpec spec = new KvCacheSpec(2, 512, v.kvHeads, v.hd, v.vd, v.kv);
            KvCache refCache = h.ref.allocateKvCache(spec);
            KvCache amxCache = h.amx.allocateKvCache(spec);
            // distinct scattered slots: a permutation of the pool split between three sequences
            int[] perm = new int[512];
            for (int i = 0; i < perm.length; i++) perm[i] = (i * 7 + 3) % 512;
            int[] a = java.util.Arrays.copyOfRange(perm, 0, 340);
            int[] b = java.util.Arrays.copyOfRange(perm, 340, 380);
            int[] c = java.util.Arrays.copyOfRange(perm, 380, 420);
            step(h, v, refCache, amxCache, 0, new int[][] {a, b, c}, new int[] {40, 30, 20}, new int[] {40, 30, 20},
                    "prefixes");
            step(h, v, refCache, amxCache, 0, new int[][] {b, a, c}, new int[] {31, 340, 21}, new int[] {1, 300, 1},
                    "decode + 300-row prefill + decode");
            String impl = h.amx.attentionImplementation();
            // a sliding window under DnnlAttention.MIN_WINDOW keys stays on the Java kernel
            boolean expectOnednn = v.window == 0 || v.window >= DnnlAttention.MIN_WINDOW;
            org.junit.jupiter.api.Assertions.assertEquals(expectOnednn, impl != null,
                    "oneDNN attention primitive created: " + impl);
            if (impl == null) return;
            org.junit.jupiter.api.Assertions.assertFalse(impl.startsWith("ref"),
                    "oneDNN runs the attention products on its reference kernel: " + impl);
            refCache.close();
            amxCache.close();
        }
    }

    /** With {@code amx.attention-min-rows=0} every sequence runs on the f32 Java kernel, held to the f32 bound. */
    @org.junit.jupiter.api.Test
    void javaKernelOnlyKeepsF32Precision() {
        Variant v = new Variant("java-only", 8, 2, 64, 64, 0, 0, DType.F32);
        try (Harness h = new Harness(3, java.util.Map.of("amx.attention-min-rows", "0"))) {
            KvCacheSpec spec = new KvCacheSpec(2, 128, v.kvHeads, v.hd, v.vd, v.kv);
            KvCache refCache = h.ref.allocateKvCache(spec);
            KvCache amxCache = h.amx.allocateKvCache(spec);
            int[] slots = new int[100];
            for (int i = 0; i < slots.length; i++) slots[i] = 99 - i;
            step(h, v, refCache, amxCache, 2e-5, Double.POSITIVE_INFINITY, new int[][] {slots}, new int[] {90},
                    new int[] {90}, "prefill on the Java kernel");
            refCache.close();
            amxCache.close();
        }
    }

    /** The bound for a step: bf16 (with NMSE) when any sequence runs on oneDNN, else {@code kvTol}. */
    private static void step(Harness h, Variant v, KvCache refCache, KvCache amxCache, double kvTol, int[][] slots,
                             int[] kvLen, int[] qLen, String what) {
        boolean onednn = java.util.Arrays.stream(qLen).anyMatch(q -> q >= 16);
        double tol = v.kv == DType.F32 ? 2e-5 : v.kv == DType.F16 ? 2e-3 : Harness.BF16_TOL;
        if (kvTol > 0) tol = kvTol;
        if (onednn) tol = Math.max(tol, Harness.BF16_TOL);
        step(h, v, refCache, amxCache, tol, onednn ? Harness.BF16_NMSE : Double.POSITIVE_INFINITY, slots, kvLen, qLen,
                what);
    }

    private static void step(Harness h, Variant v, KvCache refCache, KvCache amxCache, double tol, double nmseTol,
                             int[][] slots, int[] kvLen, int[] qLen, String what) {
        int n = slots.length;
        int[] qStart = new int[n];
        int[] slotStart = new int[n];
        int rows = 0;
        int tableLen = 0;
        for (int s = 0; s < n; s++) {
            qStart[s] = rows;
            rows += qLen[s];
            slotStart[s] = tableLen;
            tableLen += kvLen[s];
        }
        int[] table = new int[tableLen];
        int[] newSlots = new int[rows];
        for (int s = 0; s < n; s++) {
            System.arraycopy(slots[s], 0, table, slotStart[s], kvLen[s]);
            for (int i = 0; i < qLen[s]; i++) newSlots[qStart[s] + i] = slots[s][kvLen[s] - qLen[s] + i];
        }
        AttentionBatch batch = new AttentionBatch(qStart, qLen, kvLen, slotStart, table, newSlots, rows);
        var q = h.tensor(rows, v.heads * v.hd, 3);
        var k = h.tensor(rows, v.kvHeads * v.hd, 0);
        var val = h.tensor(rows, v.kvHeads * v.vd, 1);
        var out = h.tensor(rows, v.heads * v.vd, 0);
        float scale = (float) (1 / Math.sqrt(v.hd));
        for (int layer : List.of(0, 1)) {
            h.ref.attention(new AttentionArgs(q.ref(), k.ref(), val.ref(), out.ref(), refCache, layer, v.heads,
                    v.kvHeads, v.hd, v.vd, scale, v.window, v.cap), PreparedBatch.host(batch));
            h.amx.attention(new AttentionArgs(q.amx(), k.amx(), val.amx(), out.amx(), amxCache, layer, v.heads,
                    v.kvHeads, v.hd, v.vd, scale, v.window, v.cap), h.amx.prepare(batch));
            h.assertClose(out, tol, nmseTol, "attention " + v + " " + what + " layer " + layer);
        }
    }
}
