package io.jsgl.backend.amx;

import io.jsgl.cpu.kernels.Convert;
import io.jsgl.spi.BackendOptions;
import io.jsgl.spi.DType;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.host.HostBuffer;
import io.jsgl.spi.op.Activation;
import io.jsgl.spi.op.GatedActivationArgs;
import io.jsgl.spi.op.RmsNormArgs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/** Per-call time of the Java kernels after warm-up: java ... io.jsgl.backend.amx.KernelBench [rows] [threads]. */
public final class KernelBench {
    public static void main(String[] a) {
        int rows = a.length > 0 ? Integer.parseInt(a[0]) : 64;
        int threads = a.length > 1 ? Integer.parseInt(a[1]) : Runtime.getRuntime().availableProcessors();
        int h = 896;
        try (var b = (AmxBackend) new AmxBackendProvider().create(new BackendOptions(threads, Map.of("amx.warmup-ms", "0")));
             Arena arena = Arena.ofShared()) {
            HostBuffer xb = (HostBuffer) b.allocate(4L * Math.max(rows, 2) * 4864); // the GEMV output is 9728 wide
            HostBuffer yb = (HostBuffer) b.allocate(4L * Math.max(rows, 2) * 4864);
            MemorySegment bf = arena.allocate(2L * rows * 4864, 64);
            for (long i = 0; i < rows * 4864L; i++) xb.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) Math.sin(i));
            time("Convert.f32ToBf16 " + rows + "x" + h, () -> {
                for (int r = 0; r < rows; r++) Convert.f32ToBf16(xb.segment(), 4L * r * h, bf, 2L * r * h, h);
            });
            var w = b.loadWeight(WeightSpec.of(vec(arena, h), WeightUse.VECTOR));
            Tensor x = Tensor.of(xb, rows, h, DType.F32);
            Tensor res = Tensor.of(yb, rows, h, DType.F32);
            time("rmsNorm+residual " + rows + "x" + h, () -> b.rmsNorm(new RmsNormArgs(x, res, w, 1e-6f, 0f, h, x), rows));
            Tensor g = Tensor.of(xb, rows, 4864, DType.F32);
            Tensor u = Tensor.of(yb, rows, 4864, DType.F32);
            time("gated SILU " + rows + "x4864", () -> b.gatedActivation(new GatedActivationArgs(g, u, g, Activation.SILU), rows));
            // decode GEMV on a Qwen2.5-0.5B gate_up weight (17 MB bf16)
            var gw = b.loadWeight(WeightSpec.of(GemmBench.random(arena, "bench.gate_up.weight", 9728, h), WeightUse.LINEAR));
            Tensor x1 = Tensor.of(xb, 1, h, DType.F32);
            Tensor y1 = Tensor.of(yb, 1, 9728, DType.F32);
            double tg = time("GEMV 1x896x9728 bf16", () -> b.linear(new io.jsgl.spi.op.LinearArgs(x1, gw, null, y1), 1));
            System.out.printf("   %.1f GB/s%n", ((PackedLinear) gw).data.byteSize() / tg / 1e9);
            // attention: Llama-3.2-1B heads (32 q, 8 kv, 64 dim), a prefill of n tokens and a decode at n
            int n = Integer.getInteger("attn.tokens", 512);
            int heads = 32, kvh = 8, hd = 64;
            var cache = b.allocateKvCache(new io.jsgl.spi.KvCacheSpec(1, n + 1, kvh, hd, hd, DType.F32));
            HostBuffer qb = (HostBuffer) b.allocate(4L * n * heads * hd);
            HostBuffer kb = (HostBuffer) b.allocate(4L * n * kvh * hd);
            HostBuffer ob = (HostBuffer) b.allocate(4L * n * heads * hd);
            for (long i = 0; i < (long) n * heads * hd; i++) qb.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) Math.sin(i) * 0.3f);
            for (long i = 0; i < (long) n * kvh * hd; i++) kb.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) Math.cos(i) * 0.3f);
            int[] slots = new int[n + 1];
            for (int i = 0; i <= n; i++) slots[i] = i;
            Tensor q = Tensor.of(qb, n, heads * hd, DType.F32);
            Tensor k = Tensor.of(kb, n, kvh * hd, DType.F32);
            Tensor o = Tensor.of(ob, n, heads * hd, DType.F32);
            var pre = io.jsgl.spi.AttentionBatch.single(java.util.Arrays.copyOf(slots, n), n, n);
            double flops = 2.0 * 2 * heads * hd * (n * (n + 1) / 2.0);
            double t = time("attention prefill " + n, () -> b.attention(new io.jsgl.spi.op.AttentionArgs(q, k, k, o, cache, 0, heads, kvh, hd, hd,
                    0.125f, 0, 0), io.jsgl.spi.PreparedBatch.host(pre)));
            System.out.printf("   %.1f GFLOP/s%n", flops / t / 1e9);
            var dec = io.jsgl.spi.AttentionBatch.single(slots, n + 1, 1);
            time("attention decode at " + n, () -> b.attention(new io.jsgl.spi.op.AttentionArgs(q, k, k, o, cache, 0, heads, kvh, hd, hd,
                    0.125f, 0, 0), io.jsgl.spi.PreparedBatch.host(dec)));
        }
    }

    static io.jsgl.spi.HostTensor vec(Arena arena, int n) {
        MemorySegment seg = arena.allocate(2L * n);
        for (int i = 0; i < n; i++) seg.setAtIndex(io.jsgl.spi.host.Numerics.SHORT_LE, i, io.jsgl.spi.host.Numerics.floatToBf16(1f));
        return new io.jsgl.spi.HostTensor("norm", seg, DType.BF16, new long[] {n});
    }

    /** All threads' allocated bytes, or -1 where jdk.management is absent (a jlinked runtime). */
    static long allocated() {
        try {
            return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean())
                    .getTotalThreadAllocatedBytes();
        } catch (LinkageError | ClassCastException e) {
            return -1;
        }
    }

    static double time(String what, Runnable r) {
        long warm = System.nanoTime() + Long.getLong("bench.warm-ms", 1500) * 1_000_000L;
        while (System.nanoTime() < warm) r.run();
        int n = 0;
        var tmx = java.lang.management.ManagementFactory.getThreadMXBean();
        long a0 = allocated();
        long c0 = tmx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < 1_000_000_000L) {
            r.run();
            n++;
        }
        double sec = (System.nanoTime() - t0) / 1e9 / n;
        double cpu = (tmx.getCurrentThreadCpuTime() - c0) / 1e3 / n;
        long alloc = a0 < 0 ? -1 : (allocated() - a0) / n;
        System.out.printf("%-32s %9.1f us/call (caller thread cpu %9.1f us) %10d bytes allocated/call%n", what,
                sec * 1e6, cpu, alloc);
        return sec;
    }
}
