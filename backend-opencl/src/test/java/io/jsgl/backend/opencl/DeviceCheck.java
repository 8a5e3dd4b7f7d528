package io.jsgl.backend.opencl;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/**
 * Runs this module's JUnit tests without Maven (for a machine that has only a JRE, such as the
 * GPU box): {@code java -cp <test-classes:classes:jars> io.jsgl.backend.opencl.DeviceCheck}.
 * Prints one line per failed test and a PASS/FAIL summary; exit status 1 on any failure.
 */
public final class DeviceCheck {
    public static void main(String[] args) {
        // arguments: simple names of the test classes to run (default: all)
        List<Class<?>> all = List.of(OpenClProbeTest.class, OpenClOpsTest.class, OpenClAttentionTest.class,
                OpenClNormPrologueTest.class);
        List<Class<?>> chosen = args.length == 0 ? all
                : all.stream().filter(c -> Arrays.asList(args).contains(c.getSimpleName())).toList();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(chosen.stream().map(c -> selectClass(c)).toList())
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        TestExecutionListener lines = new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest()) {
                    if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                        System.out.println("CONTAINER " + result.getStatus() + " " + id.getDisplayName() + ": "
                                + result.getThrowable().map(Throwable::toString).orElse(""));
                    }
                    return;
                }
                String status = result.getStatus() == TestExecutionResult.Status.SUCCESSFUL ? "PASS" : "FAIL";
                if (!status.equals("PASS") || Boolean.getBoolean("check.verbose")) {
                    System.out.println(status + " " + id.getDisplayName()
                            + result.getThrowable().map(t -> ": " + t.getMessage()).orElse(""));
                    // where it failed: the first frames in jsgl code, on one line
                    result.getThrowable().ifPresent(t -> System.out.println("FAIL   at " + Arrays.stream(t.getStackTrace())
                            .filter(f -> f.getClassName().startsWith("io.jsgl")).limit(6)
                            .map(f -> f.getClassName().replace("io.jsgl.backend.opencl.", "") + "." + f.getMethodName()
                                    + ":" + f.getLineNumber()).toList()));
                }
            }
        };
        launcher.execute(request, summary, lines);
        var s = summary.getSummary();
        StringWriter w = new StringWriter();
        s.printTo(new PrintWriter(w));
        System.out.println(w);
        System.out.println((s.getTotalFailureCount() == 0 && s.getTestsSucceededCount() > 0 ? "PASS" : "FAIL")
                + ": " + s.getTestsSucceededCount() + " passed, " + s.getTotalFailureCount() + " failed, "
                + s.getTestsAbortedCount() + " aborted, " + s.getTestsSkippedCount() + " skipped");
        System.exit(s.getTotalFailureCount() == 0 && s.getTestsSucceededCount() > 0 ? 0 : 1);
    }
}
