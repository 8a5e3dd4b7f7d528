package io.jsgl.backend.opencl;

import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.BackendOptions;
import io.jsgl.spi.DType;
import io.jsgl.spi.DeviceBuffer;
import io.jsgl.spi.HostTensor;
import io.jsgl.spi.KvCache;
import io.jsgl.spi.KvCacheSpec;
import io.jsgl.spi.PreparedBatch;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.host.Numerics;
import io.jsgl.spi.op.Activation;
import io.jsgl.spi.op.AddArgs;
import io.jsgl.spi.op.AttentionArgs;
import io.jsgl.spi.op.EmbeddingArgs;
import io.jsgl.spi.op.GatedActivationArgs;
import io.jsgl.spi.op.GatherRowsArgs;
import io.jsgl.spi.op.LinearArgs;
import io.jsgl.spi.op.RmsNormArgs;
import io.jsgl.spi.op.RopeArgs;
import io.jsgl.spi.rope.RopeConfig;
import io.jsgl.spi.rope.RopeScaling;
import io.jsgl.spi.rope.RopeStyle;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Microbenchmarks on Llama-3.2-1B shapes with random bf16 weights: GEMV/GEMM per weight shape
 * and batch size (GB/s, TFLOP/s), launch overhead, and a synthetic 16-layer forward pass issued
 * exactly as the engine's DecoderModel issues it (prefill and decode tok/s, per-kernel device
 * time). Not a test: run with
 * {@code java -cp ... io.jsgl.backend.opencl.OpenClBench [linear] [launch] [model]}.
 * Weights rotate among copies totalling > 2x the L2 so GEMV reads come from device memory.
 */
public final class OpenClBench {
    private static final int HIDDEN = 2048;
    private static final boolean QUICK = Boolean.getBoolean("bench.quick");
    private static final int LAYERS = QUICK ? 1 : 16;
    private static final int HEADS = 32;
    private static final int KV_HEADS = 8;
    private static final int HEAD_DIM = 64;
    private static final int INTER = 8192;
    private static final int VOCAB = 128256;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment pool;

