package io.jsgl.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsgl.engine.generate.SequenceSession;
import io.jsgl.engine.model.DecoderModel;
import io.jsgl.engine.model.ModelLoadOptions;
import io.jsgl.engine.weights.SafeTensorsFile;
import io.jsgl.spi.Backend;
import io.jsgl.spi.HostTensor;
import io.jsgl.spi.host.Numerics;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model on a backend against its Hugging Face references: the logits of every prompt, the
 * hidden states of prompt 1 (embedding output, each layer's input, final norm), and the greedy
 * continuations. A greedy divergence is accepted only at a near-tie: when the backend's own
 * logits for its token and the reference's token differ by no more than the logit tolerance.
 */
final class ModelCheck {
    private ModelCheck() {}

    /** The logits' metrics (all prompts together), the first violation if any, and notes. */
    record Result(Metrics logits, Optional<String> failure, List<String> notes) {}

    static Result run(Backend backend, Path dir, Tolerance tol) throws Exception {
        JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        List<String> notes = new ArrayList<>();
        Optional<String> failure = Optional.empty();
        List<float[]> refAll = new ArrayList<>();
        List<float[]> actAll = new ArrayList<>();
        try (Arena arena = Arena.ofConfined();
             DecoderModel model = DecoderModel.load(dir, backend, ModelLoadOptions.defaults(256))) {
            Map<String, HostTensor> expected = SafeTensorsFile.open(dir.resolve("reference.safetensors"), arena).tensors();
            int vocab = model.config().vocabSize();
            for (int p = 0; p < ref.get("prompts").size(); p++) {
                int[] ids = ints(ref.get("prompts").get(p));
                float[][] logits = new float[ids.length][vocab];
                Map<Integer, float[]> hidden = new HashMap<>();
                try (var session = new SequenceSession(model)) {
                    session.append(ids, true, logits, p == 1 ? (i, rows, r, c) -> hidden.put(i, rows) : null);
                }
                float[] want = values(expected, "logits_" + p);
                float[] got = flatten(logits);
                refAll.add(want);
                actAll.add(got);
                if (failure.isEmpty()) failure = check("logits of prompt " + p, want, got, tol);
                if (p == 1) {
                    for (int i = 0; i <= model.config().numLayers() && failure.isEmpty(); i++) {
                        failure = check("hidden state " + i + " of prompt 1", values(expected, "hidden_1_" + i),
                                hidden.get(i), tol);
                    }
                }
                int[] greedyWant = ints(ref.get("greedy").get(p));
                HostRun host = model.samplesOnBackend() ? new HostRun(greedyWant.length) : null;
                if (failure.isEmpty()) failure = greedy(model, p, ids, greedyWant, tol, notes, host);
                if (failure.isEmpty() && host != null) failure = backendGreedy(model, p, ids, host, tol, notes);
            }
        }
        return new Result(Metrics.compare(concat(refAll), concat(actAll)), failure, notes);
    }

    private static Optional<String> check(String what, float[] want, float[] got, Tolerance tol) {
        if (got == null) return Optional.of(what + " was not produced");
        if (got.length != want.length) return Optional.of(what + ": " + got.length + " values, reference " + want.length);
        return tol.violation(Metrics.compare(want, got)).map(v -> what + ": " + v);
    }

    /** The host's greedy picks over a whole continuation and the logits each came from. */
    private record HostRun(int[] picks, float[][] logits) {
        HostRun(int n) {
            this(new int[n], new float[n][]);
        }
    }

    /**
     * The greedy continuation with host picks against Hugging Face's; with {@code run}, every
     * step's pick and logits are kept, to the end, for {@link #backendGreedy}.
     */
    private static Optional<String> greedy(DecoderModel model, int prompt, int[] ids, int[] want, Tolerance tol,
                                           List<String> notes, HostRun run) {
        int vocab = model.config().vocabSize();
        float[][] last = new float[1][vocab];
        Optional<String> verdict = null; // decided at the first divergence
        try (var session = new SequenceSession(model)) {
            session.append(ids, false, last, null);
            float[] logits = last[0];
            for (int i = 0; i < want.length; i++) {
                int best = argmax(logits);
                if (run != null) {
                    run.picks[i] = best;
                    run.logits[i] = logits.clone();
                }
                if (verdict == null && best != want[i]) {
                    verdict = nearTie(logits, best, want[i], tol, notes, "greedy continuation of prompt " + prompt
                            + " diverges at token " + i + ": " + best + " instead of " + want[i]);
                    if (verdict.isPresent() || run == null) return verdict;
                }
                if (i + 1 < want.length) session.step(best, logits);
            }
        }
        return verdict == null ? Optional.empty() : verdict;
    }

    /**
     * The continuation again with every token picked by the backend ({@code ARGMAX}): it must
     * match the host's picks over the same logits, but at a near-tie between the two.
     */
    private static Optional<String> backendGreedy(DecoderModel model, int prompt, int[] ids, HostRun host,
                                                  Tolerance tol, List<String> notes) {
        float[][] last = new float[1][model.config().vocabSize()];
        try (var session = new SequenceSession(model)) {
            if (ids.length > 1) session.append(java.util.Arrays.copyOf(ids, ids.length - 1), false, last, null);
            int token = ids[ids.length - 1];
            for (int i = 0; i < host.picks.length; i++) {
                token = session.stepGreedy(token);
                if (token != host.picks[i]) {
                    return nearTie(host.logits[i], host.picks[i], token, tol, notes, "backend ARGMAX for prompt "
                            + prompt + " picks " + token + " at token " + i + " where the host picks " + host.picks[i]);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * A pick of {@code best} where {@code other} was expected is accepted (with a note) only when
     * their logits are within twice the tolerance's relative bound of the row's largest magnitude.
     */
    private static Optional<String> nearTie(float[] logits, int best, int other, Tolerance tol, List<String> notes,
                                            String at) {
        double margin = logits[best] - logits[other];
        double maxAbs = 0;
        for (float l : logits) maxAbs = Math.max(maxAbs, Math.abs(l));
        double allowed = 2 * tol.rtol() * maxAbs;
        String what = at + " (logit margin " + String.format("%.3g", margin);
        if (margin <= allowed) {
            notes.add(what + " <= near-tie allowance " + String.format("%.3g", allowed) + "; accepted)");
            return Optional.empty();
        }
        return Optional.of(what + " > near-tie allowance " + String.format("%.3g", allowed) + ")");
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static float[] values(Map<String, HostTensor> tensors, String name) {
        HostTensor t = tensors.get(name);
        if (t == null) throw new IllegalStateException("reference.safetensors lacks " + name);
        float[] out = new float[(int) t.numel()];
        for (int i = 0; i < out.length; i++) out[i] = Numerics.read(t.data(), t.dtype(), i);
        return out;
    }

    private static float[] flatten(float[][] rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, out, i * rows[0].length, rows[0].length);
        return out;
    }

    static float[] concat(List<float[]> parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asInt();
        return out;
    }
}
