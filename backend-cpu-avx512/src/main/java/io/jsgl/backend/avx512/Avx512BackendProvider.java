package io.jsgl.backend.avx512;

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

/**
 * Registers the AVX-512 CPU backend. This class never touches {@code jdk.incubator.vector} itself:
 * the descriptor must be readable on a JVM started without the module, and {@link #probe} reaches
 * the Vector API only through {@link VectorProbe}, catching the linkage error when it is absent.
 */
public final class Avx512BackendProvider implements BackendProvider {
    public static final String NAME = "cpu-avx512";
    /** Above the reference backend (0), so {@code --backend auto} prefers this one where it runs. */
    public static final int SCORE = 100;
    private static final Set<DType> FLOATS = Set.of(DType.F32, DType.F16, DType.BF16);

    static final BackendDescriptor DESCRIPTOR = new BackendDescriptor(
            NAME, "0.1.0",
            "CPU kernels on the Java Vector API: bf16 weights streamed and widened in registers, "
                    + "register-tiled f32 GEMM, paged online-softmax attention",
            SpiVersion.CURRENT, SpiVersion.CURRENT,
            List.of(new OpSupport(Op.EMBEDDING, FLOATS), new OpSupport(Op.LINEAR, FLOATS),
                    new OpSupport(Op.RMS_NORM, FLOATS), new OpSupport(Op.ROPE, Set.of()),
                    new OpSupport(Op.GATED_ACTIVATION, Set.of()), new OpSupport(Op.ATTENTION, Set.of()),
                    new OpSupport(Op.ADD, Set.of()), new OpSupport(Op.GATHER_ROWS, Set.of()),
                    new OpSupport(Op.SOFTCAP, Set.of()), new OpSupport(Op.ARGMAX, Set.of()), new OpSupport(Op.ALL_REDUCE, Set.of()),
                    new OpSupport(Op.MOE, FLOATS), new OpSupport(Op.MLA_ATTENTION, FLOATS)),
            List.of("x86-64 with AVX-512 (512-bit preferred Vector API species)",
                    "JVM flag --add-modules jdk.incubator.vector"));

    @Override
    public BackendDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public ProbeResult probe() {
        int bits;
        try {
            bits = VectorProbe.preferredBits();
        } catch (LinkageError e) {
            return ProbeResult.unavailable(List.of("the jdk.incubator.vector module is not present "
                    + "(start the JVM with --add-modules jdk.incubator.vector): " + e), Map.of());
        }
        Map<String, String> details = Map.of("preferredVectorBits", Integer.toString(bits),
                "cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        if (bits != 512) {
            return ProbeResult.unavailable(List.of("the preferred Vector API species is " + bits
                    + " bits wide; this backend needs 512 (AVX-512)"), details);
        }
        return ProbeResult.available(SCORE, details);
    }

    @Override
    public Backend create(BackendOptions options) {
        return new Avx512Backend(DESCRIPTOR, options);
    }
}
