package io.jsgl.conformance;

import io.jsgl.engine.Engine;
import io.jsgl.engine.api.EngineConfig;
import io.jsgl.engine.api.EngineHooks;
import io.jsgl.engine.backend.BackendCandidate;
import io.jsgl.engine.model.ModelRequirements;
import io.jsgl.engine.weights.ModelFormatException;
import io.jsgl.spi.Backend;
import io.jsgl.spi.BackendDescriptor;
import io.jsgl.spi.BackendOptions;
import io.jsgl.spi.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The kit against one backend: it opens the backend once (on the first case that needs it), runs
 * cases one at a time, and keeps their results for the report. Usable directly, by the
 * {@link ConformanceRunner}, and by the JUnit suite (one dynamic test per case).
 */
public final class ConformanceSession implements AutoCloseable {
    private final BackendCandidate candidate;
    private final Oracle oracle;
    private final BackendConformanceFile rules;
    private final List<CaseResult> results = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private Backend backend;
    private RuntimeException createFailure;
    /** The serving cases' model, page size and declaration, found on the first serving case. */
    private ServingCheck.Setup serving;
    private String servingUnsupported;
    private String servingFailure;

    public ConformanceSession(BackendCandidate candidate, Oracle oracle) {
        this.candidate = candidate;
        this.oracle = oracle;
        this.rules = BackendConformanceFile.load(candidate.provider().getClass().getClassLoader(), candidate.name());
        for (String error : rules.errors()) {
            record(CaseResult.of(candidate.name(), CaseResult.CONFIG, "config/exclusions", "-", "-", "-", null, null,
                    Outcome.FAIL, error, null, null, 0));
        }
        if (candidate.simulated()) {
            notes.add("simulated: the backend's probe reports that it emulates its hardware on the host; these results "
                    + "check the plugin's lifecycle and op semantics, not a device");
        }
    }

    public BackendCandidate candidate() {
        return candidate;
    }

    private String name() {
        return candidate.name();
    }

    private BackendDescriptor descriptor() {
        return candidate.descriptor();
    }

    private Backend backend() {
        if (createFailure != null) throw createFailure;
        if (backend == null) {
            try {
                backend = candidate.provider().create(BackendOptions.defaults());
            } catch (RuntimeException | LinkageError e) {
                createFailure = new IllegalStateException("creating the backend failed: " + e, e);
                throw createFailure;
            }
        }
        return backend;
    }

    private synchronized CaseResult record(CaseResult r) {
        results.add(r);
        return r;
    }

    public CaseResult run(OpCase c) {
        long start = System.nanoTime();
        String op = c.op().name();
        var excluded = rules.exclusionFor(c.id());
        if (excluded.isPresent()) {
            return record(CaseResult.of(name(), CaseResult.OP, c.id(), op, c.dtype(), c.shape(), null, c.tolerance(),
                    Outcome.UNSUPPORTED, "excluded by the backend: " + excluded.get().reason(), excluded.get().reason(),
                    null, 0));
        }
        if (!descriptor().supports(c.op(), c.weightDtype())) {
            return unsupported(c, lacks(c.op().name(), c.weightDtype()));
        }
        if (!oracle.supports(c.op(), c.weightDtype())) {
            return unsupported(c, "no oracle: the reference backend does not implement " + op
                    + (c.weightDtype() == null ? "" : " for " + c.weightDtype() + " weights"));
        }
        Tolerance tol = c.tolerance();
        String override = null;
        var o = rules.overrideFor(c.id());
        if (o.isPresent()) {
            var ov = o.get();
            tol = new Tolerance(tol.name() + "+backend-override", ov.rtol() != null ? ov.rtol() : tol.rtol(),
                    ov.nmse() != null ? ov.nmse() : tol.maxNmse(), ov.reason());
            override = tol.describe() + " (backend override: " + ov.reason() + ")";
        }
        List<float[]> want;
        try {
            want = oracle.outputs(c);
        } catch (Exception | LinkageError e) {
            return record(CaseResult.of(name(), CaseResult.OP, c.id(), op, c.dtype(), c.shape(), null, tol, Outcome.FAIL,
                    "the oracle failed on this case (a kit bug): " + e, null, override, millis(start)));
        }
        List<float[]> got;
        try (Harness h = new Harness(backend(), c.seed())) {
            got = c.program().run(h);
        } catch (Harness.Refused e) {
            return record(CaseResult.of(name(), CaseResult.OP, c.id(), op, c.dtype(), c.shape(), null, tol,
                    Outcome.UNSUPPORTED, "the backend " + e.getMessage(), null, override, millis(start)));
        } catch (Exception | LinkageError | AssertionError e) {
            return record(CaseResult.of(name(), CaseResult.OP, c.id(), op, c.dtype(), c.shape(), null, tol, Outcome.FAIL,
                    "threw " + e, null, override, millis(start)));
        }
        if (got.size() != want.size()) {
            return record(CaseResult.of(name(), CaseResult.OP, c.id(), op, c.dtype(), c.shape(), null, tol, Outcome.FAIL,
                    "produced " + got.size() + " outputs, the oracle " + want.size(), null, override, millis(start)));
        }
        Metrics m;
        try {
            m = Metrics.compare(ModelCheck.concat(want), ModelCheck.concat(got));
        } catch (IllegalArgumentException e) {
            return record(CaseResult.of(name(), CaseResult.OP, c.id(), op, c.dtype(), c.shape(), null, tol, Outcome.FAIL,
                    e.getMessage(), null, override, millis(start)));
        }
        Optional<String> violation = tol.violation(m);
        return record(CaseResult.of(name(), CaseResult.OP, c.id(), op, c.dtype(), c.shape(), m, tol,
                violation.isPresent() ? Outcome.FAIL : Outcome.PASS, violation.orElse(null), null, override,
                millis(start)));
    }

