package io.jsgl.backend.avx512;

import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.Backend;
import io.jsgl.spi.DType;
import io.jsgl.spi.KvCache;
import io.jsgl.spi.KvCacheSpec;
import io.jsgl.spi.PreparedBatch;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.op.AttentionArgs;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One layer of paged attention over a bf16 KV pool, head dim 64, with {@code heads} query and KV
 * heads: Qwen2.5-0.5B's 14/2 by default, Llama-3.2-1B's 32/8. {@code decode-N}: one query row over
 * N cached tokens, reported as GB/s of KV read. {@code prefill-N}: a causal N-token prefill,
 * reported as GFLOP/s of QK and PV.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AttentionBench {
    static final int HEAD_DIM = 64;

    @Param({"decode-1024", "decode-8192", "prefill-512"})
    public String work;

    @Param({"BF16"})
    public DType kv;

    /** Query heads / KV heads. */
    @Param({"14/2"})
    public String heads;

    /**
     * Layers of KV, one call per layer in turn: 24 (Qwen2.5-0.5B's) puts a decode row's keys out of
     * the core's caches by the time it comes back to them, as in a model's decode step.
     */
    @Param({"1"})
    public int layers;

    /**
     * Factor on the queries, whose scores then have a standard deviation of qScale / 3 (q and k
     * uniform in [-1, 1], head dim 64): at 256 most keys lie far below a query's max, as in a
     * trained model's peaked heads, and exp's argument leaves SVML's fast range (see VectorExp).
     */
    @Param({"1"})
    public float qScale;

    private Backend backend;
    private KvCache cache;
    private AttentionArgs[] args;
    private int call;
    private PreparedBatch batch;

    @Setup(Level.Trial)
    public void setup() {
        boolean decode = work.startsWith("decode");
        int n = Integer.parseInt(work.substring(work.indexOf('-') + 1));
        int rows = decode ? 1 : n;
        int qHeads = queryHeads(heads), kvHeads = kvHeads(heads);
        backend = BenchSupport.backend();
        cache = backend.allocateKvCache(new KvCacheSpec(layers, n, kvHeads, HEAD_DIM, HEAD_DIM, kv));
        int[] slots = new int[n];
        for (int i = 0; i < n; i++) slots[i] = i;
        Tensor q = BenchSupport.activations(backend, rows, qHeads * HEAD_DIM, qScale);
        Tensor k = BenchSupport.activations(backend, rows, kvHeads * HEAD_DIM);
        Tensor v = BenchSupport.activations(backend, rows, kvHeads * HEAD_DIM);
        Tensor out = BenchSupport.activations(backend, rows, qHeads * HEAD_DIM);
        args = new AttentionArgs[layers];
        for (int l = 0; l < layers; l++) {
            args[l] = new AttentionArgs(q, k, v, out, cache, l, qHeads, kvHeads, HEAD_DIM, HEAD_DIM,
                    (float) (1 / Math.sqrt(HEAD_DIM)), 0, 0f);
        }
        if (decode) {
            // fill the prefix once with a prefill, then time single decode rows
            Tensor pq = BenchSupport.activations(backend, n, qHeads * HEAD_DIM, qScale);
            Tensor pk = BenchSupport.activations(backend, n, kvHeads * HEAD_DIM);
            Tensor pv = BenchSupport.activations(backend, n, kvHeads * HEAD_DIM);
            Tensor po = BenchSupport.activations(backend, n, qHeads * HEAD_DIM);
            for (int l = 0; l < layers; l++) {
                backend.attention(new AttentionArgs(pq, pk, pv, po, cache, l, qHeads, kvHeads, HEAD_DIM, HEAD_DIM,
                        0.125f, 0, 0f), backend.prepare(AttentionBatch.single(slots, n, n)));
            }
        }
        batch = backend.prepare(AttentionBatch.single(slots, n, rows));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cache.close();
        backend.close();
    }

    @Benchmark
    public void attention() {
        backend.attention(args[call], batch);
        call = (call + 1) % layers;
    }

    static double kvBytes(String work, DType kv, String heads) {
        int n = Integer.parseInt(work.substring(work.indexOf('-') + 1));
        return (double) n * kvHeads(heads) * 2 * HEAD_DIM * kv.bytes();
    }

    static double flops(String work, String heads) {
        long n = Integer.parseInt(work.substring(work.indexOf('-') + 1));
        long pairs = n * (n + 1) / 2; // causal (query, key) pairs
        return 2.0 * 2 * HEAD_DIM * queryHeads(heads) * pairs;
    }

    private static int queryHeads(String heads) {
        return Integer.parseInt(heads.substring(0, heads.indexOf('/')));
    }

    private static int kvHeads(String heads) {
        return Integer.parseInt(heads.substring(heads.indexOf('/') + 1));
    }
}
