package io.jsgl.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every model-running command shares. */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "DIR", description = "Hugging Face model directory (default: the embedded pycoder-27m)")
    Path model;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "auto",
            description = "backend name or 'auto' (default: ${DEFAULT-VALUE}); see 'jsgl backends'")
    String backend;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "backend worker threads (0 = all cores)")
    int threads;

    @Option(names = "--kv-cache-dtype", paramLabel = "TYPE", defaultValue = "f32", description = "KV cache storage: f32, bf16 or f16")
    String kvCacheDtype;

    @Option(names = "--plugin-dir", paramLabel = "DIR", description = "load backend plugin jars from DIR (default: $JSGL_PLUGIN_DIR)")
    String pluginDir;

    @Option(names = "--fallback", paramLabel = "none|reference", defaultValue = "none",
            description = "run ops the backend lacks on the reference backend (default: ${DEFAULT-VALUE}: fail at start-up)")
    String fallback;

    @Option(names = "--quantization", paramLabel = "none|w8a8_int8", defaultValue = "none",
            description = "weight/activation quantization (default: ${DEFAULT-VALUE}); w8a8_int8: int8 weights with per-channel "
                    + "scales and per-token int8 activations (SGLang's w8a8_int8), on cpu-amx only")
    String quantization;

    @Option(names = "--max-isa", paramLabel = "ISA",
            description = "cap the CPU ISA oneDNN may use (cpu-amx), as ONEDNN_MAX_CPU_ISA: e.g. avx512_core_amx, "
                    + "avx512_core_bf16, avx512_core_vnni, avx512_core")
    String maxIsa;

    @Option(names = "--verbose", description = "print stack traces on errors")
    boolean verbose;

    /** Backends that read {@code --max-isa}. */
    static final java.util.Set<String> ISA_BACKENDS = java.util.Set.of("cpu-amx");

    Path modelDir() {
        Path dir = model != null ? model : defaultModel();
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("model directory " + dir + " does not exist");
        return dir;
    }

    /** Opens the chosen backend for the model, honouring --plugin-dir, --fallback, --quantization and --max-isa. */
    io.jsgl.engine.backend.OpenedBackend openBackend(Path dir) {
        var props = backendProperties();
        var opened = io.jsgl.engine.backend.BackendFactory.open(backend, new io.jsgl.spi.BackendOptions(threads, props),
                io.jsgl.engine.backend.FallbackPolicy.parse(fallback), io.jsgl.engine.model.ModelRequirements.forModel(dir),
                io.jsgl.engine.backend.BackendRegistry.pluginDir(pluginDir));
        try {
            checkBackendFlags(opened.candidate().name(), opened.candidate().descriptor());
        } catch (RuntimeException e) {
            opened.close();
            throw e;
        }
        return opened;
    }

    /**
     * The backend properties the flags set ({@code quantization}, {@code amx.max-isa}). {@code --max-isa}
     * is also set as the system property {@code jsgl.amx.max-isa}: oneDNN fixes its ISA the first time
     * it is asked, and backend discovery probes cpu-amx before the chosen backend opens.
     */
    java.util.Map<String, String> backendProperties() {
        var props = new java.util.LinkedHashMap<String, String>();
        String q = quantization == null ? "none" : quantization.trim().toLowerCase(java.util.Locale.ROOT);
        switch (q) {
            case "none", "" -> {}
            case "w8a8_int8" -> props.put("quantization", q);
            default -> throw new IllegalArgumentException("unknown --quantization " + quantization + " (none or w8a8_int8)");
        }
        if (maxIsa != null && !maxIsa.isBlank()) {
            String isa = maxIsa.trim().toLowerCase(java.util.Locale.ROOT);
            if (!isa.matches("[a-z0-9_]+")) throw new IllegalArgumentException("bad --max-isa " + maxIsa);
            props.put("amx.max-isa", isa);
            System.setProperty("jsgl.amx.max-isa", isa);
        }
        return props;
    }

    /**
     * Refuses flags the chosen backend would silently ignore. With {@code --backend auto} the name is
     * resolved by the same ranking the engine uses (one more discovery, only when such a flag is set).
     */
    void checkBackendFlags(String chosen) {
        checkBackendFlags(chosen, null);
    }

    /**
     * {@code chosenDescriptor}: the opened backend's declaration, when there is one; the registry is
     * then discovered (every backend probed) only to name the backends that do declare a refused scheme.
     */
    void checkBackendFlags(String chosen, io.jsgl.spi.BackendDescriptor chosenDescriptor) {
        String scheme = backendProperties().get("quantization");
        boolean isa = maxIsa != null && !maxIsa.isBlank();
        if (scheme == null && !isa) return;
        String name = chosen != null ? chosen
                : io.jsgl.engine.backend.BackendRegistry.AUTO.equals(backend) ? registry().select(backend).name() : backend;
        if (scheme != null) {
            // the backends' own declarations (BackendDescriptor.quantizations), third-party plugins included
            boolean ok = chosenDescriptor != null ? chosenDescriptor.quantizes(scheme)
                    : registry().candidates().stream().anyMatch(c -> c.name().equals(name) && c.descriptor().quantizes(scheme));
            if (!ok) {
                var able = registry().candidates().stream().filter(c -> c.descriptor().quantizes(scheme))
                        .map(c -> c.name()).toList();
                throw new IllegalArgumentException("--quantization " + quantization + " is not supported by backend " + name
                        + (able.isEmpty() ? " (no installed backend declares it; drop the flag)"
                                : " (declared by " + String.join(", ", able) + "; use --backend "
                                        + able.get(0) + " or drop the flag)"));
            }
        }
        if (isa && !ISA_BACKENDS.contains(name)) {
            throw new IllegalArgumentException("--max-isa applies to " + String.join(", ", ISA_BACKENDS)
                    + " (oneDNN); backend " + name + " does not use it");
        }
    }

    /** Discovered on first need: discovery probes every backend. */
    private io.jsgl.engine.backend.BackendRegistry registry;

    private io.jsgl.engine.backend.BackendRegistry registry() {
        if (registry == null) {
            registry = io.jsgl.engine.backend.BackendRegistry.discover(io.jsgl.engine.backend.BackendRegistry.pluginDir(pluginDir));
        }
        return registry;
    }

    static Path defaultModel() {
        String home = System.getProperty("jsgl.home");
        Path base = home != null ? Path.of(home) : Path.of("").toAbsolutePath();
        return base.resolve("models/pycoder-27m");
    }
}
