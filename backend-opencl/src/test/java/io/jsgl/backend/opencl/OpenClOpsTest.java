package io.jsgl.backend.opencl;

import static io.jsgl.backend.opencl.OpenClTestSupport.F32_TOL;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import io.jsgl.backend.opencl.OpenClTestSupport.Pair;
import io.jsgl.backend.opencl.OpenClTestSupport.WeightPair;
import io.jsgl.spi.DType;
import io.jsgl.spi.HostTensor;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.op.Activation;
import io.jsgl.spi.op.AddArgs;
import io.jsgl.spi.op.EmbeddingArgs;
import io.jsgl.spi.op.GatedActivationArgs;
import io.jsgl.spi.op.GatherRowsArgs;
import io.jsgl.spi.op.LinearArgs;
import io.jsgl.spi.op.RmsNormArgs;
import io.jsgl.spi.op.RopeArgs;
import io.jsgl.spi.op.SoftCapArgs;
import io.jsgl.spi.rope.RopeConfig;
import io.jsgl.spi.rope.RopeScaling;
import io.jsgl.spi.rope.RopeStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every row op and linear layer against the reference backend over awkward shapes and dtypes. */
class OpenClOpsTest {
    private static OpenClTestSupport s;

    @BeforeAll
    static void open() {
        s = new OpenClTestSupport(42);
    }

    @AfterAll
    static void close() {
        if (s != null) s.close();
    }

    private static final DType[] WEIGHT_TYPES = {DType.F32, DType.F16, DType.BF16};

    /**
     * rows x K x N: 1..4 rows take GEMV, 5..64 the small-tile GEMM, more the large-tile GEMM;
     * K and N not multiples of 8/16 (K odd forces padded weight rows and scalar tails).
     */
    private static final int[][] LINEAR_SHAPES = {
            {1, 13, 7}, {1, 64, 33}, {2, 7, 5}, {3, 100, 70}, {4, 256, 129}, {1, 1000, 300},
            {5, 37, 61}, {17, 129, 200}, {64, 72, 96}, {65, 300, 131}, {130, 257, 263}, {200, 64, 16}};

    @TestFactory
    Stream<DynamicTest> linear() {
        List<DynamicTest> tests = new ArrayList<>();
        for (DType dt : WEIGHT_TYPES) {
            for (int[] sh : LINEAR_SHAPES) {
                for (boolean bias : new boolean[] {false, true}) {
                    if (bias && sh[0] % 2 == 0) continue;
                    tests.add(dynamicTest("linear " + dt + " rows=" + sh[0] + " K=" + sh[1] + " N=" + sh[2]
                            + (bias ? " +bias" : ""), () -> linearCase(dt, sh[0], sh[1], sh[2], bias, false)));
                }
            }
            tests.add(dynamicTest("linear " + dt + " strided views rows=3", () -> linearCase(dt, 3, 40, 24, true, true)));
            tests.add(dynamicTest("linear " + dt + " strided views rows=70", () -> linearCase(dt, 70, 40, 24, false, true)));
        }
        return tests.stream();
    }

    private static void linearCase(DType dt, int rows, int k, int n, boolean withBias, boolean strided) {
        int cap = rows + 3;
        WeightPair w = s.weight("w", dt, n, k, 1.0 / Math.sqrt(k));
        WeightPair b = withBias ? s.vector("b", dt, n, 0.5, 0) : null;
        Pair x;
        Pair out;
        if (strided) {
            // x is the middle columns of a wider buffer, out the tail columns of another
            x = s.randomTensor(cap, k + 11).columns(5, k);
            out = s.randomTensor(cap, n + 9).columns(9, n);
        } else {
            x = s.randomTensor(cap, k);
            out = s.tensor(cap, n, new float[cap * n]);
        }
        float[] before = s.read(s.ocl, out.ocl(), cap);
        s.ref.linear(new LinearArgs(x.ref(), w.ref(), b == null ? null : b.ref(), out.ref()), rows);
        s.ocl.linear(new LinearArgs(x.ocl(), w.ocl(), b == null ? null : b.ocl(), out.ocl()), rows);
        s.assertClose(out, rows, F32_TOL, "linear");
        if (!strided) s.assertUntouched(out, rows, before);
    }

