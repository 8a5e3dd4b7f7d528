package io.jsgl.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a backend ships in its own jar at {@value #RESOURCE}: cases it excludes and tolerances it
 * relaxes, each with a reason. Data, not code, so it is reviewed like data and shows up in every
 * report. Format:
 *
 * <pre>{@code
 * { "backend": "my-npu",
 *   "exclusions": [ { "case": "attention/*softcap*", "reason": "no soft-capped attention kernel" } ],
 *   "tolerances": [ { "case": "linear/f32/*", "rtol": 1e-3, "nmse": 1e-7,
 *                     "reason": "f32 GEMMs run as TF32 on the matrix unit" } ],
 *   "serving": { "batchInvariant": true,
 *                "reason": "every kernel computes a row alone, in an order that ignores the batch" } }
 * }</pre>
 *
 * <p>{@code serving.batchInvariant} is a claim the serving cases then hold the backend to: a
 * sequence's greedy tokens do not depend on what else shares its steps, how its prompt is chunked
 * or whether its prefix came from the cache, so every serving comparison must give identical
 * tokens. Without it those comparisons check logits within the model tolerance and report token
 * agreement. A model tolerance override (e.g. {@code "case": "model/*"}) also bounds the serving
 * cases' logit comparisons, unless an override matches the serving case itself.
 *
 * <p>{@code case} is a glob over case ids ({@code *} any characters, {@code ?} one). Since several
 * backends on one class path share a class loader, a file applies only to the backend it names.
 * A malformed file or an entry without a reason is an error, reported as a failing case.
 */
public final class BackendConformanceFile {
    public static final String RESOURCE = "META-INF/jsgl/conformance-exclusions.json";

    /** An excluded case pattern. */
    public record Exclusion(String pattern, String reason, String source) {}

    /** A relaxed bound for matching cases; null fields keep the kit's value. */
    public record ToleranceOverride(String pattern, Double rtol, Double nmse, String reason, String source) {}

    /** What the backend declares about serving ({@code "serving"}), with its reason and where it was read. */
    public record ServingDeclaration(boolean batchInvariant, String reason, String source) {}

    private final List<Exclusion> exclusions;
    private final List<ToleranceOverride> overrides;
    private final ServingDeclaration serving;
    private final List<String> errors;
    private final Set<String> used = Collections.synchronizedSet(new LinkedHashSet<>());

    private BackendConformanceFile(List<Exclusion> exclusions, List<ToleranceOverride> overrides,
                                   ServingDeclaration serving, List<String> errors) {
        this.exclusions = List.copyOf(exclusions);
        this.overrides = List.copyOf(overrides);
        this.serving = serving;
        this.errors = List.copyOf(errors);
    }

    public static BackendConformanceFile empty() {
        return new BackendConformanceFile(List.of(), List.of(), null, List.of());
    }

    /** Every {@value #RESOURCE} the loader sees that names {@code backend}. */
    public static BackendConformanceFile load(ClassLoader loader, String backend) {
        List<Exclusion> ex = new ArrayList<>();
        List<ToleranceOverride> tol = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        List<ServingDeclaration> serving = new ArrayList<>();
        try {
            for (URL url : Collections.list(loader.getResources(RESOURCE))) {
                parse(url, backend, ex, tol, serving, errors);
            }
        } catch (IOException e) {
            errors.add("cannot list " + RESOURCE + ": " + e.getMessage());
        }
        if (serving.size() > 1) {
            errors.add("more than one \"serving\" declaration for " + backend + ": "
                    + String.join(", ", serving.stream().map(ServingDeclaration::source).toList()));
        }
        return new BackendConformanceFile(ex, tol, serving.size() == 1 ? serving.getFirst() : null, errors);
    }

    private static void parse(URL url, String backend, List<Exclusion> ex, List<ToleranceOverride> tol,
                              List<ServingDeclaration> serving, List<String> errors) {
        JsonNode root;
        try (InputStream in = url.openStream()) {
            root = new ObjectMapper().readTree(in);
        } catch (IOException e) {
            errors.add(url + ": malformed JSON: " + e.getMessage());
            return;
        }
        String named = root.path("backend").asText(null);
        if (named == null) {
            errors.add(url + ": no \"backend\" field naming the backend it applies to");
            return;
        }
        if (!named.equals(backend)) return;
        for (JsonNode e : root.path("exclusions")) {
            String pattern = e.path("case").asText(null);
            String reason = e.path("reason").asText("").trim();
            if (pattern == null || reason.isEmpty()) {
                errors.add(url + ": exclusion " + e + " needs both \"case\" and a non-empty \"reason\"");
            } else {
                ex.add(new Exclusion(pattern, reason, url.toString()));
            }
        }
        for (JsonNode t : root.path("tolerances")) {
            String pattern = t.path("case").asText(null);
            String reason = t.path("reason").asText("").trim();
            Double rtol = t.hasNonNull("rtol") ? t.get("rtol").asDouble() : null;
            Double nmse = t.hasNonNull("nmse") ? t.get("nmse").asDouble() : null;
            if (pattern == null || reason.isEmpty() || (rtol == null && nmse == null)) {
                errors.add(url + ": tolerance " + t + " needs \"case\", \"rtol\" and/or \"nmse\", and a \"reason\"");
            } else {
                tol.add(new ToleranceOverride(pattern, rtol, nmse, reason, url.toString()));
            }
        }
        JsonNode s = root.path("serving");
        if (!s.isMissingNode()) {
            JsonNode invariant = s.path("batchInvariant");
            String reason = s.path("reason").asText("").trim();
            if (!s.isObject() || !invariant.isBoolean() || reason.isEmpty()) {
                errors.add(url + ": \"serving\" " + s + " needs \"batchInvariant\" (true or false) and a \"reason\"");
            } else {
                serving.add(new ServingDeclaration(invariant.booleanValue(), reason, url.toString()));
            }
        }
    }

    /** The backend's serving declaration, if its file has one. */
    public Optional<ServingDeclaration> serving() {
        return Optional.ofNullable(serving);
    }

    public List<String> errors() {
        return errors;
    }

    public List<Exclusion> exclusions() {
        return exclusions;
    }

    public List<ToleranceOverride> overrides() {
        return overrides;
    }

    public Optional<Exclusion> exclusionFor(String caseId) {
        for (Exclusion e : exclusions) {
            if (matches(e.pattern(), caseId)) {
                used.add(e.pattern());
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    public Optional<ToleranceOverride> overrideFor(String caseId) {
        for (ToleranceOverride o : overrides) {
            if (matches(o.pattern(), caseId)) {
                used.add(o.pattern());
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }

    /** Entries that matched no case of the run: stale data a maintainer should delete. */
    public List<String> unused() {
        List<String> out = new ArrayList<>();
        for (Exclusion e : exclusions) if (!used.contains(e.pattern())) out.add("exclusion " + e.pattern());
        for (ToleranceOverride o : overrides) if (!used.contains(o.pattern())) out.add("tolerance " + o.pattern());
        return out;
    }

    static boolean matches(String glob, String id) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.matches(re.toString(), id);
    }
}
