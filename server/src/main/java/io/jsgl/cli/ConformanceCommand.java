package io.jsgl.cli;

import io.jsgl.conformance.CaseResult;
import io.jsgl.conformance.ConformanceReport;
import io.jsgl.conformance.ConformanceRunner;
import io.jsgl.conformance.ProgressListener;
import io.jsgl.engine.backend.BackendRegistry;
import io.jsgl.engine.backend.BackendSelectionException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jsgl conformance}: the backend conformance kit from the command line. Exit status 0 when
 * every case passes or is UNSUPPORTED with a reason, 1 when any case fails, 2 when nothing could
 * run (an unknown or unavailable backend; the reasons are printed).
 */
@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = {"Run the conformance kit: every SPI op against the reference backend, every fixture model "
                + "against its Hugging Face reference, and the serving cases (the engine's runtime on the backend "
                + "against itself: chunked prefill, prefix cache, batching, retraction, aborts, close, radix stress).",
                "Writes report.json and support-matrix.md; exits 1 if any case fails."})
public final class ConformanceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = ConformanceRunner.ALL,
            description = "backend to test, or '" + ConformanceRunner.ALL + "' for every usable one (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--fixtures", paramLabel = "DIR",
            description = "model fixtures (default: -Djsgl.fixtures, $JSGL_FIXTURES, or testdata/ above the working directory)")
    Path fixtures;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "conformance-report",
            description = "where report.json and support-matrix.md go (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--plugin-dir", paramLabel = "DIR",
            description = "load backend jars from DIR (default: $" + BackendRegistry.PLUGIN_DIR_ENV + ")")
    String pluginDir;

    @Option(names = "--only", paramLabel = "REGEX", description = "run only cases whose id matches, e.g. '^(linear|model)/'")
    String only;

    @Option(names = "--no-models", description = "no fixture-model cases")
    boolean noModels;

    @Option(names = "--no-serving", description = "no serving cases")
    boolean noServing;

    @Option(names = "--no-progress", description = "no progress bar on stderr")
    boolean noProgress;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        ConformanceRunner.Builder b = ConformanceRunner.builder()
                .registry(BackendRegistry.discover(BackendRegistry.pluginDir(pluginDir)))
                .backend(backend).fixtures(fixtures).models(!noModels)
                .serving(!noServing);
        if (only != null) b.only(only);
        if (!noProgress) b.listener(new Progress());
        ConformanceReport report;
        try {
            report = b.build().run();
        } catch (BackendSelectionException e) {
            stderr.println("jsgl conformance: " + e.getMessage());
            stderr.flush();
            return 2;
        }
        Path dir = report.write(out);
        stdout.println(report.summary());
        stdout.println("report: " + dir.resolve(ConformanceReport.REPORT_JSON));
        stdout.println("support matrix: " + dir.resolve(ConformanceReport.SUPPORT_MATRIX));
        stdout.flush();
        return report.hasFailures() ? 1 : 0;
    }

    /** One progress bar per backend, on stderr. */
    private static final class Progress implements ProgressListener {
        private ProgressBar bar;

        @Override
        public void backendStarted(String backend, int cases) {
            bar = new ProgressBar("conformance " + backend, cases);
        }

        @Override
        public void caseFinished(CaseResult result, int done, int total) {
            bar.update(done);
        }
    }
}