    /**
     * The bf16 tensor-core GEMM (mma.sync on NVIDIA; on other devices its portable stand-in, which
     * checks staging, hi/lo split, tails and epilogue) forced on for every prefill-sized case.
     */
    @TestFactory
    Stream<DynamicTest> tensorCoreGemm() {
        int[][] shapes = {{65, 300, 131}, {130, 257, 263}, {200, 64, 16}, {129, 40, 1000}, {300, 1000, 129}};
        return Stream.of(shapes).map(sh -> dynamicTest("tensor-core linear bf16 rows=" + sh[0] + " K=" + sh[1]
                + " N=" + sh[2], () -> {
            OpenClTestSupport.assumeTensorCoresAllowed();
            try (OpenClTestSupport tc = new OpenClTestSupport(sh[0], java.util.Map.of("opencl.tensorCores", "on"))) {
                WeightPair w = tc.weight("w", DType.BF16, sh[2], sh[1], 1.0 / Math.sqrt(sh[1]));
                WeightPair b = tc.vector("b", DType.BF16, sh[2], 0.5, 0);
                Pair x = tc.randomTensor(sh[0] + 1, sh[1] + 3).columns(2, sh[1]);
                Pair out = tc.tensor(sh[0] + 1, sh[2], new float[(sh[0] + 1) * sh[2]]);
                float[] before = tc.read(tc.ocl, out.ocl(), sh[0] + 1);
                tc.ref.linear(new LinearArgs(x.ref(), w.ref(), b.ref(), out.ref()), sh[0]);
                tc.ocl.linear(new LinearArgs(x.ocl(), w.ocl(), b.ocl(), out.ocl()), sh[0]);
                tc.assertClose(out, sh[0], F32_TOL, "tensor-core linear");
                tc.assertUntouched(out, sh[0], before);
            }
        }));
    }

    /** K split into many slices (forced with a high work-group target), with bias, every GEMM kernel. */
    @TestFactory
    Stream<DynamicTest> splitK() {
        int[][] shapes = {{5, 1000, 70}, {40, 777, 33}, {70, 2000, 100}, {130, 513, 250}};
        List<DynamicTest> tests = new ArrayList<>();
        for (String tc : new String[] {"off", "on"}) {
            for (int[] sh : shapes) {
                tests.add(dynamicTest("split-K rows=" + sh[0] + " K=" + sh[1] + " N=" + sh[2] + " tensorCores=" + tc, () -> {
                    if (tc.equals("on")) OpenClTestSupport.assumeTensorCoresAllowed();
                    // with tensor cores on, every row count above the GEMV's takes the tensor-core kernel
                    var props = java.util.Map.of("opencl.splitTarget", "64", "opencl.tensorCores", tc,
                            "opencl.gemvMaxRows", "4", "opencl.smallGemmMaxRows", tc.equals("on") ? "4" : "64");
                    try (OpenClTestSupport ts = new OpenClTestSupport(sh[1], props)) {
                        WeightPair w = ts.weight("w", DType.BF16, sh[2], sh[1], 0.05);
                        WeightPair b = ts.vector("b", DType.F32, sh[2], 0.5, 0);
                        Pair x = ts.randomTensor(sh[0], sh[1]);
                        Pair out = ts.randomTensor(sh[0] + 1, sh[2] + 4).columns(2, sh[2]);
                        ts.ref.linear(new LinearArgs(x.ref(), w.ref(), b.ref(), out.ref()), sh[0]);
                        ts.ocl.linear(new LinearArgs(x.ocl(), w.ocl(), b.ocl(), out.ocl()), sh[0]);
                        ts.assertClose(out, sh[0], F32_TOL, "split-K");
                    }
                }));
            }
        }
        return tests.stream();
    }

