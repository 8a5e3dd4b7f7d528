package io.jsgl.conformance;

import io.jsgl.engine.backend.BackendCandidate;
import io.jsgl.engine.backend.BackendRegistry;
import io.jsgl.engine.backend.BackendSelectionException;
import io.jsgl.spi.SpiVersion;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The kit without JUnit: picks backends from a registry, runs every op case, every fixture model
 * and every serving case on each, and returns a {@link ConformanceReport}. The CLI ({@code jsgl conformance}) and
 * the JUnit suite are thin layers over it.
 *
 * <pre>{@code
 * ConformanceReport r = ConformanceRunner.builder()
 *         .registry(BackendRegistry.discover(pluginDir))
 *         .backend("my-npu")            // or leave unset: every usable backend
 *         .fixtures(Path.of("testdata"))
 *         .build().run();
 * r.write(Path.of("conformance-report"));
 * }</pre>
 */
public final class ConformanceRunner {
    /** Selects every usable backend. */
    public static final String ALL = "all";

    private final BackendRegistry registry;
    private final String backend;
    private final Path fixtures;
    private final Predicate<String> filter;
    private final ProgressListener listener;
    private final boolean ops;
    private final boolean models;
    private final boolean serving;

    private ConformanceRunner(Builder b) {
        this.registry = b.registry != null ? b.registry : BackendRegistry.discover(BackendRegistry.pluginDir(null));
        this.backend = b.backend;
        this.fixtures = FixtureLocator.locate(b.fixtures);
        this.filter = b.filter;
        this.listener = b.listener;
        this.ops = b.ops;
        this.models = b.models;
        this.serving = b.serving;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private BackendRegistry registry;
        private String backend = ALL;
        private Path fixtures;
        private Predicate<String> filter = id -> true;
        private ProgressListener listener = ProgressListener.NONE;
        private boolean ops = true;
        private boolean models = true;
        private boolean serving = true;

        /** Where backends come from (default: class path plus the plugin directory in effect). */
        public Builder registry(BackendRegistry r) {
            this.registry = r;
            return this;
        }

        /** A backend name, or {@value #ALL} (the default) for every usable one. */
        public Builder backend(String name) {
            this.backend = name == null || name.isBlank() ? ALL : name;
            return this;
        }

        public Builder fixtures(Path dir) {
            this.fixtures = dir;
            return this;
        }

        /** Runs only cases whose id matches; unmatched cases are not part of the run (and not in the report). */
        public Builder filter(Predicate<String> caseIds) {
            this.filter = caseIds;
            return this;
        }

        /** A regular expression searched in case ids, e.g. {@code "^(linear|model)/"}. */
        public Builder only(String regex) {
            Pattern p = Pattern.compile(regex);
            return filter(id -> p.matcher(id).find());
        }

        public Builder listener(ProgressListener l) {
            this.listener = l;
            return this;
        }

        public Builder ops(boolean run) {
            this.ops = run;
            return this;
        }

        public Builder models(boolean run) {
            this.models = run;
            return this;
        }

        /** Whether to run the serving group ({@link ServingCase}): the engine's runtime on each backend. */
        public Builder serving(boolean run) {
            this.serving = run;
            return this;
        }

        public ConformanceRunner build() {
            return new ConformanceRunner(this);
        }
    }

    public BackendRegistry registry() {
        return registry;
    }

    public Path fixtures() {
        return fixtures;
    }

    /**
     * The backends this run tests. A named backend that cannot run is an error with its reasons;
     * with {@value #ALL}, unusable backends are listed in the report as not run, with theirs.
     */
    public List<BackendCandidate> selected() {
        if (!backend.equals(ALL)) return List.of(registry.select(backend));
        return registry.ranking().stream().filter(BackendCandidate::usable).toList();
    }

    public List<ConformanceReport.Skipped> skipped() {
        if (!backend.equals(ALL)) return List.of();
        return registry.candidates().stream().filter(c -> !c.usable())
                .map(c -> new ConformanceReport.Skipped(c.name(), c.origin(), c.reasons())).toList();
    }

    public List<OpCase> opCases() {
        return ops ? OpGrid.all().stream().filter(c -> filter.test(c.id())).toList() : List.of();
    }

    public List<ModelCase> modelCases() {
        return models ? ModelCase.find(fixtures).stream().filter(m -> filter.test(m.id())).toList() : List.of();
    }

    /** The serving cases: present whenever serving is on, UNSUPPORTED (with the reason) when no fixture model runs. */
    public List<ServingCase> servingCases() {
        return serving ? ServingCase.all(fixtures).stream().filter(c -> filter.test(c.id())).toList() : List.of();
    }

    public ConformanceReport run() {
        List<BackendCandidate> chosen = selected();
        if (chosen.isEmpty()) throw new BackendSelectionException("no usable backend to test: " + skipped());
        List<OpCase> opCases = opCases();
        List<ModelCase> modelCases = modelCases();
        List<ServingCase> servingCases = servingCases();
        List<BackendReport> reports = new ArrayList<>();
        try (Oracle oracle = new Oracle()) {
            for (BackendCandidate c : chosen) {
                try (ConformanceSession session = new ConformanceSession(c, oracle)) {
                    int total = opCases.size() + modelCases.size() + servingCases.size();
                    listener.backendStarted(c.name(), total);
                    int done = 0;
                    for (OpCase oc : opCases) listener.caseFinished(session.run(oc), ++done, total);
                    for (ModelCase mc : modelCases) listener.caseFinished(session.run(mc), ++done, total);
                    for (ServingCase sc : servingCases) listener.caseFinished(session.run(sc), ++done, total);
                    reports.add(session.report());
                }
            }
        }
        return reportOf(reports, skipped(), fixtures);
    }

    /** Assembles a report from per-backend results (what the JUnit suite does after its dynamic tests). */
    public static ConformanceReport reportOf(List<BackendReport> reports, List<ConformanceReport.Skipped> skipped,
                                             Path fixtures) {
        var covered = OpGrid.all().stream().map(OpCase::op).collect(java.util.stream.Collectors.toSet());
        List<String> uncovered = java.util.Arrays.stream(io.jsgl.spi.Op.values()).filter(o -> !covered.contains(o))
                .map(Enum::name).toList();
        return new ConformanceReport(Instant.now().toString(), SpiVersion.CURRENT,
                fixtures == null ? "(none found: no model cases)" : fixtures.toAbsolutePath().toString(),
                ConformanceReport.defaultTolerances(), Tolerances.OVERRIDES, uncovered, reports, skipped);
    }
}
