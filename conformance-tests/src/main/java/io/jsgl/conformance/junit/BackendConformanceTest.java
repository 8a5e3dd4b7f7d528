package io.jsgl.conformance.junit;

import io.jsgl.conformance.BackendReport;
import io.jsgl.conformance.CaseResult;
import io.jsgl.conformance.ConformanceReport;
import io.jsgl.conformance.ConformanceRunner;
import io.jsgl.conformance.ConformanceSession;
import io.jsgl.conformance.ModelCase;
import io.jsgl.conformance.OpCase;
import io.jsgl.conformance.Oracle;
import io.jsgl.conformance.ServingCase;
import io.jsgl.engine.backend.BackendCandidate;
import io.jsgl.engine.backend.BackendRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The conformance kit as JUnit 5 dynamic tests: one container per backend, one test per case.
 * A vendor adds the kit jar to its test dependencies and either extends this class or lets
 * Surefire scan it ({@code <dependenciesToScan>io.jsgl:jsgl-conformance-tests</dependenciesToScan>}).
 *
 * <p>FAIL fails the test with the metrics and bound; UNSUPPORTED aborts it with the reason (JUnit
 * lists it as skipped, with that reason; the report lists it as UNSUPPORTED). A discovered backend
 * that cannot run gets an aborted test naming why. The last test writes {@code report.json} and
 * {@code support-matrix.md}.
 *
 * <p>Each backend's container holds "ops", "models" and "serving" (the engine's runtime on the
 * backend against itself: chunked prefill, prefix cache, batching, retraction, aborts, close, a
 * randomized radix stress run).
 *
 * <p>Settings: {@code -Djsgl.backend=NAME} (default: every usable backend), {@code -Djsgl.fixtures=DIR}
 * or {@code JSGL_FIXTURES}, {@code -Djsgl.plugin.dir=DIR} or {@code JSGL_PLUGIN_DIR},
 * {@code -Djsgl.conformance.only=REGEX} (case ids), {@code -Djsgl.conformance.out=DIR} (default
 * {@code target/jsgl-conformance}). Subclasses override {@link #configure} instead.
 */
public class BackendConformanceTest {

    /** The run's settings; the default reads the system properties above. */
    protected ConformanceRunner.Builder configure(ConformanceRunner.Builder builder) {
        builder.registry(BackendRegistry.discover(BackendRegistry.pluginDir(null)))
                .backend(System.getProperty("jsgl.backend", ConformanceRunner.ALL));
        String only = System.getProperty("jsgl.conformance.only");
        if (only != null && !only.isBlank()) builder.only(only);
        return builder;
    }

    /** Where the report goes. */
    protected Path reportDirectory() {
        String out = System.getProperty("jsgl.conformance.out");
        if (out != null && !out.isBlank()) return Path.of(out);
        Path target = Path.of("target");
        return (Files.isDirectory(target) ? target : Path.of(System.getProperty("java.io.tmpdir")))
                .resolve("jsgl-conformance");
    }

    @TestFactory
    Stream<DynamicNode> conformance() {
        ConformanceRunner runner = configure(ConformanceRunner.builder()).build();
        List<BackendCandidate> backends = runner.selected();
        List<OpCase> opCases = runner.opCases();
        List<ModelCase> modelCases = runner.modelCases();
        List<ServingCase> servingCases = runner.servingCases();
        Oracle oracle = new Oracle();
        List<ConformanceSession> sessions = new ArrayList<>();
        List<DynamicNode> nodes = new ArrayList<>();
        for (BackendCandidate c : backends) {
            ConformanceSession session = new ConformanceSession(c, oracle);
            sessions.add(session);
            List<DynamicNode> children = new ArrayList<>();
            children.add(DynamicTest.dynamicTest("exclusion file is valid", () -> {
                for (CaseResult r : session.results()) {
                    if (r.kind().equals(CaseResult.CONFIG)) Assertions.fail(r.reason());
                }
            }));
            children.add(DynamicContainer.dynamicContainer("ops", opCases.stream()
                    .map(oc -> DynamicTest.dynamicTest(oc.id(), () -> verdict(session.run(oc))))));
            if (runner.fixtures() == null) {
                children.add(DynamicTest.dynamicTest("models", () -> Assumptions.abort(
                        "no fixtures directory: set -Djsgl.fixtures=DIR or JSGL_FIXTURES")));
            } else {
                children.add(DynamicContainer.dynamicContainer("models", modelCases.stream()
                        .map(mc -> DynamicTest.dynamicTest(mc.id(), () -> verdict(session.run(mc))))));
            }
            children.add(DynamicContainer.dynamicContainer("serving", servingCases.stream()
                    .map(sc -> DynamicTest.dynamicTest(sc.id(), () -> verdict(session.run(sc))))));
            String label = c.name() + (c.simulated() ? " (simulated)" : "") + " from " + c.origin();
            nodes.add(DynamicContainer.dynamicContainer(label, children));
        }
        for (var s : runner.skipped()) {
            nodes.add(DynamicTest.dynamicTest(s.name() + " from " + s.origin() + " (not run)",
                    () -> Assumptions.abort("not run: " + String.join("; ", s.reasons()))));
        }
        nodes.add(DynamicTest.dynamicTest("write report", () -> {
            List<BackendReport> reports = new ArrayList<>();
            for (ConformanceSession s : sessions) {
                reports.add(s.report());
                s.close();
            }
            oracle.close();
            ConformanceReport report = ConformanceRunner.reportOf(reports, runner.skipped(), runner.fixtures());
            Path dir = report.write(reportDirectory());
            System.out.println(report.summary());
            System.out.println("conformance report: " + dir.toAbsolutePath());
        }));
        return nodes.stream();
    }

    private static void verdict(CaseResult r) {
        switch (r.outcome()) {
            case PASS -> { }
            case FAIL -> Assertions.fail(r.line() + (r.tolerance() == null ? "" : "  [bound " + r.tolerance() + "]"));
            case UNSUPPORTED -> Assumptions.abort(r.line());
        }
    }
}