    private OpenClBench() {
        long poolBytes = (long) VOCAB * HIDDEN * 2 + (1 << 20);
        pool = arena.allocate(poolBytes, 64);
        long s = 0x9E3779B97F4A7C15L;
        long n = poolBytes / 2;
        for (long i = 0; i < n; i++) {
            s ^= s << 13;
            s ^= s >>> 7;
            s ^= s << 17;
            // roughly uniform in +-0.03, as bf16 bits
            float f = (float) ((s >>> 40) * (1.0 / (1L << 24)) - 0.5) * 0.06f;
            pool.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Numerics.floatToBf16(f));
        }
    }

    private HostTensor host(String name, long rows, long cols, long salt) {
        long bytes = rows * cols * 2;
        long maxOff = pool.byteSize() - bytes;
        long off = maxOff <= 0 ? 0 : ((salt * 7919L * 64) % (maxOff / 64 + 1)) * 64;
        return new HostTensor(name, pool.asSlice(off, bytes), DType.BF16, cols == 1 ? new long[] {rows} : new long[] {rows, cols});
    }

    private static OpenClBackend open(Map<String, String> extra) {
        Map<String, String> p = new HashMap<>(extra);
        return (OpenClBackend) new OpenClBackendProvider().create(new BackendOptions(0, p));
    }

    public static void main(String[] args) {
        List<String> what = args.length == 0 ? List.of("linear", "launch", "model") : List.of(args);
        OpenClBench b = new OpenClBench();
        try (OpenClBackend be = open(Map.of())) {
            String ext = be.device.extensions();
            System.out.println("device extensions (command buffers / subgroups): " + java.util.Arrays.stream(ext.split(" "))
                    .filter(e -> e.contains("command_buffer") || e.contains("subgroup") || e.contains("mutable")).toList());
            System.out.printf("read-bandwidth probe 1 GiB: %.0f GB/s%n", be.measureReadBandwidth(1L << 30).orElse(0));
        }
        if (what.contains("linear")) b.linear();
        if (what.contains("launch")) b.launch();
        if (what.contains("model")) b.model();
        if (what.contains("tiles")) b.tiles();
        if (what.contains("flush")) b.flush();
        if (what.contains("decode")) b.decode();
    }

    /** SIMT GEMM tile configurations (tensor cores off) on the 8192x2048 weight. */
    private void tiles() {
        System.out.println("== SIMT GEMM tiles, bf16 8192x2048 (tensor cores off) ==");
        String[] large = {"128,128,16,8,8", "128,128,8,8,8", "128,128,32,8,8", "128,64,16,8,4", "64,128,16,4,8", "64,64,16,4,4"};
        String[] small = {"32,64,16,2,4", "16,128,16,2,4", "64,64,16,4,4", "32,128,16,4,4", "32,32,16,2,2"};
        for (String t : large) timeTile(Map.of("opencl.tensorCores", "off", "opencl.gemmL", t), "gemmL " + t, new int[] {512, 2048});
        for (String t : small) timeTile(Map.of("opencl.gemmS", t), "gemmS " + t, new int[] {8, 16, 64});
        for (String gv : new String[] {"2", "4", "8"}) {
            timeTile(Map.of("opencl.gemvOutputs", gv, "opencl.gemvMaxRows", "8"), "gemv outputs/group=" + gv,
                    new int[] {1, 4, 8});
        }
        timeTile(Map.of("opencl.splitK", "false"), "gemmS 32,64 no split-K", new int[] {16, 64});
        timeTile(Map.of("opencl.smallGemmMaxRows", "4", "opencl.gemvMaxRows", "4"), "tensor cores from 5 rows",
                new int[] {8, 16, 64});
    }

    private void timeTile(Map<String, String> props, String label, int[] rowsList) {
        int n = 8192;
        int k = 2048;
        try (OpenClBackend be = open(props)) {
            List<Weight> ws = new ArrayList<>();
            for (int c = 0; c < 6; c++) ws.add(be.loadWeight(WeightSpec.of(host("w", n, k, 77L + c), WeightUse.LINEAR)));
            List<DeviceBuffer> keep = new ArrayList<>();
            Tensor x = tensor(be, keep, 2048, k, DType.F32);
            Tensor y = tensor(be, keep, 2048, n, DType.F32);
            StringBuilder sb = new StringBuilder(String.format("%-26s", label));
            for (int rows : rowsList) {
                List<LinearArgs> calls = new ArrayList<>();
                for (Weight w : ws) calls.add(new LinearArgs(x, w, null, y));
                for (int i = 0; i < 3; i++) be.linear(calls.get(i), rows);
                be.synchronize();
                long t0 = System.nanoTime();
                int iters = 0;
                double elapsed;
                do {
                    for (int i = 0; i < 6; i++) be.linear(calls.get(iters++ % calls.size()), rows);
                    be.synchronize();
                    elapsed = (System.nanoTime() - t0) / 1e9;
                } while (elapsed < 0.1);
                double per = elapsed / iters;
                sb.append(String.format("  rows=%d: %.1f us %.1f TFLOP/s %.0f GB/s", rows, per * 1e6, 2.0 * rows * n * k / per / 1e12,
                        ((double) n * k * 2 + 4.0 * rows * (n + k)) / per / 1e9));
            }
            System.out.println(sb);
            ws.forEach(Weight::close);
            keep.forEach(DeviceBuffer::close);
        } catch (RuntimeException e) {
            System.out.println(label + ": " + e.getMessage().lines().limit(3).toList());
        }
    }

    private static Tensor tensor(OpenClBackend be, List<DeviceBuffer> keep, int rows, int cols, DType dt) {
        DeviceBuffer buf = be.allocate((long) rows * cols * dt.bytes());
        keep.add(buf);
        return Tensor.of(buf, rows, cols, dt);
    }

    // ------------------------------------------------------------------------- linear

    private void linear() {
        int[][] shapes = QUICK ? new int[][] {{2048, 8192}, {1000, 2048}}
                : new int[][] {{2048, 8192}, {8192, 2048}, {128256, 2048}, {3072, 2048}, {2048, 2048}, {16384, 2048}};
        String[] names = QUICK ? new String[] {"down 2048x8192", "small 1000x2048"} : new String[] {"down 2048x8192", "up 8192x2048", "lm_head 128256x2048", "qkv 3072x2048", "o 2048x2048",
                "gate_up 16384x2048"};
        int[] rowsList = QUICK ? new int[] {1, 16, 128} : new int[] {1, 2, 4, 8, 16, 64, 128, 512, 2048};
        System.out.println("== linear, bf16 weights, f32 activations ==");
        System.out.printf("%-22s %5s %-8s %10s %9s %9s%n", "weight [N x K]", "rows", "kernel", "us/call", "GB/s", "TFLOP/s");
        boolean tcOff = "off".equals(System.getProperty("jsgl.opencl.tensorCores"));
        boolean simtToo = Boolean.getBoolean("bench.simt");
        for (String mode : tcOff ? new String[] {"off"} : simtToo ? new String[] {"auto", "off"} : new String[] {"auto"}) {
            try (OpenClBackend be = open(Map.of("opencl.tensorCores", mode))) {
                System.out.println("device: " + be.deviceDescription() + ", tensorCores=" + mode);
                if (mode.equals("off") && !tcOff && !be.device.nvidia()) break;
                for (int si = 0; si < shapes.length; si++) {
                    int n = shapes[si][0];
                    int k = shapes[si][1];
                    long wBytes = (long) n * k * 2;
                    int copies = (int) Math.max(1, Math.min(16, (160L << 20) / wBytes + 1));
                    List<Weight> ws = new ArrayList<>();
                    for (int c = 0; c < copies; c++) {
                        ws.add(be.loadWeight(WeightSpec.of(host("w", n, k, si * 31L + c), WeightUse.LINEAR)));
                    }
                    List<DeviceBuffer> keep = new ArrayList<>();
                    int maxRows = 2048;
                    Tensor x = tensor(be, keep, maxRows, k, DType.F32);
                    Tensor y = tensor(be, keep, maxRows, n, DType.F32);
                    for (int rows : rowsList) {
                        if (mode.equals("off") && !tcOff && rows <= 64) continue;
                        if (rows > 512 && n > 20000) continue;
                        List<LinearArgs> calls = new ArrayList<>();
                        for (Weight w : ws) calls.add(new LinearArgs(x, w, null, y));
                        for (int i = 0; i < 3; i++) be.linear(calls.get(i % calls.size()), rows);
                        be.synchronize();
                        long t0 = System.nanoTime();
                        int iters = 0;
                        double elapsed;
                        do {
                            for (int i = 0; i < 10; i++) be.linear(calls.get(iters++ % calls.size()), rows);
                            be.synchronize();
                            elapsed = (System.nanoTime() - t0) / 1e9;
                        } while (elapsed < 0.15 && iters < 20000);
                        double per = elapsed / iters;
                        double bytes = wBytes + 4.0 * rows * (k + n);
                        double flops = 2.0 * rows * n * k;
                        String kernel = rows <= be.gemvMaxRows ? "gemv" : rows <= be.smallGemmMaxRows ? "gemm_s"
                                : mode.equals("auto") && be.tensorCores() ? "gemm_tc" : "gemm_l";
                        System.out.printf("%-22s %5d %-8s %10.1f %9.0f %9.2f%n", names[si], rows, kernel, per * 1e6,
                                bytes / per / 1e9, flops / per / 1e12);
                    }
                    ws.forEach(Weight::close);
                    keep.forEach(DeviceBuffer::close);
                }
                System.out.println("programs: " + be.programFlags());
            }
        }
    }

    // ------------------------------------------------------------------------- launch overhead

    private void launch() {
        try (OpenClBackend be = open(Map.of())) {
            List<DeviceBuffer> keep = new ArrayList<>();
            Tensor a = tensor(be, keep, 1, HIDDEN, DType.F32);
            AddArgs add = new AddArgs(a, a, a);
            for (int i = 0; i < 100; i++) be.add(add, 1);
            be.synchronize();
            int n = 20000;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) be.add(add, 1);
            long t1 = System.nanoTime();
            be.synchronize();
            long t2 = System.nanoTime();
            System.out.printf("== launch: %d tiny kernels: host enqueue %.2f us each, enqueue+drain %.2f us each ==%n", n,
                    (t1 - t0) / 1e3 / n, (t2 - t0) / 1e3 / n);
            keep.forEach(DeviceBuffer::close);
        }
    }

    // ------------------------------------------------------------------------- synthetic model

    private record Layer(Weight inNorm, Weight qkv, Weight o, Weight postNorm, Weight gateUp, Weight down) {}

    private void model() {
        for (String profile : new String[] {"false", "true"}) {
            try (OpenClBackend be = open(Map.of("opencl.profile", profile))) {
                runModel(be, profile.equals("true"), false, "");
            }
        }
    }

    /** Decode steps only, under other flush and GEMV settings. */
    private void flush() {
        String[][] variants = {{"opencl.flushEvery", "16"}, {"opencl.fuse", "false"}, {"opencl.gemv", "group"},
                {"opencl.attention", "group"}, {"opencl.gemvSplit", "1"}, {"opencl.gemvSplit", "2"},
                {"opencl.gemvWarps", "32768"}, {"opencl.gemvUnroll", "2"}, {"opencl.gemvUnroll", "8"},
                {"opencl.flushEvery", "64"}, {"opencl.flushEvery", "16"}};
        for (String[] v : variants) {
            try (OpenClBackend be = open(Map.of(v[0], v[1]))) {
                runModel(be, false, true, v[0] + "=" + v[1]);
            }
        }
    }

    /** Decode bs=1 only: wall time under attention/GEMV variants, then profiled. */
    private void decode() {
        // the first variant warms the JIT (noisiest); the previous defaults (gemvWarps 8192, 64 keys a split) beside
        String[][] wall = {{"opencl.fuse", "true"}, {"opencl.fuse", "true"}, {"opencl.gemvWarps", "8192"},
                {"opencl.decodeSplitKeys", "64"}, {"opencl.decodeMergeBatch", "16"}, {"opencl.fuse", "true"}};
        for (String[] v : wall) variant(Map.of(v[0], v[1]), false, v[0] + "=" + v[1], 1);
        variant(Map.of("opencl.profile", "true"), true, "defaults", 1);
        for (String mb : new String[] {"4", "16"}) {
            variant(Map.of("opencl.profile", "true", "opencl.decodeMergeBatch", mb), true, "decodeMergeBatch=" + mb, 1);
        }
        for (String sl : new String[] {"16", "64"}) {
            variant(Map.of("opencl.profile", "true", "opencl.decodeSplitKeys", sl), true, "decodeSplitKeys=" + sl, 1);
        }
        variant(Map.of("opencl.profile", "true", "opencl.gemvWarps", "8192"), true, "gemvWarps=8192", 1);
        variant(Map.of("opencl.profile", "true"), true, "defaults", 1);
    }

    private void variant(Map<String, String> props, boolean profile, String label, int seqs) {
        try (OpenClBackend be = open(props)) {
            runModel(be, profile, true, label, seqs);
        } catch (RuntimeException e) {
            System.out.println(label + " FAILED: " + String.valueOf(e.getMessage()).lines().limit(4).toList());
        }
    }

    private void runModel(OpenClBackend be, boolean profile, boolean decodeOnly, String label) {
        runModel(be, profile, decodeOnly, label, 0);
    }

    private void runModel(OpenClBackend be, boolean profile, boolean decodeOnly, String label, int onlySeqs) {
        System.out.println("== synthetic Llama-3.2-1B (bf16 weights, bf16 KV, tied head), DecoderModel op order"
                + (profile ? ", profiled" : "") + (label.isEmpty() ? "" : ", " + label) + " ==");
        long t0 = System.nanoTime();
        List<Weight> weights = new ArrayList<>();
        Weight emb = be.loadWeight(WeightSpec.of(host("embed", VOCAB, HIDDEN, 1), WeightUse.EMBEDDING));
        weights.add(emb);
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < LAYERS; l++) {
            Layer L = new Layer(
                    be.loadWeight(WeightSpec.of(host("in", HIDDEN, 1, l * 10 + 1), WeightUse.VECTOR)),
                    be.loadWeight(new WeightSpec("qkv", List.of(host("q", HEADS * HEAD_DIM, HIDDEN, l * 10 + 2),
                            host("k", KV_HEADS * HEAD_DIM, HIDDEN, l * 10 + 3), host("v", KV_HEADS * HEAD_DIM, HIDDEN, l * 10 + 4)),
                            WeightUse.LINEAR)),
                    be.loadWeight(WeightSpec.of(host("o", HIDDEN, HEADS * HEAD_DIM, l * 10 + 5), WeightUse.LINEAR)),
                    be.loadWeight(WeightSpec.of(host("post", HIDDEN, 1, l * 10 + 6), WeightUse.VECTOR)),
                    be.loadWeight(new WeightSpec("gate_up", List.of(host("g", INTER, HIDDEN, l * 10 + 7),
                            host("u", INTER, HIDDEN, l * 10 + 8)), WeightUse.LINEAR)),
                    be.loadWeight(WeightSpec.of(host("down", HIDDEN, INTER, l * 10 + 9), WeightUse.LINEAR)));
            layers.add(L);
        }
        Weight finalNorm = be.loadWeight(WeightSpec.of(host("norm", HIDDEN, 1, 999), WeightUse.VECTOR));
        be.synchronize();
        System.out.printf("weights loaded in %.1f s; device memory in use %d MiB%n", (System.nanoTime() - t0) / 1e9,
                (be.memoryInfo().totalBytes() - be.memoryInfo().freeBytes()) >> 20);

        int maxT = 2048;
        int maxSeqs = 64;
        int ctx = 512;
        int steps = 32;
        int slotsPerSeq = ctx + steps + 8;
        int slots = Math.max(maxSeqs * slotsPerSeq, maxT + 64);
        KvCache kv = be.allocateKvCache(new KvCacheSpec(LAYERS, slots, KV_HEADS, HEAD_DIM, HEAD_DIM, DType.BF16));
        List<DeviceBuffer> keep = new ArrayList<>();
        Tensor ids = tensor(be, keep, maxT, 1, DType.I32);
        Tensor positions = tensor(be, keep, maxT, 1, DType.I32);
        Tensor logitRows = tensor(be, keep, maxSeqs, 1, DType.I32);
        Tensor residual = tensor(be, keep, maxT, HIDDEN, DType.F32);
        Tensor normed = tensor(be, keep, maxT, HIDDEN, DType.F32);
        int qd = HEADS * HEAD_DIM;
        int kvd = KV_HEADS * HEAD_DIM;
        Tensor qkv = tensor(be, keep, maxT, qd + 2 * kvd, DType.F32);
        Tensor q = qkv.columns(0, qd);
        Tensor k = qkv.columns(qd, kvd);
        Tensor v = qkv.columns(qd + kvd, kvd);
        Tensor attnOut = tensor(be, keep, maxT, qd, DType.F32);
        Tensor proj = tensor(be, keep, maxT, HIDDEN, DType.F32);
        Tensor gateUp = tensor(be, keep, maxT, 2 * INTER, DType.F32);
        Tensor act = tensor(be, keep, maxT, INTER, DType.F32);
        Tensor mlpOut = tensor(be, keep, maxT, HIDDEN, DType.F32);
        Tensor finalHidden = tensor(be, keep, maxSeqs, HIDDEN, DType.F32);
        Tensor logits = tensor(be, keep, maxSeqs, VOCAB, DType.F32);
        RopeConfig rope = RopeConfig.create(RopeStyle.NEOX, HEAD_DIM, 500000, new RopeScaling.Llama3(32, 1, 4, 8192));
        float eps = 1e-5f;
        MemorySegment hostIds = arena.allocate(4L * maxT);
        MemorySegment hostPos = arena.allocate(4L * maxT);
        MemorySegment hostRows = arena.allocate(4L * maxSeqs);
        MemorySegment hostLogits = arena.allocate(4L * maxSeqs * VOCAB);

        record Step(String name, int seqs, int qLen, int kvLen) {}
        List<Step> plan = QUICK ? List.of(new Step("prefill 1x64", 1, 64, 64), new Step("decode bs=2 ctx~64", 2, 1, 64))
                : List.of(new Step("prefill 1x512", 1, 512, 512), new Step("prefill 4x512", 4, 512, 512),
                        new Step("decode bs=1 ctx~512", 1, 1, ctx), new Step("decode bs=16 ctx~512", 16, 1, ctx),
                        new Step("decode bs=64 ctx~512", 64, 1, ctx));
        for (Step st : plan) {
            if (decodeOnly && st.qLen() > 1) continue;
            if (onlySeqs > 0 && st.seqs() != onlySeqs) continue;
            int rows = st.seqs() * st.qLen();
            int reps = st.qLen() > 1 ? 5 : steps;
            double total = 0;
            long issue = 0;
            int counted = 0;
            for (int rep = -2; rep < reps; rep++) {
                int kvLen = st.qLen() > 1 ? st.kvLen() : st.kvLen() + Math.max(rep, 0);
                int[] qStart = new int[st.seqs()];
                int[] qLen = new int[st.seqs()];
                int[] kvLens = new int[st.seqs()];
                int[] slotStart = new int[st.seqs()];
                int[] table = new int[st.seqs() * kvLen];
                int[] newSlots = new int[rows];
                for (int s = 0; s < st.seqs(); s++) {
                    qStart[s] = s * st.qLen();
                    qLen[s] = st.qLen();
                    kvLens[s] = kvLen;
                    slotStart[s] = s * kvLen;
                    for (int j = 0; j < kvLen; j++) table[s * kvLen + j] = s * slotsPerSeq + j;
                    for (int i = 0; i < st.qLen(); i++) newSlots[s * st.qLen() + i] = s * slotsPerSeq + kvLen - st.qLen() + i;
                }
                AttentionBatch batch = new AttentionBatch(qStart, qLen, kvLens, slotStart, table, newSlots, rows);
                long s0 = System.nanoTime();
                // what DecoderModel.forward does
                for (int r = 0; r < rows; r++) {
                    hostIds.setAtIndex(ValueLayout.JAVA_INT, r, (r * 7919 + rep) % VOCAB);
                    hostPos.setAtIndex(ValueLayout.JAVA_INT, r, kvLen - st.qLen() + r % st.qLen());
                }
                for (int s = 0; s < st.seqs(); s++) hostRows.setAtIndex(ValueLayout.JAVA_INT, s, (s + 1) * st.qLen() - 1);
                be.upload(hostIds.asSlice(0, 4L * rows), ids.buffer(), 0);
                be.upload(hostPos.asSlice(0, 4L * rows), positions.buffer(), 0);
                be.upload(hostRows.asSlice(0, 4L * st.seqs()), logitRows.buffer(), 0);
                try (PreparedBatch pb = be.prepare(batch)) {
                    be.embedding(new EmbeddingArgs(emb, ids, residual, 1f), rows);
                    for (int l = 0; l < LAYERS; l++) {
                        Layer L = layers.get(l);
                        if (l == 0) be.rmsNorm(new RmsNormArgs(residual, null, L.inNorm(), eps, 0f, HIDDEN, normed), rows);
                        be.linear(new LinearArgs(normed, L.qkv(), null, qkv), rows);
                        be.rope(new RopeArgs(q, k, positions, HEADS, KV_HEADS, HEAD_DIM, rope), rows);
                        be.attention(new AttentionArgs(q, k, v, attnOut, kv, l, HEADS, KV_HEADS, HEAD_DIM, HEAD_DIM,
                                0.125f, 0, 0f), pb);
                        be.linear(new LinearArgs(attnOut, L.o(), null, proj), rows);
                        be.rmsNorm(new RmsNormArgs(proj, residual, L.postNorm(), eps, 0f, HIDDEN, normed), rows);
                        be.linear(new LinearArgs(normed, L.gateUp(), null, gateUp), rows);
                        be.gatedActivation(new GatedActivationArgs(gateUp.columns(0, INTER), gateUp.columns(INTER, INTER),
                                act, Activation.SILU), rows);
                        be.linear(new LinearArgs(act, L.down(), null, mlpOut), rows);
                        if (l + 1 < LAYERS) {
                            be.rmsNorm(new RmsNormArgs(mlpOut, residual, layers.get(l + 1).inNorm(), eps, 0f, HIDDEN, normed), rows);
                        } else {
                            be.add(new AddArgs(mlpOut, residual, residual), rows);
                        }
                    }
                    be.gatherRows(new GatherRowsArgs(residual, logitRows, finalHidden), st.seqs());
                    be.rmsNorm(new RmsNormArgs(finalHidden, null, finalNorm, eps, 0f, HIDDEN, finalHidden), st.seqs());
                    be.linear(new LinearArgs(finalHidden, emb, null, logits), st.seqs());
                    if (rep >= 0) issue += System.nanoTime() - s0;
                    be.download(logits.buffer(), 0, hostLogits.asSlice(0, 4L * st.seqs() * VOCAB));
                }
                double dt = (System.nanoTime() - s0) / 1e9;
                if (rep >= 0) {
                    total += dt;
                    counted++;
                }
            }
            float l0 = hostLogits.getAtIndex(ValueLayout.JAVA_FLOAT, 0);
            double per = total / counted;
            System.out.printf("%-24s %8.2f ms/step %10.0f tok/s   host issue %.3f ms/step  (logit[0]=%.3f)%n", st.name(),
                    per * 1e3, rows / per, issue / 1e6 / counted, l0);
            if (profile) {
                System.out.println("    programs: " + be.programFlags());
                Map<String, long[]> times = new TreeMap<>(be.kernelTimes());
                double sum = 0;
                for (long[] t : times.values()) sum += t[1];
                StringBuilder sb = new StringBuilder("    device time/step by kernel:");
                for (var e : times.entrySet()) {
                    sb.append(String.format(" %s %.3fms(%d)", e.getKey(), e.getValue()[1] / 1e6 / (reps + 2),
                            e.getValue()[0] / (reps + 2)));
                }
                System.out.println(sb + String.format("  | sum %.3f ms", sum / 1e6 / (reps + 2)));
            }
        }
        kv.close();
        keep.forEach(DeviceBuffer::close);
        weights.forEach(Weight::close);
        for (Layer L : layers) {
            L.inNorm().close();
            L.qkv().close();
            L.o().close();
            L.postNorm().close();
            L.gateUp().close();
            L.down().close();
        }
        finalNorm.close();
    }
}
