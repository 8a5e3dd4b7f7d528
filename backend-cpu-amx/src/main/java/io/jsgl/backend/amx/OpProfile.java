package io.jsgl.backend.amx;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Optional wall-clock time per op family ({@code amx.profile=true}), printed when the backend
 * closes: where a forward pass spends its time, without a profiler (e.g. on the device machine).
 * Ops are synchronous, so the time between entry and return is the op's. Off, it costs a branch.
 * Each call's time is kept, so the report can give the median beside the mean: the mean includes
 * the first, cold calls (JIT warm-up, primitive creation), which a benchmark's warm-up pass makes.
 */
final class OpProfile {
    private final boolean on;
    /** Per op: [0] = calls, then one duration (ns) per call. */
    private final Map<String, long[]> totals = new TreeMap<>();

    OpProfile(boolean on) {
        this.on = on;
    }

    boolean on() {
        return on;
    }

    long start() {
        return on ? System.nanoTime() : 0;
    }

    void stop(String op, long t0) {
        if (on) add(op, System.nanoTime() - t0);
    }

    /** One call of {@code op} that took {@code dt} ns (e.g. a phase summed over workers). */
    void add(String op, long dt) {
        if (!on) return;
        long[] t = totals.computeIfAbsent(op, k -> new long[64]);
        int n = (int) t[0];
        if (n + 1 == t.length) totals.put(op, t = Arrays.copyOf(t, 2 * t.length));
        t[n + 1] = dt;
        t[0] = n + 1;
    }

    void reset() {
        totals.clear();
    }

    String report() {
        long all = 0;
        for (long[] t : totals.values()) all += sum(t);
        StringBuilder sb = new StringBuilder("cpu-amx op profile (wall time, synchronous ops):\n");
        for (var e : totals.entrySet()) {
            long[] t = e.getValue();
            int n = (int) t[0];
            long[] calls = Arrays.copyOfRange(t, 1, n + 1);
            Arrays.sort(calls);
            sb.append(String.format("  %-22s %9.1f ms %5.1f%% %8d calls %9.1f us/call, median %9.1f, min %9.1f us%n",
                    e.getKey(), sum(t) / 1e6, 100.0 * sum(t) / Math.max(1, all), n, sum(t) / 1e3 / Math.max(1, n),
                    n == 0 ? 0 : calls[n / 2] / 1e3, n == 0 ? 0 : calls[0] / 1e3));
        }
        return sb.toString();
    }

    private static long sum(long[] t) {
        long s = 0;
        for (int i = 1; i <= t[0]; i++) s += t[i];
        return s;
    }
}
