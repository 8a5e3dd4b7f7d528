package io.jsgl.cli;

import io.jsgl.engine.Engine;
import io.jsgl.engine.api.GenerateRequest;
import io.jsgl.engine.api.RequestListener;
import io.jsgl.engine.api.RequestResult;
import io.jsgl.engine.api.TokenEvent;
import io.jsgl.engine.bench.BenchDataset;
import io.jsgl.engine.bench.RequestTiming;
import io.jsgl.engine.bench.ServingReport;
import io.jsgl.engine.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Throughput of the in-process engine on a synthetic workload, reported like SGLang's bench_serving. */
@Command(name = "bench-offline", description = "Offline throughput benchmark of the engine (SGLang bench_serving table).")
final class BenchOfflineCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin EngineOptions engine;

    @Option(names = "--dataset", defaultValue = "random", paramLabel = "random|shared-prefix") String dataset;
    @Option(names = "--num-prompts", defaultValue = "64", paramLabel = "N") int numPrompts;
    @Option(names = "--input-len", defaultValue = "256", paramLabel = "I", description = "prompt length (shared-prefix: question length)") int inputLen;
    @Option(names = "--output-len", defaultValue = "64", paramLabel = "O") int outputLen;
    @Option(names = "--shared-prefix-len", defaultValue = "1000", paramLabel = "L") int sharedPrefixLen;
    @Option(names = "--random-range-ratio", defaultValue = "1.0", paramLabel = "R", description = "lengths drawn from [R*len, len]") double rangeRatio;
    @Option(names = "--seed", defaultValue = "1", paramLabel = "S") long seed;
    @Option(names = "--temperature", defaultValue = "0", paramLabel = "T",
            description = "sampling temperature of every request (default 0: greedy, as SGLang's bench_serving)")
    float temperature;
    @Option(names = "--top-p", defaultValue = "1", paramLabel = "P", description = "nucleus sampling mass of every request")
    float topP;
    @Option(names = "--skip-warmup", description = "no untimed warm-up batch (by default up to 16 prompts of the same kind, "
            + "other tokens, 8 new tokens each, then the prefix cache is flushed)")
    boolean skipWarmup;

    @Override
    public Integer call() throws Exception {
        if (numPrompts < 1) throw new IllegalArgumentException("--num-prompts must be >= 1");
        params(1, seed).validate(Integer.MAX_VALUE); // a bad --temperature or --top-p fails before the model loads
        try (Engine e = Engine.open(engine.build(model))) {
            int vocab = e.modelConfig().vocabSize();
            List<BenchDataset.Prompt> prompts = prompts(numPrompts, outputLen, vocab, seed);
            System.err.printf("backend %s, %d threads, KV pool %d tokens, radix cache %s%n", e.backend().descriptor().name(),
                    e.backend().threads(), e.maxTotalTokens(), engine.disableRadixCache ? "off" : "on");
            if (!skipWarmup) warmUp(e, vocab);
            var before = e.stats();
            ProgressBar bar = new ProgressBar("bench-offline", prompts.size());
            AtomicInteger finished = new AtomicInteger();
            List<CompletableFuture<RequestTiming>> futures = new ArrayList<>();
            long start = System.nanoTime();
            for (BenchDataset.Prompt p : prompts) {
                futures.add(submit(e, p, params(p.outputLen(), seed + futures.size()), () -> bar.update(finished.incrementAndGet())));
            }
            List<RequestTiming> timings = futures.stream().map(CompletableFuture::join).toList();
            double duration = (System.nanoTime() - start) / 1e9;
            var summary = ServingReport.summarize(timings, duration);
            var after = e.stats();
            long promptTokens = after.promptTokensTotal() - before.promptTokensTotal();
            double hitRate = promptTokens == 0 ? 0 : (double) (after.cachedTokensTotal() - before.cachedTokensTotal()) / promptTokens;
            ServingReport.print(System.out, "jsgl-offline (" + e.backend().descriptor().name() + ")", "inf", summary, hitRate);
            var stats = e.stats();
            System.out.printf("%-40s %.2f%n", "Scheduler overhead (% of step time):", 100 * stats.schedulerOverhead());
            System.out.printf("%-40s %d%n", "Retractions:", stats.retractedTotal());
            return summary.completed() == prompts.size() ? 0 : 1;
        }
    }

    private List<BenchDataset.Prompt> prompts(int n, int outLen, int vocab, long seed) {
        return switch (dataset) {
            case "random" -> BenchDataset.random(n, inputLen, outLen, rangeRatio, vocab, seed);
            case "shared-prefix" -> BenchDataset.sharedPrefix(n, sharedPrefixLen, inputLen, outLen, vocab, seed);
            default -> throw new IllegalArgumentException("unknown --dataset " + dataset + " (random, shared-prefix)");
        };
    }

    /** The timed and the warm-up requests sample alike, so the warm-up compiles the sampler the run uses. */
    private SamplingParams params(int maxNewTokens, long requestSeed) {
        return SamplingParams.builder().temperature(temperature).topP(topP).seed(requestSeed).maxNewTokens(maxNewTokens)
                .ignoreEos(true).build();
    }

    /**
     * As SGLang's bench_offline_throughput: an untimed batch like the benchmark's (so the JIT has
     * compiled the kernels the timed run uses), with other tokens, then the prefix cache is flushed
     * so the timed run's cache hits are its own.
     */
    private void warmUp(Engine e, int vocab) {
        var warm = prompts(Math.min(numPrompts, 16), Math.min(outputLen, 8), vocab, seed + 7919);
        List<CompletableFuture<RequestTiming>> futures = new ArrayList<>();
        for (BenchDataset.Prompt p : warm) futures.add(submit(e, p, params(Math.min(outputLen, 8), seed), () -> {}));
        futures.forEach(CompletableFuture::join);
        for (int tries = 0; !e.flushCache(); tries++) {
            if (tries > 1000) throw new IllegalStateException("prefix cache still busy after the warm-up");
            Thread.onSpinWait();
        }
    }

    private static CompletableFuture<RequestTiming> submit(Engine e, BenchDataset.Prompt p, SamplingParams params, Runnable onDone) {
        var future = new CompletableFuture<RequestTiming>();
        long t0 = System.nanoTime();
        e.submit(GenerateRequest.ofIds(p.ids(), params), new RequestListener() {
            long last;
            long first;
            final List<Double> itl = new ArrayList<>();

            @Override
            public void onTokens(TokenEvent event) {
                long now = System.nanoTime();
                if (first == 0) first = now;
                else itl.add((now - last) / 1e9);
                last = now;
            }

            @Override
            public void onFinish(RequestResult r) {
                long now = System.nanoTime();
                onDone.run();
                future.complete(new RequestTiming(true, p.ids().length, r.completionTokens(), (first - t0) / 1e9,
                        (now - t0) / 1e9, itl, t0));
            }

            @Override
            public void onError(String rid, RuntimeException error) {
                onDone.run();
                future.complete(new RequestTiming(false, p.ids().length, 0, 0, 0, List.of(), t0));
            }
        });
        return future;
    }
}
