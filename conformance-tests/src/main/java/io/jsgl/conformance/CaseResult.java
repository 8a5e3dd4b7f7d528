package io.jsgl.conformance;

/**
 * One case on one backend, as {@code report.json} lists it. Metrics are null when the case did
 * not run (UNSUPPORTED) or failed before producing output. {@code excluded} holds the reason from
 * the backend's exclusion file; {@code override} the relaxed bound and its reason, when either applied.
 */
public record CaseResult(String backend, String kind, String id, String op, String dtype, String shape,
                         Double maxAbsError, Double maxRelError, Double nmse, String tolerance, Outcome outcome,
                         String reason, String excluded, String override, long millis) {

    public static final String OP = "op";
    public static final String MODEL = "model";
    public static final String SERVING = "serving";
    public static final String CONFIG = "config";

    static CaseResult of(String backend, String kind, String id, String op, String dtype, String shape, Metrics m,
                         Tolerance tol, Outcome outcome, String reason, String excluded, String override, long millis) {
        return new CaseResult(backend, kind, id, op, dtype, shape,
                m == null ? null : m.maxAbs(), m == null ? null : m.maxRel(), m == null ? null : m.nmse(),
                tol == null ? null : tol.describe(), outcome, reason, excluded, override, millis);
    }

    /** One line for logs and JUnit messages. */
    public String line() {
        StringBuilder b = new StringBuilder().append(outcome).append(' ').append(id);
        if (maxRelError != null) b.append(String.format("  max|d|=%.3g rel=%.3g nmse=%.3g", maxAbsError, maxRelError, nmse));
        if (reason != null) b.append("  -- ").append(reason);
        return b.toString();
    }
}
