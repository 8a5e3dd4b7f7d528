package io.jsgl.backend.amx;

import io.jsgl.spi.BackendOptions;
import java.util.Locale;

/**
 * The backend's options, from {@link BackendOptions} properties (each also readable as a
 * {@code jsgl.}-prefixed system property):
 * <ul>
 *   <li>{@code quantization}: {@code none} (default) or {@code w8a8_int8};</li>
 *   <li>{@code amx.max-isa}: caps oneDNN's ISA (as {@code ONEDNN_MAX_CPU_ISA}), e.g. {@code avx512_core_bf16};</li>
 *   <li>{@code amx.gemv-max-rows}: largest batch the bf16 Java GEMV serves instead of oneDNN (default and
 *       most 4, which share one pass over the weights; 0 = oneDNN always). Alone, oneDNN's M=1 brgemm streams faster on the 16-core Sapphire Rapids (75-83 against
 *       50-74 GB/s), but inside a decode step, between Java ops, each call also wakes the OpenMP team, and
 *       Llama-3.2-1B decoded at 18.9 tok/s that way against 21.8 with the GEMV;</li>
 *   <li>{@code amx.attention-min-rows}: a sequence with at least this many new rows (prefill) runs its
 *       attention as oneDNN bf16 matmuls ({@link DnnlAttention}); fewer (decode) on the shared Java
 *       kernel (default 16; 0 = always the Java kernel);</li>
 *   <li>{@code amx.n-slice}: prefill matmuls over weights larger than {@code amx.slice-min-kib} (default
 *       8192) run as one oneDNN call per this many output columns (default 0 = one call; bf16 only), so
 *       that each slice of the weight is read from memory about once instead of once per block of rows
 *       ({@link DnnlMatmul#sliceColumns});</li>
 *   <li>{@code amx.gemm-driver}: {@code java} (default): prefill matmuls over weights of at least
 *       {@code amx.slice-min-kib} (default 1024 here) run as single-threaded oneDNN calls, one per task of
 *       {@code amx.n-slice} columns by a part of M ({@code amx.m-parts} parts; both 0: planned by
 *       {@link GemmTiling}, tiles of at most 128 x 256 in full rounds of workers), spread over the
 *       backend's Java workers, and the prefill attention's products run as tasks on them too, so no OpenMP
 *       team wakes or competes with the Java ops (16-core Sapphire Rapids, Llama-3.2-1B prefill-512:
 *       1,177-1,241 tok/s against 941-994 in the same pass); {@code omp}: oneDNN parallelizes each call on
 *       its OpenMP threads;</li>
 *   <li>{@code amx.m-chunk}: with the Java driver, rows of M per oneDNN call within a task (default 0 = all
 *       of the task's), so that a worker's weight slice stays in its L2 while the rows pass over it;</li>
 *   <li>{@code amx.m-parts}: with the Java driver, parts of M per slice, each a task of its own (default 0 =
 *       planned);</li>
 *   <li>{@code amx.spin-us}: how long idle Java workers spin before parking (default 50);</li>
 *   <li>{@code amx.verbose}: oneDNN verbosity (as {@code ONEDNN_VERBOSE}: 0, 1, 2);</li>
 *   <li>{@code amx.profile}: {@code true} prints wall time per op family when the backend closes;</li>
 *   <li>{@code amx.warmup-ms}: JIT warm-up of the Java kernels at open (default 1000; 0 = none).</li>
 * </ul>
 */
record AmxConfig(int threads, boolean int8, String maxIsa, int gemvMaxRows, long spinNanos, int verbose,
                 boolean profile, long warmupMillis, int attentionMinRows, int nSlice, long sliceMinBytes,
                 boolean javaGemm, int mChunk, int mParts) {

    static final String W8A8 = "w8a8_int8";

    static AmxConfig of(BackendOptions o) {
        int threads = o.threads() > 0 ? o.threads() : Runtime.getRuntime().availableProcessors();
        String q = o.property("quantization", "none").trim().toLowerCase(Locale.ROOT);
        boolean int8 = switch (q) {
            case "none", "", "bf16" -> false;
            case W8A8 -> true;
            default -> throw new IllegalArgumentException("cpu-amx: unsupported quantization '" + q
                    + "' (none or " + W8A8 + ")");
        };
        int gemv = Integer.parseInt(o.property("amx.gemv-max-rows", "4").trim());
        if (gemv < 0 || gemv > Gemv.MAX_ROWS) {
            throw new IllegalArgumentException("cpu-amx: amx.gemv-max-rows must be 0 to " + Gemv.MAX_ROWS + ", not " + gemv);
        }
        long spin = Long.parseLong(o.property("amx.spin-us", "50").trim()) * 1000;
        int verbose = Integer.parseInt(o.property("amx.verbose", "-1").trim());
        boolean profile = Boolean.parseBoolean(o.property("amx.profile", "false").trim());
        long warmup = Long.parseLong(o.property("amx.warmup-ms", "1000").trim());
        int attnMin = Integer.parseInt(o.property("amx.attention-min-rows", "16").trim());
        int nSlice = Integer.parseInt(o.property("amx.n-slice", "0").trim());
        String driver = o.property("amx.gemm-driver", "java").trim().toLowerCase(Locale.ROOT);
        if (!driver.equals("omp") && !driver.equals("java")) {
            throw new IllegalArgumentException("cpu-amx: amx.gemm-driver must be omp or java, not '" + driver + "'");
        }
        boolean java = driver.equals("java");
        long sliceMin = Long.parseLong(o.property("amx.slice-min-kib", java ? "1024" : "8192").trim()) * 1024;
        int mChunk = Integer.parseInt(o.property("amx.m-chunk", "0").trim());
        int mParts = Integer.parseInt(o.property("amx.m-parts", "0").trim());
        return new AmxConfig(threads, int8, o.property("amx.max-isa", null), gemv, spin, verbose, profile, warmup,
                attnMin, nSlice, sliceMin, java, mChunk, mParts);
    }
}
