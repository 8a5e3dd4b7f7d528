package io.jsgl.cli;

import io.jsgl.engine.bench.BenchOneBatch;
import io.jsgl.engine.model.DecoderModel;
import io.jsgl.engine.model.ModelLoadOptions;
import io.jsgl.engine.backend.BackendRegistry;
import io.jsgl.engine.backend.ProfilingBackend;
import io.jsgl.spi.Backend;
import io.jsgl.spi.BackendOptions;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** SGLang's bench_one_batch: one static batch, prefill then decode, timed per step. */
@Command(name = "bench-one-batch", description = "Time the prefill and decode of one static batch (SGLang's bench_one_batch).")
final class BenchOneBatchCommand implements Callable<Integer> {
    /**
     * As SGLang's bench_one_batch: the warm-up is the same batch at the same input length with at most
     * this many decode steps, so nothing the timed run does is cold (on the JVM every kernel called
     * once per forward pass, such as the embedding, is still interpreted after a shorter warm-up).
     */
    private static final int WARMUP_OUTPUT = 32;

    @Mixin ModelOptions model;

    @Option(names = "--batch-size", defaultValue = "1", paramLabel = "B") int batchSize;
    @Option(names = "--input-len", defaultValue = "512", paramLabel = "I") int inputLen;
    @Option(names = "--output-len", defaultValue = "32", paramLabel = "O") int outputLen;
    @Option(names = "--max-step-tokens", defaultValue = "2048", paramLabel = "N", description = "largest prefill step") int maxStepTokens;
    @Option(names = "--seed", defaultValue = "1", paramLabel = "S") long seed;
    @Option(names = "--probe-bytes", paramLabel = "N", description = "size of the read-bandwidth probe run before and after (0: none; default 1 GiB)")
    long probeBytes = BenchOneBatch.DEFAULT_PROBE_BYTES;
    @Option(names = "--profile-ops", description = "time every op (synchronizing after each) and print where prefill and decode go")
    boolean profileOps;
    @Option(names = "--no-warmup", description = "skip the untimed warm-up run (same batch and input length, at most 32 decode steps)") boolean noWarmup;

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1 || inputLen < 1 || outputLen < 1) throw new IllegalArgumentException("sizes must be >= 1");
        if (probeBytes < 0) throw new IllegalArgumentException("--probe-bytes must be >= 0");
        try (var opened = model.openBackend(model.modelDir())) {
            Backend backend = profileOps ? new ProfilingBackend(opened.backend()) : opened.backend();
            int step = Math.max(batchSize, Math.min(maxStepTokens, batchSize * inputLen));
            int warmupOutput = Math.min(WARMUP_OUTPUT, outputLen);
            var opts = new ModelLoadOptions(step, batchSize, 1 + batchSize * (inputLen + outputLen),
                    EngineOptions.kvDtype(model.kvCacheDtype));
            long t0 = System.nanoTime();
            try (DecoderModel m = DecoderModel.load(model.modelDir(), backend, opts)) {
                System.err.printf("loaded %s on %s (%d threads) in %.1f s%n", model.modelDir(), backend.descriptor().name(),
                        backend.threads(), (System.nanoTime() - t0) / 1e9);
                if (!noWarmup) {
                    // the warm-up's ops are not part of the profile: BenchOneBatch resets it after prefill
                    new BenchOneBatch(m, batchSize, inputLen, warmupOutput).run(new java.io.PrintStream(
                            java.io.OutputStream.nullOutputStream()), seed + 1);
                }
                System.out.printf("Benchmark: batch_size=%d input_len=%d output_len=%d backend=%s%n", batchSize, inputLen,
                        outputLen, backend.descriptor().name());
                new BenchOneBatch(m, batchSize, inputLen, outputLen, probeBytes).run(System.out, seed);
            }
        }
        return 0;
    }
}
