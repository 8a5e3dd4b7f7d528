package io.jsgl.spi;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Static facts about a backend, readable before any native code loads: a provider must build it
 * without touching native libraries or devices, so that `jsgl backends` can list a backend whose
 * hardware is absent.
 */
public record BackendDescriptor(
        String name,
        String version,
        String description,
        int spiMin,
        int spiMax,
        List<OpSupport> ops,
        List<String> requirements,
        List<String> quantizations) {

    /**
     * {@code quantizations}: the weight quantization schemes the backend implements when the
     * {@code quantization} option names one (e.g. {@code w8a8_int8}); the engine refuses the option
     * for a backend that does not declare the scheme, rather than run unquantized.
     */
    public BackendDescriptor {
        if (name == null || !name.matches("[a-z0-9][a-z0-9._-]*")) {
            throw new IllegalArgumentException("backend name must be lower-case [a-z0-9._-]: " + name);
        }
        ops = List.copyOf(ops);
        requirements = List.copyOf(requirements);
        quantizations = List.copyOf(quantizations);
    }

    /** A backend that quantizes nothing (the form of SPI 1's first plugins, kept for them). */
    public BackendDescriptor(String name, String version, String description, int spiMin, int spiMax,
                             List<OpSupport> ops, List<String> requirements) {
        this(name, version, description, spiMin, spiMax, ops, requirements, List.of());
    }

    public boolean quantizes(String scheme) {
        return quantizations.contains(scheme);
    }

    public Optional<OpSupport> support(Op op) {
        return ops.stream().filter(s -> s.op() == op).findFirst();
    }

    public boolean supports(Op op, DType weightDtype) {
        return support(op).map(s -> weightDtype == null || s.weightDtypes().contains(weightDtype)).orElse(false);
    }

    public boolean spiCompatible() {
        return SpiVersion.supports(spiMin, spiMax);
    }

    /** A short form of the supported ops for listings: op name to dtypes. */
    public Map<Op, List<DType>> opTable() {
        var table = new java.util.EnumMap<Op, List<DType>>(Op.class);
        for (OpSupport s : ops) {
            table.put(s.op(), s.weightDtypes().stream().sorted().toList());
        }
        return table;
    }
}
