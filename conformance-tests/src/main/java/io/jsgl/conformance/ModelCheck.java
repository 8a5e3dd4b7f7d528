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
                if (failure.isEmpty()) failure = greedy(model, p, ids, ints(ref.get("greedy").get(p)), tol, notes);
                if (failure.isEmpty() && model.samplesOnBackend()) {
                    failure = backendGreedy(model, p, ids, ints(ref.get("greedy").get(p)).length, tol, notes);
                }
            }
        }
        return new Result(Metrics.compare(concat(refAll), concat(actAll)), failure, notes);
    }

    private static Optional<String> check(String what, float[] want, float[] got, Tolerance tol) {
        if (got == null) return Optional.of(what + " was not produced");
        if (got.length != want.length) return Optional.of(what + ": " + got.length + " values, reference " + want.length);
        return tol.violation(Metrics.compare(want, got)).map(v -> what + ": " + v);
    }

    private static Optional<String> greedy(DecoderModel model, int prompt, int[] ids, int[] want, Tolerance tol,
                                           List<String> notes) {
        int vocab = model.config().vocabSize();
        float[][] last = new float[1][vocab];
        try (var session = new SequenceSession(model)) {
            session.append(ids, false, last, null);
            float[] logits = last[0];
            for (int i = 0; i < want.length; i++) {
                int best = argmax(logits);
                if (best != want[i]) {
                    double margin = logits[best] - logits[want[i]];
                    double maxAbs = 0;
                    for (float l : logits) maxAbs = Math.max(maxAbs, Math.abs(l));
                    double allowed = 2 * tol.rtol() * maxAbs;
                    String at = "greedy continuation of prompt " + prompt + " diverges at token " + i + ": " + best
                            + " instead of " + want[i] + " (logit margin " + String.format("%.3g", margin);
                    if (margin <= allowed) {
                        notes.add(at + " <= near-tie allowance " + String.format("%.3g", allowed) + "; accepted)");
                        return Optional.empty();
                    }
                    return Optional.of(at + " > near-tie allowance " + String.format("%.3g", allowed) + ")");
                }
                if (i + 1 < want.length) session.step(best, logits);
            }
        }
        return Optional.empty();
    }

    /**
     * The continuation again with every token picked by the backend ({@code ARGMAX}): it must
     * match the host's picks over the same logits, but at a near-tie between the two.
     */
    private static Optional<String> backendGreedy(DecoderModel model, int prompt, int[] ids, int n, Tolerance tol,
                                                  List<String> notes) {
        int vocab = model.config().vocabSize();
        float[][] last = new float[1][vocab];
        int[] host = new int[n];
        float[][] hostLogits = new float[n][];
        try (var session = new SequenceSession(model)) {
            session.append(ids, false, last, null);
            float[] logits = last[0];
            for (int i = 0; i < n; i++) {
                host[i] = argmax(logits);
                hostLogits[i] = logits.clone();
                if (i + 1 < n) session.step(host[i], logits);
            }
        }
        try (var session = new SequenceSession(model)) {
            if (ids.length > 1) session.append(java.util.Arrays.copyOf(ids, ids.length - 1), false, last, null);
            int token = ids[ids.length - 1];
            for (int i = 0; i < n; i++) {
                token = session.stepGreedy(token);
                if (token != host[i]) {
                    float[] l = hostLogits[i];
                    double margin = l[host[i]] - l[token];
                    double maxAbs = 0;
                    for (float v : l) maxAbs = Math.max(maxAbs, Math.abs(v));
                    double allowed = 2 * tol.rtol() * maxAbs;
                    String at = "backend ARGMAX for prompt " + prompt + " picks " + token + " at token " + i
                            + " where the host picks " + host[i] + " (logit margin " + String.format("%.3g", margin);
                    if (margin <= allowed) {
                        notes.add(at + " <= near-tie allowance " + String.format("%.3g", allowed) + "; accepted)");
                        return Optional.empty();
                    }
                    return Optional.of(at + " > near-tie allowance " + String.format("%.3g", allowed) + ")");
                }
            }
        }
        return Optional.empty();
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
