package io.jsgl.cli;

import java.io.Console;
import java.io.PrintStream;

/**
 * A one-line progress bar on stderr, redrawn in place on a terminal; when stderr goes to a file or
 * a pipe (CI logs), one plain line per tenth of the work instead of a stream of carriage returns.
 */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintStream err = System.err;
    private final String label;
    private final int total;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private int lastTenth = -1;

    ProgressBar(String label, int total) {
        this.label = label;
        this.total = Math.max(total, 1);
        Console console = System.console();
        this.terminal = console != null && console.isTerminal();
    }

    void update(int done) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (terminal) {
            int filled = (int) ((long) done * WIDTH / total);
            err.printf("\r%s [%s%s] %d/%d %.1fs", label, "#".repeat(filled), " ".repeat(WIDTH - filled), done, total, elapsed);
            if (done >= total) err.println();
        } else {
            int tenth = (int) ((long) done * 10 / total);
            if (tenth == lastTenth && done < total) return;
            lastTenth = tenth;
            err.printf("%s %d/%d %.1fs%n", label, done, total, elapsed);
        }
        err.flush();
    }
}