    private CaseResult unsupported(OpCase c, String reason) {
        return record(CaseResult.of(name(), CaseResult.OP, c.id(), c.op().name(), c.dtype(), c.shape(), null, c.tolerance(),
                Outcome.UNSUPPORTED, reason, null, null, 0));
    }

    private static String lacks(String op, DType weightDtype) {
        return "the backend declares no " + op + (weightDtype == null ? "" : " for " + weightDtype + " weights");
    }

    public CaseResult run(ModelCase m) {
        long start = System.nanoTime();
        var excluded = rules.exclusionFor(m.id());
        if (excluded.isPresent()) {
            return record(CaseResult.of(name(), CaseResult.MODEL, m.id(), "MODEL", "-", m.name(), null, Tolerances.MODEL,
                    Outcome.UNSUPPORTED, "excluded by the backend: " + excluded.get().reason(), excluded.get().reason(),
                    null, 0));
        }
        ModelRequirements needs;
        try {
            needs = ModelRequirements.forModel(m.dir());
        } catch (ModelFormatException e) {
            return record(CaseResult.of(name(), CaseResult.MODEL, m.id(), "MODEL", "-", m.name(), null, Tolerances.MODEL,
                    Outcome.UNSUPPORTED, "the engine cannot run this model: " + e.getMessage(), null, null,
                    millis(start)));
        }
        String dtype = modelDtype(needs);
        var missing = needs.missingOn(descriptor());
        if (!missing.isEmpty()) {
            return record(CaseResult.of(name(), CaseResult.MODEL, m.id(), "MODEL", dtype, m.name(), null, Tolerances.MODEL,
                    Outcome.UNSUPPORTED, "the backend lacks " + String.join(", ", missing.stream().map(Object::toString)
                            .toList()), null, null, millis(start)));
        }
        Tolerance tol = Tolerances.MODEL;
        String override = null;
        var o = rules.overrideFor(m.id());
        if (o.isPresent() && o.get().rtol() != null) {
            tol = new Tolerance("model+backend-override", o.get().rtol(), Double.NaN, o.get().reason());
            override = tol.describe() + " (backend override: " + o.get().reason() + ")";
        }
        String shape = m.name() + ": 4 prompts, hidden states, greedy continuations";
        try {
            ModelCheck.Result r = ModelCheck.run(backend(), m.dir(), tol);
            String reason = r.failure().orElse(r.notes().isEmpty() ? null : String.join("; ", r.notes()));
            return record(CaseResult.of(name(), CaseResult.MODEL, m.id(), "MODEL", dtype, shape, r.logits(), tol,
                    r.failure().isPresent() ? Outcome.FAIL : Outcome.PASS, reason, null, override, millis(start)));
        } catch (Exception | LinkageError | AssertionError e) {
            return record(CaseResult.of(name(), CaseResult.MODEL, m.id(), "MODEL", dtype, shape, null, tol, Outcome.FAIL,
                    "threw " + e, null, override, millis(start)));
        }
    }

