package io.jsgl.cli;

import io.jsgl.engine.backend.BackendCandidate;
import io.jsgl.engine.backend.BackendRegistry;
import io.jsgl.spi.BackendDescriptor;
import io.jsgl.spi.DType;
import io.jsgl.spi.Op;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jsgl backends}: every discovered backend (class path and plugin directory) with its
 * version, origin, availability and reasons, probe score, and the ops and weight dtypes it
 * declares. {@code --explain} adds how {@code --backend auto} ranks them and why each rejected one
 * was rejected. Exit status 1 when no backend is usable.
 */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = "List the discovered backends: availability with reasons, score, supported ops and dtypes.")
public final class BackendsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--explain", description = "show the auto ranking and every rejection reason")
    boolean explain;

    @Option(names = "--plugin-dir", paramLabel = "DIR",
            description = "load backend jars from DIR (default: $" + BackendRegistry.PLUGIN_DIR_ENV + ")")
    String pluginDir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        BackendRegistry registry = BackendRegistry.discover(BackendRegistry.pluginDir(pluginDir));
        for (BackendCandidate c : registry.candidates()) print(out, c);
        if (registry.candidates().isEmpty()) out.println("no backends found (class path or plugin directory)");
        if (explain) {
            out.println();
            registry.explain().forEach(out::println);
        } else {
            registry.warnings().forEach(w -> out.println("warning: " + w));
        }
        out.flush();
        return registry.candidates().stream().anyMatch(BackendCandidate::usable) ? 0 : 1;
    }

    private static void print(PrintWriter out, BackendCandidate c) {
        BackendDescriptor d = c.descriptor();
        String status = c.usable() ? "available, score " + c.score() + (c.simulated() ? " [simulated]" : "") : "unavailable";
        out.println(c.name() + (d == null ? "" : " " + d.version()) + "  (" + c.origin() + ")  " + status);
        if (d != null) {
            out.println("  " + d.description());
            out.println("  SPI " + d.spiMin() + ".." + d.spiMax());
            out.println("  ops: " + ops(d.opTable()));
            if (!d.quantizations().isEmpty()) out.println("  quantization: " + String.join(", ", d.quantizations()));
            if (!d.requirements().isEmpty()) out.println("  needs: " + String.join("; ", d.requirements()));
        }
        if (c.probe() != null && !c.probe().details().isEmpty()) out.println("  probe: " + c.probe().details());
        for (String r : c.reasons()) out.println("  - " + r);
    }

    private static String ops(Map<Op, List<DType>> table) {
        StringBuilder b = new StringBuilder();
        table.forEach((op, dtypes) -> {
            if (!b.isEmpty()) b.append(' ');
            b.append(op);
            if (!dtypes.isEmpty()) b.append(dtypes.stream().map(DType::name).toList().toString().replace(" ", ""));
        });
        return b.toString();
    }
}
