package io.jsgl.engine.bench;

import io.jsgl.engine.backend.ProfilingBackend;
import io.jsgl.engine.model.DecoderModel;
import io.jsgl.engine.model.ModelStep;
import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.host.Numerics;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import java.util.SplittableRandom;

/**
 * SGLang's bench_one_batch on the model directly: one static batch of random prompts, prefilled
 * (in steps of at most the model's step capacity), then decoded greedily, printing SGLang's lines
 * plus the weight-streaming rate of decode.
 */
public final class BenchOneBatch {
    public record Result(double prefillSeconds, double medianDecodeSeconds, double totalSeconds, double weightGBps, double probeGBps) {}

    /** Default size of the bandwidth probe: past any last-level cache a weight could sit in. */
    public static final long DEFAULT_PROBE_BYTES = 1L << 30;

    private final DecoderModel model;
    private final int batch;
    private final int inputLen;
    private final int outputLen;
    private final int vocab;
    private final int perSeq;
    private final int[] slots;
    private final long probeBytes;
    /** {@code -Djsgl.bench.host-sampling=true}: download the logits and take the argmax here even where the backend could. */
    private static final boolean HOST_SAMPLING = Boolean.getBoolean("jsgl.bench.host-sampling");
    /** Tokens sampled by the backend in one step, one a logit row. */
    private final int[] sampled;

    public BenchOneBatch(DecoderModel model, int batch, int inputLen, int outputLen) {
        this(model, batch, inputLen, outputLen, 0);
    }

    /**
     * {@code probeBytes > 0}: the backend's read-bandwidth probe runs over that many bytes right
     * before prefill and right after decode, and decode streaming is reported against their mean.
     */
    public BenchOneBatch(DecoderModel model, int batch, int inputLen, int outputLen, long probeBytes) {
        if (batch < 1 || inputLen < 1 || outputLen < 1) throw new IllegalArgumentException("batch, input and output lengths must be >= 1");
        this.model = model;
        this.batch = batch;
        this.inputLen = inputLen;
        this.outputLen = outputLen;
        this.vocab = model.config().vocabSize();
        this.perSeq = inputLen + outputLen;
        if (1L + (long) batch * perSeq > model.options().kvSlots()) {
            throw new IllegalArgumentException("KV pool of " + model.options().kvSlots() + " slots is too small for "
                    + batch + " x " + perSeq);
        }
        this.probeBytes = probeBytes;
        this.sampled = new int[model.options().maxLogitRows()];
        this.slots = new int[batch * perSeq];
        for (int i = 0; i < slots.length; i++) slots[i] = 1 + i;
    }

