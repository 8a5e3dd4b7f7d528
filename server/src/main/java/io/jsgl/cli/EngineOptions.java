package io.jsgl.cli;

import io.jsgl.engine.api.EngineConfig;
import io.jsgl.engine.api.SchedulePolicy;
import io.jsgl.spi.DType;
import java.util.Locale;
import picocli.CommandLine.Option;

/** Runtime flags with SGLang's names, shared by serve and the benchmarks. */
final class EngineOptions {
    @Option(names = "--max-running-requests", paramLabel = "N", defaultValue = "64", description = "decode batch limit")
    int maxRunningRequests;

    @Option(names = "--max-queued-requests", paramLabel = "N", defaultValue = "4096")
    int maxQueuedRequests;

    @Option(names = "--chunked-prefill-size", paramLabel = "N", defaultValue = "512", description = "prefill tokens per step")
    int chunkedPrefillSize;

    @Option(names = "--max-prefill-tokens", paramLabel = "N", defaultValue = "4096", description = "new prompt tokens admitted per step")
    int maxPrefillTokens;

    @Option(names = "--max-total-tokens", paramLabel = "N", defaultValue = "0", description = "KV pool size in tokens (0: automatic)")
    int maxTotalTokens;

    @Option(names = "--context-length", paramLabel = "N", defaultValue = "0", description = "override the model's context length")
    int contextLength;

    @Option(names = "--schedule-policy", paramLabel = "fcfs|lpm", defaultValue = "lpm")
    String schedulePolicy;

    @Option(names = "--disable-radix-cache", description = "no prefix reuse across requests")
    boolean disableRadixCache;

    @Option(names = "--disable-overlap-schedule", description = "plan the next step only after the current one finishes")
    boolean disableOverlapSchedule;

    EngineConfig build(ModelOptions m) {
        var backendProperties = m.backendProperties();
        m.checkBackendFlags(null);
        return EngineConfig.builder(m.modelDir())
                .backend(m.backend).threads(m.threads).backendProperties(backendProperties).kvDtype(kvDtype(m.kvCacheDtype))
                .maxRunningRequests(maxRunningRequests).maxQueuedRequests(maxQueuedRequests)
                .chunkedPrefillSize(chunkedPrefillSize).maxPrefillTokens(maxPrefillTokens).maxTotalTokens(maxTotalTokens)
                .contextLength(contextLength).schedulePolicy(SchedulePolicy.parse(schedulePolicy))
                .disableRadixCache(disableRadixCache).disableOverlapSchedule(disableOverlapSchedule)
                .pluginDir(m.pluginDir).fallback(m.fallback)
                .build();
    }

    static DType kvDtype(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f32", "float32", "auto" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            case "f16", "float16", "fp16" -> DType.F16;
            default -> throw new IllegalArgumentException("unknown --kv-cache-dtype " + s + " (f32, bf16, f16)");
        };
    }
}
