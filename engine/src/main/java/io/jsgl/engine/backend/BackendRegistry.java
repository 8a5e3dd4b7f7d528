package io.jsgl.engine.backend;

import io.jsgl.spi.Backend;
import io.jsgl.spi.BackendDescriptor;
import io.jsgl.spi.BackendOptions;
import io.jsgl.spi.BackendProvider;
import io.jsgl.spi.ProbeResult;
import io.jsgl.spi.SpiVersion;
import io.jsgl.spi.host.JvmSignalHandlers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Finds backends with {@link ServiceLoader} on the class path and in a plugin directory, probes
 * them, and picks one deterministically: by name, or for {@code auto} by highest score with the
 * name as tie-break (never class-path or file-system order).
 *
 * <p>Two backends with one name: the {@link #PRECEDENCE} decides, and a warning names both origins.
 */
public final class BackendRegistry {
    public static final String AUTO = "auto";
    /** Environment variable naming a plugin directory when no {@code --plugin-dir} is given. */
    public static final String PLUGIN_DIR_ENV = "JSGL_PLUGIN_DIR";
    /** System property naming a plugin directory, after the flag and the environment variable. */
    public static final String PLUGIN_DIR_PROPERTY = "jsgl.plugin.dir";

    /**
     * The duplicate-name rule, in words for warnings and {@code --explain}: the one that is
     * usable, then has the higher probe score, then comes from the class path rather than a
     * plugin, then from the plugin entry whose file name sorts first.
     */
    public static final String PRECEDENCE =
            "usable first, then higher probe score, then class path before plugin directory, then plugin file name";

    private static final Comparator<BackendCandidate> PRECEDENCE_ORDER =
            Comparator.comparing(BackendCandidate::usable).reversed()
                    .thenComparing(Comparator.comparingInt(BackendCandidate::score).reversed())
                    .thenComparing(c -> !c.origin().equals(BackendCandidate.CLASSPATH))
                    .thenComparing(BackendCandidate::origin);

    private final List<BackendCandidate> candidates;
    private final List<String> warnings;

    private BackendRegistry(List<BackendCandidate> candidates, List<String> warnings) {
        this.candidates = List.copyOf(candidates);
        this.warnings = List.copyOf(warnings);
    }

    /** Every backend visible to the given class loader. */
    public static BackendRegistry discover(ClassLoader loader) {
        return fromProviders(loadProviders(ServiceLoader.load(BackendProvider.class, loader), BackendCandidate.CLASSPATH),
                List.of());
    }

    public static BackendRegistry discover() {
        return discover(BackendRegistry.class.getClassLoader());
    }

    /**
     * Class-path backends plus those of a plugin directory (null: none). A directory that does
     * not exist is an error, since the user named it.
     */
    public static BackendRegistry discover(Path pluginDir) {
        var found = new ArrayList<>(loadProviders(ServiceLoader.load(BackendProvider.class,
                BackendRegistry.class.getClassLoader()), BackendCandidate.CLASSPATH));
        List<String> warnings = List.of();
        if (pluginDir != null) {
            PluginLoader.Loaded plugins = PluginLoader.load(pluginDir);
            found.addAll(plugins.candidates());
            warnings = plugins.warnings();
        }
        return fromProviders(found, warnings);
    }

    /**
     * The plugin directory in effect: the flag's value, else {@value #PLUGIN_DIR_ENV}, else the
     * {@value #PLUGIN_DIR_PROPERTY} property; null when none is set.
     */
    public static Path pluginDir(String flagValue) {
        String v = flagValue;
        if (v == null || v.isBlank()) v = System.getenv(PLUGIN_DIR_ENV);
        if (v == null || v.isBlank()) v = System.getProperty(PLUGIN_DIR_PROPERTY);
        return v == null || v.isBlank() ? null : Path.of(v);
    }

    static List<BackendCandidate> loadProviders(ServiceLoader<BackendProvider> loader, String origin) {
        List<BackendCandidate> out = new ArrayList<>();
        var it = loader.stream().iterator();
        while (true) {
            ServiceLoader.Provider<BackendProvider> p;
            try {
                if (!it.hasNext()) break;
                p = it.next();
            } catch (java.util.ServiceConfigurationError | LinkageError e) {
                out.add(new BackendCandidate("<unloadable>", null, null, null,
                        List.of("could not load provider (built for another SPI version?): " + describe(e)), origin));
                continue;
            }
            out.add(candidateOf(p, origin));
        }
        return out;
    }

    static BackendCandidate candidateOf(ServiceLoader.Provider<BackendProvider> p, String origin) {
        String typeName;
        BackendProvider provider;
        BackendDescriptor d;
        try {
            typeName = p.type().getName();
        } catch (RuntimeException | LinkageError e) {
            return new BackendCandidate("<unloadable>", null, null, null,
                    List.of("provider class failed to load (built for another SPI version?): " + describe(e)), origin);
        }
        try {
            provider = p.get();
            d = provider.descriptor();
        } catch (RuntimeException | LinkageError | java.util.ServiceConfigurationError e) {
            return new BackendCandidate(typeName, null, null, null,
                    List.of("provider " + typeName + " failed to load (built for another SPI version?): " + describe(e)),
                    origin);
        }
        if (!d.spiCompatible()) {
            return new BackendCandidate(d.name(), provider, d, null,
                    List.of("backend " + d.name() + " supports SPI versions " + d.spiMin() + ".." + d.spiMax()
                            + " but this jsgl provides SPI version " + SpiVersion.CURRENT), origin);
        }
        ProbeResult probe;
        JvmSignalHandlers.Snapshot jvmHandlers = JvmSignalHandlers.snapshot();
        try {
            probe = provider.probe();
        } catch (RuntimeException | LinkageError e) {
            probe = ProbeResult.unavailable("probe failed: " + describe(e));
        } finally {
            jvmHandlers.restoreChanged();
        }
        return new BackendCandidate(d.name(), provider, d, probe,
                probe.available() ? List.of() : probe.reasons(), origin);
    }

    private static String describe(Throwable e) {
        String msg = e.getMessage();
        return e.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    }

    /** Resolves duplicate names by {@link #PRECEDENCE}; the losers stay listed, rejected, with a warning. */
    static BackendRegistry fromProviders(List<BackendCandidate> found, List<String> earlierWarnings) {
        Map<String, BackendCandidate> byName = new LinkedHashMap<>();
        List<BackendCandidate> all = new ArrayList<>();
        List<String> warnings = new ArrayList<>(earlierWarnings);
        found.stream().sorted(PRECEDENCE_ORDER).forEach(c -> {
            BackendCandidate winner = c.provider() == null ? null : byName.putIfAbsent(c.name(), c);
            if (winner == null) {
                all.add(c);
            } else {
                String w = "two backends are named '" + c.name() + "': the one from " + winner.origin()
                        + " is used, the one from " + c.origin() + " is ignored (" + PRECEDENCE + ")";
                warnings.add(w);
                all.add(c.withReason("duplicate backend name " + c.name() + ": the one from " + winner.origin()
                        + " is used"));
            }
        });
        all.sort(Comparator.comparing(BackendCandidate::name).thenComparing(BackendCandidate::origin));
        warnings.forEach(w -> System.getLogger(BackendRegistry.class.getName()).log(System.Logger.Level.WARNING, w));
        return new BackendRegistry(all, warnings);
    }

    public List<BackendCandidate> candidates() {
        return candidates;
    }

    /** Duplicate names and plugin entries that held no backend. */
    public List<String> warnings() {
        return warnings;
    }

    /** Candidates ordered as {@code auto} ranks them: usable first, by score, then name. */
    public List<BackendCandidate> ranking() {
        return candidates.stream()
                .sorted(Comparator.comparing(BackendCandidate::usable).reversed()
                        .thenComparing(Comparator.comparingInt(BackendCandidate::score).reversed())
                        .thenComparing(BackendCandidate::name)
                        .thenComparing(BackendCandidate::origin))
                .toList();
    }

    /** The candidate for a name or {@code auto}; fails with every reason when it cannot be used. */
    public BackendCandidate select(String name) {
        if (name == null || name.isBlank() || name.equals(AUTO)) {
            return ranking().stream().filter(BackendCandidate::usable).findFirst()
                    .orElseThrow(() -> new BackendSelectionException("no usable backend: " + summary()));
        }
        List<BackendCandidate> named = candidates.stream().filter(c -> c.name().equals(name)).toList();
        if (named.isEmpty()) {
            throw new BackendSelectionException("unknown backend '" + name + "'; known: " + names());
        }
        return named.stream().filter(BackendCandidate::usable).findFirst()
                .orElseThrow(() -> new BackendSelectionException("backend '" + name + "' is unavailable: "
                        + String.join("; ", named.getFirst().reasons())));
    }

    public Backend open(String name, BackendOptions options) {
        BackendCandidate c = select(name);
        JvmSignalHandlers.Snapshot jvmHandlers = JvmSignalHandlers.snapshot();
        try {
            return c.provider().create(options);
        } finally {
            jvmHandlers.restoreChanged();
        }
    }

    /**
     * Why {@code auto} picks what it picks: the usable backends in rank order, then every rejected
     * one with all its reasons, then the warnings. One line per fact, for {@code jsgl backends --explain}.
     */
    public List<String> explain() {
        List<String> out = new ArrayList<>();
        List<BackendCandidate> ranked = ranking();
        List<BackendCandidate> usable = ranked.stream().filter(BackendCandidate::usable).toList();
        out.add("auto ranks usable backends by probe score (higher wins), ties broken by name:");
        if (usable.isEmpty()) out.add("  (none usable: --backend auto fails)");
        for (int i = 0; i < usable.size(); i++) {
            BackendCandidate c = usable.get(i);
            out.add("  " + (i + 1) + ". " + c.name() + "  score " + c.score() + "  from " + c.origin()
                    + (c.simulated() ? "  [simulated]" : "") + (i == 0 ? "  <- auto selects this" : ""));
        }
        List<BackendCandidate> rejected = ranked.stream().filter(c -> !c.usable()).toList();
        out.add("rejected:" + (rejected.isEmpty() ? " none" : ""));
        for (BackendCandidate c : rejected) {
            out.add("  " + c.name() + " from " + c.origin() + ":");
            c.reasons().forEach(r -> out.add("    - " + r));
        }
        out.add("duplicate names resolve by: " + PRECEDENCE);
        if (!warnings.isEmpty()) {
            out.add("warnings:");
            warnings.forEach(w -> out.add("  - " + w));
        }
        return out;
    }

    private String names() {
        return String.join(", ", candidates.stream().map(BackendCandidate::name).distinct().toList());
    }

    private String summary() {
        return String.join("; ", candidates.stream().map(c -> c.name() + ": " + String.join(", ", c.reasons())).toList());
    }
}