    /**
     * A serving case: the engine's runtime on this backend, against itself (see {@link ServingCase}).
     * UNSUPPORTED when the backend excludes it or runs none of the fixture models.
     */
    public CaseResult run(ServingCase c) {
        long start = System.nanoTime();
        var excluded = rules.exclusionFor(c.id());
        if (excluded.isPresent()) {
            return record(CaseResult.of(name(), CaseResult.SERVING, c.id(), "SERVING", "-", c.checks(), null,
                    Tolerances.MODEL, Outcome.UNSUPPORTED, "excluded by the backend: " + excluded.get().reason(),
                    excluded.get().reason(), null, 0));
        }
        servingSetup(c);
        if (servingUnsupported != null || servingFailure != null) {
            return record(CaseResult.of(name(), CaseResult.SERVING, c.id(), "SERVING", "-", c.checks(), null,
                    Tolerances.MODEL, servingFailure != null ? Outcome.FAIL : Outcome.UNSUPPORTED,
                    servingFailure != null ? servingFailure : servingUnsupported, null, null, millis(start)));
        }
        String dtype = modelDtype(ModelRequirements.forModel(serving.model()));
        // a bound for this serving case, else the backend's model bound for this model, else the kit's model bound
        Tolerance tol = Tolerances.SERVING;
        String override = null;
        var o = rules.overrideFor(c.id());
        if (o.isEmpty() || o.get().rtol() == null) o = rules.overrideFor("model/" + serving.modelName());
        if (o.isPresent() && o.get().rtol() != null) {
            tol = new Tolerance("serving+backend-override", o.get().rtol(), Double.NaN, o.get().reason());
            override = tol.describe() + " (backend override of " + o.get().pattern() + ": " + o.get().reason() + ")";
        }
        var setup = new ServingCheck.Setup(serving.backend(), serving.model(), serving.modelName(), tol,
                serving.batchInvariant(), serving.page(), serving.vocab());
        try {
            ServingCheck.Result r = ServingCheck.run(c.name(), setup);
            String reason = r.failure().orElse(r.notes().isEmpty() ? null : String.join("; ", r.notes()));
            if (r.failure().isPresent() && !r.notes().isEmpty()) reason += " [" + String.join("; ", r.notes()) + "]";
            return record(CaseResult.of(name(), CaseResult.SERVING, c.id(), "SERVING", dtype, r.shape(), r.logits(), tol,
                    r.failure().isPresent() ? Outcome.FAIL : Outcome.PASS, reason, null, override, millis(start)));
        } catch (Exception | LinkageError | AssertionError e) {
            return record(CaseResult.of(name(), CaseResult.SERVING, c.id(), "SERVING", dtype, c.checks(), null, tol,
                    Outcome.FAIL, "threw " + e, null, override, millis(start)));
        }
    }

    /** Picks the first fixture model the backend runs and opens an engine on it once, for its page size. */
    private void servingSetup(ServingCase c) {
        if (serving != null || servingUnsupported != null || servingFailure != null) return;
        if (c.models().isEmpty()) {
            servingUnsupported = "no fixture models to serve: set --fixtures, -Djsgl.fixtures or JSGL_FIXTURES";
            return;
        }
        List<String> why = new ArrayList<>();
        ModelCase chosen = null;
        for (ModelCase m : c.models()) {
            try {
                var missing = ModelRequirements.forModel(m.dir()).missingOn(descriptor());
                if (missing.isEmpty()) {
                    chosen = m;
                    break;
                }
                why.add(m.name() + " needs " + String.join(", ", missing.stream().map(Object::toString).toList()));
            } catch (ModelFormatException e) {
                why.add(m.name() + ": the engine cannot run it (" + e.getMessage() + ")");
            }
        }
        if (chosen == null) {
            servingUnsupported = "the backend runs none of the fixture models: " + String.join("; ", why);
            return;
        }
        boolean invariant;
        String declaredBy;
        var declared = rules.serving();
        if (declared.isPresent()) {
            invariant = declared.get().batchInvariant();
            declaredBy = (invariant ? "declared" : "declared absent") + " in " + declared.get().source() + ": "
                    + declared.get().reason();
        } else if (candidate.provider() instanceof io.jsgl.backend.reference.ReferenceBackendProvider) {
            invariant = true;
            declaredBy = "known to the kit: the reference backend is its oracle (plain Java, double accumulation, "
                    + "every row computed on its own)";
        } else {
            invariant = false;
            declaredBy = "not declared (" + BackendConformanceFile.RESOURCE + " has no \"serving\" entry)";
        }
        try (Engine e = Engine.open(EngineConfig.builder(chosen.dir()).contextLength(ServingCheck.CONTEXT)
                .maxTotalTokens(ServingCheck.POOL).build(), backend(), EngineHooks.NONE)) {
            serving = new ServingCheck.Setup(backend(), chosen.dir(), chosen.name(), Tolerances.SERVING, invariant,
                    e.kvPageSize(), e.modelConfig().vocabSize());
        } catch (RuntimeException | LinkageError e) {
            servingFailure = "opening an engine with " + chosen.name() + " on the backend failed: " + e;
            return;
        }
        notes.add("serving cases run " + chosen.name() + " (KV page " + serving.page() + "); batch invariance "
                + declaredBy);
    }

    private static String modelDtype(ModelRequirements needs) {
        DType weights = needs.needs().stream().filter(n -> n.weightDtype() != null).map(n -> n.weightDtype()).findFirst()
                .orElse(null);
        return weights == null ? "-" : OpCase.dtypeName(weights);
    }

    private static long millis(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    public synchronized List<CaseResult> results() {
        return List.copyOf(results);
    }

    public BackendReport report() {
        BackendDescriptor d = descriptor();
        return new BackendReport(name(), d.version(), d.description(), candidate.origin(), candidate.simulated(),
                candidate.probe() == null ? java.util.Map.of() : candidate.probe().details(), results(), rules.unused(),
                notes);
    }

    @Override
    public void close() {
        if (backend != null) {
            backend.close();
            backend = null;
        }
    }
}
