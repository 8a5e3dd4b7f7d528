package io.jsgl.conformance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The result of a run: every case of every backend, the bounds used with their provenance and
 * the kit's per-op overrides. Written as {@code report.json} (machine-readable, every case) and
 * {@code support-matrix.md} (op x dtype per backend).
 */
public record ConformanceReport(String generatedAt, int spiVersion, String fixtures, List<ToleranceInfo> tolerances,
                                List<Tolerances.OpOverride> opOverrides, List<String> opsWithoutCases,
                                List<BackendReport> backends, List<Skipped> skippedBackends) {

    public static final String REPORT_JSON = "report.json";
    public static final String SUPPORT_MATRIX = "support-matrix.md";

    /** A bound as the report lists it. */
    public record ToleranceInfo(String name, String bound, String provenance) {
        static ToleranceInfo of(Tolerance t) {
            return new ToleranceInfo(t.name(), t.describe(), t.provenance());
        }
    }

    /** A discovered backend the run did not test, and why. */
    public record Skipped(String name, String origin, List<String> reasons) {}

    public ConformanceReport {
        tolerances = List.copyOf(tolerances);
        opOverrides = List.copyOf(opOverrides);
        opsWithoutCases = List.copyOf(opsWithoutCases);
        backends = List.copyOf(backends);
        skippedBackends = List.copyOf(skippedBackends);
    }

    static List<ToleranceInfo> defaultTolerances() {
        return List.of(Tolerances.F32, Tolerances.F16, Tolerances.BF16, Tolerances.F32_REDUCTION, Tolerances.F16_REDUCTION,
                Tolerances.BF16_REDUCTION, Tolerances.EXACT, Tolerances.MODEL, Tolerances.SERVING).stream().map(ToleranceInfo::of).toList();
    }

    public boolean hasFailures() {
        return backends.stream().anyMatch(BackendReport::failed);
    }

    public long count(Outcome o) {
        return backends.stream().mapToLong(b -> b.count(o)).sum();
    }

    /** A few lines for a terminal: one per backend, then the failures. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        for (BackendReport r : backends) b.append(r.summaryLine()).append('\n');
        for (Skipped s : skippedBackends) {
            b.append(s.name()).append(": not run (").append(String.join("; ", s.reasons())).append(")\n");
        }
        for (BackendReport r : backends) {
            for (CaseResult c : r.cases()) {
                if (c.outcome() == Outcome.FAIL) b.append("  FAIL ").append(r.name()).append(' ').append(c.id())
                        .append(": ").append(c.reason()).append('\n');
            }
            for (String u : r.unusedExclusions()) {
                b.append("  note ").append(r.name()).append(": ").append(u).append(" matched no case of this run\n");
            }
        }
        if (!opsWithoutCases.isEmpty()) {
            b.append("  note: the kit has no cases yet for ").append(String.join(", ", opsWithoutCases)).append('\n');
        }
        b.append(hasFailures() ? "conformance: FAIL" : "conformance: PASS");
        return b.toString();
    }

    public String toJson() {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String supportMatrix() {
        return SupportMatrix.render(this);
    }

    /** Writes both files into {@code dir} (created if needed) and returns it. */
    public Path write(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(REPORT_JSON), toJson());
            Files.writeString(dir.resolve(SUPPORT_MATRIX), supportMatrix());
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the conformance report to " + dir, e);
        }
    }
}
