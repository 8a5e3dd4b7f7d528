package io.jsgl.backend.reference;

import io.jsgl.spi.Backend;
import io.jsgl.spi.BackendDescriptor;
import io.jsgl.spi.BackendOptions;
import io.jsgl.spi.BackendProvider;
import io.jsgl.spi.DType;
import io.jsgl.spi.Op;
import io.jsgl.spi.OpSupport;
import io.jsgl.spi.ProbeResult;
import io.jsgl.spi.SpiVersion;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Registers the reference backend. It runs anywhere and scores lowest, so {@code auto} prefers any real backend. */
public final class ReferenceBackendProvider implements BackendProvider {
    public static final String NAME = "reference";
    private static final Set<DType> FLOATS = Set.of(DType.F32, DType.F16, DType.BF16);

    private static final BackendDescriptor DESCRIPTOR = new BackendDescriptor(
            NAME, "0.1.0", "exact plain-Java oracle, double accumulation, single-threaded",
            SpiVersion.CURRENT, SpiVersion.CURRENT,
            List.of(new OpSupport(Op.EMBEDDING, FLOATS), new OpSupport(Op.LINEAR, FLOATS),
                    new OpSupport(Op.RMS_NORM, FLOATS), new OpSupport(Op.ROPE, Set.of()),
                    new OpSupport(Op.GATED_ACTIVATION, Set.of()), new OpSupport(Op.ATTENTION, Set.of()),
                    new OpSupport(Op.ADD, Set.of()), new OpSupport(Op.GATHER_ROWS, Set.of()),
                    new OpSupport(Op.SOFTCAP, Set.of()), new OpSupport(Op.ALL_REDUCE, Set.of()),
                    new OpSupport(Op.MOE, FLOATS), new OpSupport(Op.MLA_ATTENTION, FLOATS),
                    new OpSupport(Op.ARGMAX, Set.of())),
            List.of("any JVM"));

    @Override
    public BackendDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public ProbeResult probe() {
        return ProbeResult.available(0, Map.of("accumulation", "double"));
    }

    @Override
    public Backend create(BackendOptions options) {
        return new ReferenceBackend(DESCRIPTOR);
    }
}