    /** Other GEMV shapes (opencl.gemvOutputs) and up to 8 rows (two passes) give the same result. */
    @TestFactory
    Stream<DynamicTest> gemvConfigs() {
        return Stream.of("8").map(outs -> dynamicTest("gemv outputs/group=" + outs + " rows<=8", () -> {
            var props = java.util.Map.of("opencl.gemvOutputs", outs, "opencl.gemvMaxRows", "8");
            try (OpenClTestSupport ts = new OpenClTestSupport(5, props)) {
                for (int[] sh : new int[][] {{1, 2100, 37}, {3, 64, 9}, {7, 301, 70}, {8, 4096, 19}}) {
                    WeightPair w = ts.weight("w", DType.BF16, sh[2], sh[1], 0.05);
                    Pair x = ts.randomTensor(sh[0], sh[1]);
                    Pair out = ts.tensor(sh[0], sh[2], new float[sh[0] * sh[2]]);
                    ts.ref.linear(new LinearArgs(x.ref(), w.ref(), null, out.ref()), sh[0]);
                    ts.ocl.linear(new LinearArgs(x.ocl(), w.ocl(), null, out.ocl()), sh[0]);
                    ts.assertClose(out, sh[0], F32_TOL, "gemv rows=" + sh[0]);
                }
            }
        }));
    }