    public Result run(PrintStream out, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] tokens = new int[batch][perSeq];
        for (int[] t : tokens) for (int i = 0; i < inputLen; i++) t[i] = rnd.nextInt(vocab);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment logits = arena.allocate((long) model.options().maxLogitRows() * vocab * 4, 64);
            OptionalDouble probeBefore = probe();
            ProfilingBackend profiler = model.backend() instanceof ProfilingBackend pb ? pb : null;
            if (profiler != null) profiler.reset(); // earlier runs (the warm-up) are not this one's
            long t0 = System.nanoTime();
            prefill(tokens, logits);
            double prefill = (System.nanoTime() - t0) / 1e9;
            out.printf("Prefill. latency: %.5f s, throughput: %9.2f token/s%n", prefill, batch * inputLen / prefill);
            if (profiler != null) {
                profiler.report(out, "prefill", 1);
                profiler.reset();
            }
            double[] decode = new double[outputLen - 1];
            for (int step = 0; step < outputLen - 1; step++) {
                long s0 = System.nanoTime();
                decodeStep(tokens, inputLen + step, logits);
                decode[step] = (System.nanoTime() - s0) / 1e9;
                if (step < 5 || step % 20 == 0) {
                    out.printf("Decode %d. Batch size: %d, latency: %.5f s, throughput: %9.2f token/s%n", step, batch,
                            decode[step], batch / decode[step]);
                }
            }
            if (profiler != null) profiler.report(out, "decode", decode.length);
            double total = prefill + Arrays.stream(decode).sum();
            double median = median(decode);
            // mixtures of experts: count only the experts a step reads (top-k at batch 1, the expectation above)
            long stepBytes = model.streamedWeightBytes(batch);
            double gbps = median > 0 ? stepBytes / median / 1e9 : 0;
            if (decode.length > 0) {
                out.printf("Decode.  median latency: %.5f s, median throughput: %9.2f token/s%n", median, batch / median);
                if (stepBytes < model.totalWeightBytes()) {
                    out.printf("Decode weight streaming: %.2f GB/s (%.1f MB of active weights per step of %.1f MB, "
                            + "routed experts counted as read%s)%n", gbps, stepBytes / 1e6, model.totalWeightBytes() / 1e6,
                            batch == 1 ? ": top-k" : ": expected under uniform routing");
                } else {
                    out.printf("Decode weight streaming: %.2f GB/s (%.1f MB of weights per step)%n", gbps, stepBytes / 1e6);
                }
            }
            out.printf("Total. latency: %.3f s, throughput: %9.2f token/s%n", total, batch * (inputLen + outputLen - 1) / total);
            OptionalDouble probeAfter = probe();
            double probe = Double.NaN;
            if (probeBefore.isPresent() && probeAfter.isPresent()) {
                probe = (probeBefore.getAsDouble() + probeAfter.getAsDouble()) / 2;
                out.printf("Bandwidth probe: %.2f GB/s before, %.2f GB/s after (%.0f MB read by the backend's threads); "
                        + "decode streamed weights at %.2f of their mean%n", probeBefore.getAsDouble(),
                        probeAfter.getAsDouble(), probeBytes / 1e6, decode.length > 0 ? gbps / probe : 0);
            } else if (probeBytes > 0) {
                out.printf("Bandwidth probe: not implemented by backend %s%n", model.backend().descriptor().name());
            }
            return new Result(prefill, median, total, gbps, probe);
        }
    }

    private OptionalDouble probe() {
        return probeBytes > 0 ? model.backend().measureReadBandwidth(probeBytes) : OptionalDouble.empty();
    }

    private void prefill(int[][] tokens, MemorySegment logits) {
        int cap = model.options().maxStepTokens();
        int seq = 0;
        int done = 0;
        while (seq < batch) {
            List<int[]> parts = new ArrayList<>(); // {seq, from, count}
            int rows = 0;
            while (seq < batch && rows < cap && parts.size() < model.options().maxLogitRows()) {
                int n = Math.min(inputLen - done, cap - rows);
                parts.add(new int[] {seq, done, n});
                rows += n;
                done += n;
                if (done == inputLen) {
                    seq++;
                    done = 0;
                }
            }
            runStep(tokens, parts, rows, logits);
        }
    }

    private void decodeStep(int[][] tokens, int position, MemorySegment logits) {
        List<int[]> parts = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) parts.add(new int[] {b, position, 1});
        runStep(tokens, parts, batch, logits);
    }

    private void runStep(int[][] tokens, List<int[]> parts, int rows, MemorySegment logits) {
        int n = parts.size();
        int[] qStart = new int[n], qLen = new int[n], kvLen = new int[n], slotStart = new int[n];
        int[] ids = new int[rows];
        int[] newSlots = new int[rows];
        List<Integer> finishing = new ArrayList<>();
        int row = 0;
        for (int i = 0; i < n; i++) {
            int[] p = parts.get(i);
            int s = p[0], from = p[1], q = p[2];
            qStart[i] = row;
            qLen[i] = q;
            kvLen[i] = from + q;
            slotStart[i] = s * perSeq;
            for (int j = 0; j < q; j++) {
                ids[row + j] = tokens[s][from + j];
                newSlots[row + j] = slots[s * perSeq + from + j];
            }
            row += q;
            if (from + q >= inputLen) finishing.add(i);
        }
        int[] logitRows = finishing.stream().mapToInt(i -> qStart[i] + qLen[i] - 1).toArray();
        ModelStep step = new ModelStep(ids, new AttentionBatch(qStart, qLen, kvLen, slotStart, slots, newSlots, rows),
                logitRows);
        // greedy, as SGLang's bench_one_batch: on the backend where it can (token ids come down, not logits)
        boolean onBackend = model.samplesOnBackend() && !HOST_SAMPLING;
        if (onBackend) {
            model.forwardGreedy(step, sampled);
        } else {
            model.forward(step, logits);
        }
        for (int k = 0; k < finishing.size(); k++) {
            int[] p = parts.get(finishing.get(k));
            int next = p[1] + p[2];
            if (next < perSeq) tokens[p[0]][next] = onBackend ? sampled[k] : argmax(logits, k);
        }
    }

    private int argmax(MemorySegment logits, int row) {
        long base = (long) row * vocab;
        int best = 0;
        float bestV = Float.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            float x = logits.getAtIndex(Numerics.FLOAT_LE, base + v);
            if (x > bestV) {
                bestV = x;
                best = v;
            }
        }
        return best;
    }

    private static double median(double[] xs) {
        if (xs.length == 0) return 0;
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
