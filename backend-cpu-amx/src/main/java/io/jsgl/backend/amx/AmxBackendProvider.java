package io.jsgl.backend.amx;

import io.jsgl.spi.Backend;
import io.jsgl.spi.BackendDescriptor;
import io.jsgl.spi.BackendOptions;
import io.jsgl.spi.BackendProvider;
import io.jsgl.spi.DType;
import io.jsgl.spi.Op;
import io.jsgl.spi.OpSupport;
import io.jsgl.spi.ProbeResult;
import io.jsgl.spi.SpiVersion;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Registers the oneDNN CPU backend. The descriptor is static data; {@link #probe} extracts and loads
 * oneDNN (a few seconds the first time, cached per user after) and asks it which ISA it runs
 * ({@code dnnl_get_effective_cpu_isa}). It is available on x86-64 with AVX-512 and scores above
 * cpu-avx512 (100) where oneDNN has bf16 matrix instructions (AMX or AVX512_BF16), below it
 * elsewhere, where the Vector API backend's f32 GEMM is the better choice.
 */
public final class AmxBackendProvider implements BackendProvider {
    public static final String NAME = "cpu-amx";
    /** With AMX or AVX512_BF16: above cpu-avx512 (100). */
    public static final int SCORE_BF16 = 150;
    /** AVX-512 without bf16 dot products: below cpu-avx512. */
    public static final int SCORE_PLAIN = 90;
    private static final Set<DType> FLOATS = Set.of(DType.F32, DType.F16, DType.BF16);

    static final BackendDescriptor DESCRIPTOR = new BackendDescriptor(
            NAME, "0.1.0",
            "oneDNN 3.11 matmuls through FFM (bf16 on AMX / AVX512_BF16, W8A8 int8 with quantization=w8a8_int8), "
                    + "weights packed once at load; prefill attention as oneDNN bf16 matmuls, MoE grouped by expert on the same "
                    + "matmuls; Vector API kernels for decode GEMV and attention, norms, RoPE",
            SpiVersion.CURRENT, SpiVersion.CURRENT,
            List.of(new OpSupport(Op.EMBEDDING, FLOATS), new OpSupport(Op.LINEAR, FLOATS),
                    new OpSupport(Op.RMS_NORM, FLOATS), new OpSupport(Op.ROPE, Set.of()),
                    new OpSupport(Op.GATED_ACTIVATION, Set.of()), new OpSupport(Op.ATTENTION, Set.of()),
                    new OpSupport(Op.ADD, Set.of()), new OpSupport(Op.GATHER_ROWS, Set.of()),
                    new OpSupport(Op.SOFTCAP, Set.of()), new OpSupport(Op.ARGMAX, Set.of()), new OpSupport(Op.MOE, FLOATS),
                    new OpSupport(Op.ALL_REDUCE, Set.of())),
            List.of("linux x86-64 with AVX-512 (oneDNN ISA avx512_core or better); AMX or AVX512_BF16 to rank first",
                    "org.bytedeco:dnnl:3.11-1.5.13:linux-x86_64 and org.bytedeco:opencl:3.0-1.5.13:linux-x86_64 "
                            + "jars on the class path (natives extracted to ~/.cache/jsgl/native)",
                    "JVM flags --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector"),
            List.of(AmxConfig.W8A8));

    @Override
    public BackendDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public ProbeResult probe() {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        int bits;
        try {
            bits = VectorProbe.preferredBits();
        } catch (LinkageError e) {
            return ProbeResult.unavailable(List.of("the jdk.incubator.vector module is not present "
                    + "(start the JVM with --add-modules jdk.incubator.vector): " + e), details);
        }
        details.put("preferredVectorBits", Integer.toString(bits));
        OneDnn.Info info;
        try {
            info = OneDnn.init(System.getProperty("jsgl.amx.max-isa"));
        } catch (Throwable e) {
            Throwable cause = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
            return ProbeResult.unavailable(List.of("oneDNN could not be loaded: " + cause), details);
        }
        details.put("onednn", info.version());
        details.put("isa", info.isaName());
        details.put("amx", Boolean.toString(info.amx()));
        details.put("avx512_bf16", Boolean.toString(info.bf16()));
        if (info.cap() != null) details.put("maxIsa", info.cap());
        details.put("nativeDir", NativeLibs.load().dir().toString());
        if (!info.avx512()) {
            return ProbeResult.unavailable(List.of("oneDNN runs " + info.isaName()
                    + " here; this backend needs AVX-512 (avx512_core or better)"), details);
        }
        if (bits != 512) {
            return ProbeResult.unavailable(List.of("the preferred Vector API species is " + bits
                    + " bits wide; the Java kernels of this backend need 512 (AVX-512)"), details);
        }
        return ProbeResult.available(info.bf16() ? SCORE_BF16 : SCORE_PLAIN, details);
    }

    @Override
    public Backend create(BackendOptions options) {
        AmxConfig config = AmxConfig.of(options);
        OneDnn.Info info = OneDnn.init(config.maxIsa());
        if (!info.avx512()) {
            throw new IllegalStateException("cpu-amx needs AVX-512; oneDNN runs " + info.isaName() + " here");
        }
        if (config.int8() && !Dnnl.isaHas(info.isa(), Dnnl.ISA_AVX512_CORE_VNNI)) {
            // without VNNI oneDNN multiplies int8 with vpmaddubsw, whose 16-bit pair sums saturate
            throw new IllegalArgumentException("quantization=" + AmxConfig.W8A8 + " needs avx512_core_vnni or better; "
                    + "oneDNN runs " + info.isaName() + " here, where int8 products saturate");
        }
        if (config.verbose() >= 0) Dnnl.setVerbose(config.verbose());
        System.err.println("cpu-amx: oneDNN " + info.version() + " on " + info.isaName()
                + (info.cap() != null ? " (max ISA " + info.cap() + ")" : "") + ", "
                + (config.int8() ? AmxConfig.W8A8 + " linears" : "bf16 linears") + ", " + config.threads() + " threads");
        AmxBackend backend = new AmxBackend(DESCRIPTOR, config);
        try {
            Warmup.run(backend, config.warmupMillis());
            backend.resetProfile();
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
        return backend;
    }
}