    /** Other GEMM tile configurations (opencl.gemmL / opencl.gemmS) compute the same result. */
    @TestFactory
    Stream<DynamicTest> gemmTileConfigs() {
        // each configuration is another program build (seconds on PoCL): one with TM != TN
        String[] tiles = {"64,128,16,4,8"};
        return Stream.of(tiles).map(t -> dynamicTest("gemm tile " + t, () -> {
            var props = java.util.Map.of("opencl.gemmL", t, "opencl.gemmS", t, "opencl.tensorCores", "off");
            try (OpenClTestSupport ts = new OpenClTestSupport(3, props)) {
                for (int rows : new int[] {9, 70}) {
                    WeightPair w = ts.weight("w", DType.BF16, 150, 77, 0.1);
                    Pair x = ts.randomTensor(rows, 77);
                    Pair out = ts.tensor(rows, 150, new float[rows * 150]);
                    ts.ref.linear(new LinearArgs(x.ref(), w.ref(), null, out.ref()), rows);
                    ts.ocl.linear(new LinearArgs(x.ocl(), w.ocl(), null, out.ocl()), rows);
                    ts.assertClose(out, rows, F32_TOL, "tile " + t + " rows=" + rows);
                }
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> fusedWeight() {
        return Stream.of(DType.BF16, DType.F32).map(dt -> dynamicTest("fused q|k|v weight and bias " + dt, () -> {
            int k = 24;
            List<HostTensor> parts = List.of(s.hostTensor("q", dt, new long[] {16, k}, 0.2),
                    s.hostTensor("k", dt, new long[] {8, k}, 0.2), s.hostTensor("v", dt, new long[] {8, k}, 0.2));
            WeightPair w = s.weight(new WeightSpec("qkv", parts, WeightUse.LINEAR));
            List<HostTensor> biases = List.of(s.hostTensor("qb", dt, new long[] {16}, 0.2),
                    s.hostTensor("kb", dt, new long[] {8}, 0.2), s.hostTensor("vb", dt, new long[] {8}, 0.2));
            WeightPair b = s.weight(new WeightSpec("qkv.bias", biases, WeightUse.VECTOR));
            for (int rows : new int[] {1, 6, 70}) {
                Pair x = s.randomTensor(rows, k);
                Pair out = s.tensor(rows, 32, new float[rows * 32]);
                s.ref.linear(new LinearArgs(x.ref(), w.ref(), b.ref(), out.ref()), rows);
                s.ocl.linear(new LinearArgs(x.ocl(), w.ocl(), b.ocl(), out.ocl()), rows);
                s.assertClose(out, rows, F32_TOL, "fused linear rows=" + rows);
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> embedding() {
        List<DynamicTest> tests = new ArrayList<>();
        for (DType dt : WEIGHT_TYPES) {
            for (int cols : new int[] {13, 64}) {
                tests.add(dynamicTest("embedding " + dt + " cols=" + cols, () -> {
                    int vocab = 50;
                    HostTensor t = s.hostTensor("emb", dt, new long[] {vocab, cols}, 1.0);
                    WeightPair w = s.weight(new WeightSpec("emb", List.of(t), WeightUse.EMBEDDING));
                    int[] ids = {0, 49, 7, 7, 23};
                    Pair idt = s.ints(ids);
                    Pair out = s.tensor(ids.length + 2, cols, new float[(ids.length + 2) * cols]);
                    s.ref.embedding(new EmbeddingArgs(w.ref(), idt.ref(), out.ref(), 1.7f), ids.length);
                    s.ocl.embedding(new EmbeddingArgs(w.ocl(), idt.ocl(), out.ocl(), 1.7f), ids.length);
                    s.assertClose(out, ids.length, F32_TOL, "embedding");
                    // the same table as a tied LM head (padded rows when cols is odd)
                    Pair x = s.randomTensor(3, cols);
                    Pair logits = s.tensor(3, vocab, new float[3 * vocab]);
                    s.ref.linear(new LinearArgs(x.ref(), w.ref(), null, logits.ref()), 3);
                    s.ocl.linear(new LinearArgs(x.ocl(), w.ocl(), null, logits.ocl()), 3);
                    s.assertClose(logits, 3, F32_TOL, "tied head");
                }));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> rmsNorm() {
        List<DynamicTest> tests = new ArrayList<>();
        int[][] shapes = {{1, 64, 64}, {3, 100, 100}, {5, 1000, 1000}, {4, 96, 24}, {2, 6, 3}, {7, 640, 128}, {1, 2048, 2048},
                {2, 5000, 5000}};
        for (DType dt : WEIGHT_TYPES) {
            for (int[] sh : shapes) {
                for (boolean residual : new boolean[] {false, true}) {
                    float offset = sh[1] % 2 == 0 && residual ? 1f : 0f;
                    tests.add(dynamicTest("rmsNorm " + dt + " rows=" + sh[0] + " cols=" + sh[1] + " group=" + sh[2]
                            + (residual ? " +residual" : "") + " offset=" + offset, () -> {
                        int rows = sh[0];
                        int cols = sh[1];
                        int g = sh[2];
                        WeightPair w = s.vector("norm", dt, g, 0.3, offset == 0 ? 1.0 : 0.0);
                        Pair x = s.randomTensor(rows + 1, cols);
                        Pair res = residual ? s.randomTensor(rows + 1, cols) : null;
                        Pair out = s.tensor(rows + 1, cols, new float[(rows + 1) * cols]);
                        s.ref.rmsNorm(new RmsNormArgs(x.ref(), res == null ? null : res.ref(), w.ref(), 1e-6f, offset, g,
                                out.ref()), rows);
                        s.ocl.rmsNorm(new RmsNormArgs(x.ocl(), res == null ? null : res.ocl(), w.ocl(), 1e-6f, offset, g,
                                out.ocl()), rows);
                        s.assertClose(out, rows, F32_TOL, "rmsNorm out");
                        if (res != null) s.assertClose(res, rows, F32_TOL, "rmsNorm residual");
                    }));
                }
            }
        }
        tests.add(dynamicTest("rmsNorm in place on a strided q view (q-norm)", () -> {
            int rows = 3;
            Pair qkv = s.randomTensor(rows, 4 * 16 + 2 * 2 * 16);
            Pair q = qkv.columns(0, 64);
            WeightPair w = s.vector("qn", DType.BF16, 16, 0.3, 1.0);
            s.ref.rmsNorm(new RmsNormArgs(q.ref(), null, w.ref(), 1e-6f, 0f, 16, q.ref()), rows);
            s.ocl.rmsNorm(new RmsNormArgs(q.ocl(), null, w.ocl(), 1e-6f, 0f, 16, q.ocl()), rows);
            s.assertClose(qkv, rows, F32_TOL, "q-norm in place");
        }));
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> rope() {
        List<DynamicTest> tests = new ArrayList<>();
        record Case(String name, RopeStyle style, int headDim, int rotary, int qHeads, int kHeads, RopeScaling scaling) {}
        List<Case> cases = List.of(
                new Case("neox", RopeStyle.NEOX, 64, 64, 4, 2, new RopeScaling.None()),
                new Case("interleaved", RopeStyle.INTERLEAVED, 32, 32, 3, 1, new RopeScaling.None()),
                new Case("neox partial rotary", RopeStyle.NEOX, 40, 20, 2, 2, new RopeScaling.None()),
                new Case("interleaved partial rotary", RopeStyle.INTERLEAVED, 24, 8, 2, 1, new RopeScaling.None()),
                new Case("llama3 scaling", RopeStyle.NEOX, 64, 64, 2, 1, new RopeScaling.Llama3(8, 1, 4, 8192)),
                new Case("yarn (attention factor)", RopeStyle.NEOX, 32, 32, 2, 2,
                        new RopeScaling.Yarn(4, 4096, 32, 1, null, null, null, false)),
                new Case("q only", RopeStyle.NEOX, 16, 16, 3, 0, new RopeScaling.None()));
        for (Case c : cases) {
            tests.add(dynamicTest("rope " + c.name(), () -> {
                RopeConfig cfg = RopeConfig.create(c.style(), c.rotary(), 500000, c.scaling());
                int[] pos = {0, 1, 2, 17, 511, 4095, 32767, 131071};
                int rows = pos.length;
                int qw = c.qHeads() * c.headDim();
                int kw = c.kHeads() * c.headDim();
                Pair qkv = s.randomTensor(rows, qw + kw + 3);
                Pair q = qkv.columns(0, qw);
                Pair k = c.kHeads() == 0 ? null : qkv.columns(qw, kw);
                Pair p = s.ints(pos);
                s.ref.rope(new RopeArgs(q.ref(), k == null ? null : k.ref(), p.ref(), c.qHeads(), c.kHeads(), c.headDim(), cfg), rows);
                s.ocl.rope(new RopeArgs(q.ocl(), k == null ? null : k.ocl(), p.ocl(), c.qHeads(), c.kHeads(), c.headDim(), cfg), rows);
                s.assertClose(qkv, rows, F32_TOL, "rope");
            }));
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> rowOps() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Activation act : Activation.values()) {
            for (int cols : new int[] {5, 300}) {
                tests.add(dynamicTest("gated " + act + " cols=" + cols, () -> {
                    int rows = 6;
                    Pair gu = s.tensor(rows + 1, 2 * cols, s.gaussian((rows + 1) * 2 * cols, 3.0));
                    Pair out = s.tensor(rows + 1, cols, new float[(rows + 1) * cols]);
                    s.ref.gatedActivation(new GatedActivationArgs(gu.columns(0, cols).ref(), gu.columns(cols, cols).ref(),
                            out.ref(), act), rows);
                    s.ocl.gatedActivation(new GatedActivationArgs(gu.columns(0, cols).ocl(), gu.columns(cols, cols).ocl(),
                            out.ocl(), act), rows);
                    s.assertClose(out, rows, F32_TOL, "gated " + act);
                }));
            }
        }
        tests.add(dynamicTest("add, out aliasing b", () -> {
            Pair a = s.randomTensor(5, 77);
            Pair b = s.randomTensor(5, 77);
            s.ref.add(new AddArgs(a.ref(), b.ref(), b.ref()), 4);
            s.ocl.add(new AddArgs(a.ocl(), b.ocl(), b.ocl()), 4);
            s.assertClose(b, 5, F32_TOL, "add");
        }));
        tests.add(dynamicTest("gatherRows", () -> {
            Pair src = s.randomTensor(9, 33);
            Pair idx = s.ints(new int[] {8, 0, 3, 3});
            Pair out = s.tensor(4, 33, new float[4 * 33]);
            s.ref.gatherRows(new GatherRowsArgs(src.ref(), idx.ref(), out.ref()), 4);
            s.ocl.gatherRows(new GatherRowsArgs(src.ocl(), idx.ocl(), out.ocl()), 4);
            s.assertClose(out, 4, F32_TOL, "gather");
        }));
        tests.add(dynamicTest("softCap on a column view", () -> {
            Pair x = s.tensor(3, 50, s.gaussian(150, 40));
            s.ref.softCap(new SoftCapArgs(x.columns(10, 30).ref(), 30f), 2);
            s.ocl.softCap(new SoftCapArgs(x.columns(10, 30).ocl(), 30f), 2);
            s.assertClose(x, 3, F32_TOL, "softcap");
        }));
        return tests.stream();
    }

    /**
     * A decode linear followed by the RMSNorm of its output (with and without residual, out
     * aliasing the linear's output) or by the gated activation of a gate|up output: the backend
     * runs them as one GEMV with an epilogue. Checked against the reference op by op.
     */
    @TestFactory
    Stream<DynamicTest> fusedEpilogues() {
        List<DynamicTest> tests = new ArrayList<>();
        for (DType dt : new DType[] {DType.BF16, DType.F32}) {
            for (int rows : new int[] {1, 3, 4}) {
                for (int mode = 0; mode < 3; mode++) {
                    int m = mode;
                    String name = switch (m) {
                        case 0 -> "+residual";
                        case 1 -> "no residual, out aliasing x";
                        default -> "+residual, bias, odd K";
                    };
                    tests.add(dynamicTest("linear+rmsNorm " + dt + " rows=" + rows + " " + name, () -> {
                        int k = m == 2 ? 301 : 256;
                        int n = 136;
                        WeightPair w = s.weight("w", dt, n, k, 1.0 / Math.sqrt(k));
                        WeightPair b = m == 2 ? s.vector("b", dt, n, 0.5, 0) : null;
                        WeightPair nw = s.vector("nw", dt, n, 0.3, 1.0);
                        Pair x = s.randomTensor(rows + 1, k);
                        Pair y = s.tensor(rows + 1, n, new float[(rows + 1) * n]);
                        Pair res = m == 1 ? null : s.randomTensor(rows + 1, n);
                        Pair out = m == 1 ? y : s.tensor(rows + 1, n, new float[(rows + 1) * n]);
                        for (int rep = 0; rep < 2; rep++) {
                            s.ref.linear(new LinearArgs(x.ref(), w.ref(), b == null ? null : b.ref(), y.ref()), rows);
                            s.ref.rmsNorm(new RmsNormArgs(y.ref(), res == null ? null : res.ref(), nw.ref(), 1e-5f, 0f, n,
                                    out.ref()), rows);
                            s.ocl.linear(new LinearArgs(x.ocl(), w.ocl(), b == null ? null : b.ocl(), y.ocl()), rows);
                            s.ocl.rmsNorm(new RmsNormArgs(y.ocl(), res == null ? null : res.ocl(), nw.ocl(), 1e-5f, 0f, n,
                                    out.ocl()), rows);
                        }
                        s.assertClose(out, rows, F32_TOL, "normed");
                        if (m != 1) s.assertClose(y, rows, F32_TOL, "linear out");
                        if (res != null) s.assertClose(res, rows, F32_TOL, "residual");
                    }));
                }
                for (Activation act : Activation.values()) {
                    tests.add(dynamicTest("gate|up linear+" + act + " " + dt + " rows=" + rows, () -> {
                        int k = 200;
                        int inter = 77;
                        WeightPair w = s.weight("gu", dt, 2 * inter, k, 1.0 / Math.sqrt(k));
                        Pair x = s.randomTensor(rows, k);
                        Pair gu = s.tensor(rows + 1, 2 * inter, new float[(rows + 1) * 2 * inter]);
                        Pair a = s.tensor(rows + 1, inter, new float[(rows + 1) * inter]);
                        s.ref.linear(new LinearArgs(x.ref(), w.ref(), null, gu.ref()), rows);
                        s.ref.gatedActivation(new GatedActivationArgs(gu.columns(0, inter).ref(),
                                gu.columns(inter, inter).ref(), a.ref(), act), rows);
                        s.ocl.linear(new LinearArgs(x.ocl(), w.ocl(), null, gu.ocl()), rows);
                        s.ocl.gatedActivation(new GatedActivationArgs(gu.columns(0, inter).ocl(),
                                gu.columns(inter, inter).ocl(), a.ocl(), act), rows);
                        s.assertClose(gu, rows, F32_TOL, "gate|up");
                        s.assertClose(a, rows, F32_TOL, "activation");
                    }));
                }
            }
        }
        tests.add(dynamicTest("read-bandwidth probe", () -> {
            double gbps = s.ocl.measureReadBandwidth(8L << 20).orElseThrow();
            if (!(gbps > 0)) throw new AssertionError("probe gave " + gbps);
        }));
        return tests.stream();
    }

    /** The warp GEMV with K shared by 2 or 4 warps (forced), and 4 rows a warp, plain and with both epilogues. */
    @TestFactory
    Stream<DynamicTest> gemvSplitK() {
        return Stream.of("2", "4", "2/4").map(spec -> dynamicTest("warp gemv, K shared by " + spec.split("/")[0] + " warps"
                + (spec.contains("/") ? ", " + spec.split("/")[1] + " rows a warp" : ""), () -> {
            String ks = spec.split("/")[0];
            String rowsPerWarp = spec.contains("/") ? spec.split("/")[1] : "2";
            try (OpenClTestSupport ts = new OpenClTestSupport(11,
                    java.util.Map.of("opencl.gemvSplit", ks, "opencl.gemvRows", rowsPerWarp))) {
                for (int[] sh : new int[][] {{1, 2100, 37}, {3, 301, 136}, {4, 1030, 9}, {2, 64, 5}}) {
                    WeightPair w = ts.weight("w", DType.BF16, sh[2], sh[1], 0.05);
                    WeightPair b = ts.vector("b", DType.F32, sh[2], 0.5, 0);
                    Pair x = ts.randomTensor(sh[0], sh[1]);
                    Pair out = ts.tensor(sh[0], sh[2], new float[sh[0] * sh[2]]);
                    ts.ref.linear(new LinearArgs(x.ref(), w.ref(), b.ref(), out.ref()), sh[0]);
                    ts.ocl.linear(new LinearArgs(x.ocl(), w.ocl(), b.ocl(), out.ocl()), sh[0]);
                    ts.assertClose(out, sh[0], F32_TOL, "gemv rows=" + sh[0] + " K=" + sh[1]);
                    // + RMSNorm epilogue with residual
                    WeightPair nw = ts.vector("nw", DType.BF16, sh[2], 0.3, 1.0);
                    Pair res = ts.randomTensor(sh[0], sh[2]);
                    Pair normed = ts.tensor(sh[0], sh[2], new float[sh[0] * sh[2]]);
                    ts.ref.linear(new LinearArgs(x.ref(), w.ref(), null, out.ref()), sh[0]);
                    ts.ref.rmsNorm(new RmsNormArgs(out.ref(), res.ref(), nw.ref(), 1e-5f, 0f, sh[2], normed.ref()), sh[0]);
                    ts.ocl.linear(new LinearArgs(x.ocl(), w.ocl(), null, out.ocl()), sh[0]);
                    ts.ocl.rmsNorm(new RmsNormArgs(out.ocl(), res.ocl(), nw.ocl(), 1e-5f, 0f, sh[2], normed.ocl()), sh[0]);
                    ts.assertClose(normed, sh[0], F32_TOL, "normed rows=" + sh[0] + " K=" + sh[1]);
                    ts.assertClose(res, sh[0], F32_TOL, "residual rows=" + sh[0] + " K=" + sh[1]);
                }
                int k = 1500;
                int inter = 45;
                WeightPair gw = ts.weight("gu", DType.BF16, 2 * inter, k, 0.05);
                Pair x = ts.randomTensor(2, k);
                Pair gu = ts.tensor(2, 2 * inter, new float[4 * inter]);
                Pair a = ts.tensor(2, inter, new float[2 * inter]);
                ts.ref.linear(new LinearArgs(x.ref(), gw.ref(), null, gu.ref()), 2);
                ts.ref.gatedActivation(new GatedActivationArgs(gu.columns(0, inter).ref(), gu.columns(inter, inter).ref(),
                        a.ref(), Activation.SILU), 2);
                ts.ocl.linear(new LinearArgs(x.ocl(), gw.ocl(), null, gu.ocl()), 2);
                ts.ocl.gatedActivation(new GatedActivationArgs(gu.columns(0, inter).ocl(), gu.columns(inter, inter).ocl(),
                        a.ocl(), Activation.SILU), 2);
                ts.assertClose(a, 2, F32_TOL, "activation");
            }
        }));
    }
}
