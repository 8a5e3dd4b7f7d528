package io.jsgl.backend.opencl;

import io.jsgl.spi.AttentionBatch;
import io.jsgl.spi.Backend;
import io.jsgl.spi.BackendDescriptor;
import io.jsgl.spi.BackendOptions;
import io.jsgl.spi.DType;
import io.jsgl.spi.DeviceBuffer;
import io.jsgl.spi.HostTensor;
import io.jsgl.spi.KvCache;
import io.jsgl.spi.KvCacheSpec;
import io.jsgl.spi.MemoryInfo;
import io.jsgl.spi.PreparedBatch;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.op.AddArgs;
import io.jsgl.spi.op.AttentionArgs;
import io.jsgl.spi.op.EmbeddingArgs;
import io.jsgl.spi.op.GatedActivationArgs;
import io.jsgl.spi.op.GatherRowsArgs;
import io.jsgl.spi.op.LinearArgs;
import io.jsgl.spi.op.RmsNormArgs;
import io.jsgl.spi.op.RopeArgs;
import io.jsgl.spi.op.ArgmaxArgs;
import io.jsgl.spi.op.SoftCapArgs;
import io.jsgl.spi.rope.RopeConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The OpenCL backend: weights, the KV pool and every activation live in device memory; the host
 * only uploads token ids, positions and the step's attention tables, and reads back what it asks
 * for with {@link #download}. Ops are enqueued on one in-order command queue without waiting;
 * uploads up to 1 MiB are copied to a staging ring and written asynchronously (their events
 * are released once the queue has passed them); downloads are the only blocking reads.
 *
 * <p>Kernels are OpenCL C (resources under {@code kernels/}), built once per device and process:
 * one program for the row ops, one per weight dtype for linear layers (GEMV for up to
 * {@code opencl.gemvMaxRows} rows, small- and large-tile GEMM above), one per KV dtype for
 * attention. Activations are f32; weights may be f32, f16 or bf16 and are converted in-kernel.
 */
public final class OpenClBackend implements Backend {
    private static final Logger LOG = Logger.getLogger(OpenClBackend.class.getName());
    private static final String KERNELS = "/io/jsgl/backend/opencl/kernels/";
    private static final long STAGING_BYTES = 8L << 20;
    private static final long STAGE_MAX = 1L << 20;

    private final BackendDescriptor descriptor;
    final ClDevices.Device device;
    private final ClContext ctx;
    private final MemorySegment queue;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment argScratch;
    private final MemorySegment sizeScratch;
    private final MemorySegment callScratch;
    private final MemorySegment staging;
    private long stagingHead;
    private final ArrayList<MemorySegment> pendingEvents = new ArrayList<>();
    private final Map<String, ClKernel> kernels = new HashMap<>();
    private final Map<String, String> programFlags = new HashMap<>();
    private final ArrayDeque<ClBuffer> tablePool = new ArrayDeque<>();
    private final Map<RopeConfig, ClBuffer> ropeFreqs = new IdentityHashMap<>();
    private final Map<String, ClBuffer> ropeFreqsByValue = new HashMap<>();
    private final AtomicLong allocated = new AtomicLong();
    private final ClBuffer dummy;
    /** Partials and merge counters of the attention kernels' key splits. */
    private final ClAttentionScratch attentionScratch;
    /** The general paged attention (attention_w, attention + attention_combine). */
    private final ClPagedAttention pagedAttention;
    private ClBuffer splitPartials;
    /** Outputs per GEMV work-group (opencl.gemvOutputs, default 4). */
    final int gemvOutputs;
    /** Split K when a GEMM has too few tiles to fill the device (opencl.splitK, default true). */
    final boolean splitK;
    /** Launches between clFlush calls (opencl.flushEvery; 0 = only at blocking calls). */
    final int flushEvery;
    private int sinceFlush;
    /**
     * Launches at which the next clFlush comes: after a blocking call the device is idle, so the
     * first launches go out at once and the interval doubles up to flushEvery (opencl.flushRamp).
     */
    private int flushAt;
    final boolean flushRamp;
    /** Work-groups a GEMM should have before K is split (opencl.splitTarget; 0 = twice the compute units). */
    final int splitTarget;
    private final boolean nvAsm;
    final int gemvMaxRows;
    final int smallGemmMaxRows;
    /** bf16 linears of at least this many rows use the tensor-core kernel when it is available. */
    final int tensorCoreMinRows;
    /** "auto" (tensor cores on NVIDIA when the PTX builds), "on" (forced; portable stand-in elsewhere), "off". */
    private final String tensorCores;
    private Boolean tensorCoresReady;
    /** Forced attention key-split length for tests (0 = automatic). */
    int attentionSplit;
    private boolean closed;
    private final ClProfiler profiler;
    /** Fuse neighbouring ops (opencl.fuse, default true): see {@link #flushPending}. */
    final boolean fuse;
    /** With fuse: a decode linear takes the RMSNorm that follows as its epilogue (opencl.fuseNorm, default true). */
    final boolean fuseNorm;
    /**
     * With fuse: a decode linear takes the RoPE + KV store of the attention that follows as its
     * epilogue (opencl.fuseRope, default false: on the H100 the one-work-group tail cost more than
     * the rope_kv_store launch it saves).
     */
    final boolean fuseRope;
    /** Decode GEMV kernel: "warp" (a warp per weight row pair, default) or "group" (256 threads per GV_OUT rows). */
    final boolean gemvWarp;
    /** Attention kernel: true = attention_w (warp-split values, fused combine) where it applies. */
    final boolean attentionWarp;
    /** Work-groups attention should have before keys are split (opencl.attentionTarget; 0 = 4 x CUs). */
    final int attentionTarget;
    /**
     * Decode batches use attention_d (ClDecodeAttention; opencl.decodeAttention, default false: on the
     * H100 it took 35 us a layer at ~530 keys against attention_w's 22; tests switch it).
     */
    boolean decodeAttention;
    /** With decodeAttention: attention_d also does the RoPE and KV store (opencl.decodeAttentionRope, default true). */
    final boolean decodeAttentionRope;
    /** Warps of an attention_d work-group (opencl.decodeWarps: 8 or 16). */
    final int decodeWarps;
    /** Keys up to which decode batches use attention_d or attention_s rather than attention_w (opencl.decodeMaxKeys). */
    final int decodeMaxKeys;
    /**
     * Decode batches with fresh new slots use attention_s (ClSplitAttention) with the RoPE and KV store
     * inside (opencl.splitDecode, default true; attention_d takes precedence when opencl.decodeAttention is on).
     */
    boolean splitDecode;
    /** Keys an attention_s split takes (opencl.decodeSplitKeys: 16, 32 or 64; 0 = automatic). */
    int decodeSplitKeys;
    /**
     * Splits' partials attention_s's merge loads at once (opencl.decodeMergeBatch: 4, 8 or 16): more is
     * fewer dependent round trips for many splits, and more registers a thread.
     */
    int decodeMergeBatch;
    /** K steps the warp GEMV unrolls (loads in flight per lane and row; opencl.gemvUnroll, default 4). */
    final int gemvUnroll;
    /** Warps sharing one GEMV row pair's K (opencl.gemvSplit: 1, 2 or 4; 0 = auto from opencl.gemvWarps). */
    final int gemvSplit;
    /**
     * Warps a warp-GEMV launch should have before K is shared (opencl.gemvWarps, default 2048: on the
     * H100 the qkv GEMV with its norm prologue then runs as one wave of 384 work-groups, K shared by 2
     * warps, in 11.9 instead of 14.3 us; the other Llama-1B GEMVs keep their split).
     */
    final int gemvWarps;
    /**
     * 16-byte weight chunks a lane of a norm-prologue GEMV loads before its prologue, so the weight
     * stream overlaps the norm (opencl.gemvPrefetch, 0-16, default 8: 2 K steps of 4 rows, 4 of a
     * gate|up pair).
     */
    final int gemvPrefetch;
    /** Weight rows a warp of the warp GEMV owns (opencl.gemvRows: 2 or 4; gate|up pairs always 2). */
    final int gemvRows;
    /** The warp GEMV's launch geometry (rows a warp, K split). */
    private final ClWarpGemv warpGemv;
    /** Device-wide counters of the last-work-group epilogues (reset to 0 by the kernel that used them). */
    private ClBuffer gemvCounters;
    /** The one deferred op (ClDeferred): a decode linear with its norm prologue, a split RMSNorm, or a RoPE. */
    private final ClDeferred deferred = new ClDeferred();
    /**
     * With fuseNorm: a decode RMSNorm splits in two: its residual add becomes the epilogue of the GEMV
     * before it (element by element) and the norm the prologue of the GEMV after it (every
     * work-group normalizes x into local memory), so no launch waits for a last work-group
     * (opencl.normPrologue, default true; false: the older last-work-group epilogue, gemvw_norm).
     */
    final boolean normPrologue;

    OpenClBackend(BackendDescriptor descriptor, BackendOptions options) {
        this.descriptor = descriptor;
        List<ClDevices.Device> devices = ClDevices.list();
        if (devices.isEmpty()) {
            throw new ClException("no OpenCL device: the ICD loader " + Cl.library() + " found no platform with a device"
                    + " (is a driver such as pocl-opencl-icd installed, or OCL_ICD_VENDORS set?)");
        }
        this.device = ClDevices.choose(devices, options.property("opencl.device", null));
        this.ctx = ClContext.of(device);
        this.nvAsm = device.nvidia() && Boolean.parseBoolean(options.property("opencl.nvAsm", "true"));
        this.gemvMaxRows = Integer.parseInt(options.property("opencl.gemvMaxRows", "4"));
        this.gemvOutputs = Integer.parseInt(options.property("opencl.gemvOutputs", "4"));
        this.splitK = Boolean.parseBoolean(options.property("opencl.splitK", "true"));
        this.flushEvery = Integer.parseInt(options.property("opencl.flushEvery", "16"));
        this.flushRamp = Boolean.parseBoolean(options.property("opencl.flushRamp", "true"));
        this.flushAt = flushRamp ? 1 : flushEvery;
        this.splitTarget = Integer.parseInt(options.property("opencl.splitTarget", "0"));
        this.smallGemmMaxRows = Integer.parseInt(options.property("opencl.smallGemmMaxRows", "64"));
        this.tensorCoreMinRows = Integer.parseInt(options.property("opencl.tensorCoreMinRows", "5"));
        this.attentionSplit = Integer.parseInt(options.property("opencl.attentionSplit", "0"));
        this.tensorCores = options.property("opencl.tensorCores", "auto");
        this.fuse = Boolean.parseBoolean(options.property("opencl.fuse", "true"));
        this.fuseNorm = Boolean.parseBoolean(options.property("opencl.fuseNorm", "true"));
        this.fuseRope = Boolean.parseBoolean(options.property("opencl.fuseRope", "false"));
        this.normPrologue = Boolean.parseBoolean(options.property("opencl.normPrologue", "true"));
        this.gemvWarp = !options.property("opencl.gemv", "warp").equals("group");
        this.attentionWarp = !options.property("opencl.attention", "warp").equals("group");
        this.attentionTarget = Integer.parseInt(options.property("opencl.attentionTarget", "0"));
        this.decodeAttention = Boolean.parseBoolean(options.property("opencl.decodeAttention", "false"));
        this.decodeAttentionRope = Boolean.parseBoolean(options.property("opencl.decodeAttentionRope", "true"));
        this.decodeWarps = Integer.parseInt(options.property("opencl.decodeWarps", "16"));
        if (decodeWarps != 8 && decodeWarps != 16) {
            throw new IllegalArgumentException("opencl.decodeWarps must be 8 or 16, not " + decodeWarps);
        }
        this.decodeMaxKeys = Integer.parseInt(options.property("opencl.decodeMaxKeys", "8192"));
        this.splitDecode = Boolean.parseBoolean(options.property("opencl.splitDecode", "true"));
        this.decodeSplitKeys = Integer.parseInt(options.property("opencl.decodeSplitKeys", "0"));
        this.decodeMergeBatch = Integer.parseInt(options.property("opencl.decodeMergeBatch", "8"));
        if (decodeMergeBatch != 4 && decodeMergeBatch != 8 && decodeMergeBatch != 16) {
            throw new IllegalArgumentException("opencl.decodeMergeBatch must be 4, 8 or 16, not " + decodeMergeBatch);
        }
        if (decodeSplitKeys != 0 && decodeSplitKeys != 16 && decodeSplitKeys != 32 && decodeSplitKeys != 64) {
            throw new IllegalArgumentException("opencl.decodeSplitKeys must be 0 (auto), 16, 32 or 64, not " + decodeSplitKeys);
        }
        this.gemvUnroll = Integer.parseInt(options.property("opencl.gemvUnroll", "4"));
        this.gemvSplit = Integer.parseInt(options.property("opencl.gemvSplit", "0"));
        this.gemvWarps = Integer.parseInt(options.property("opencl.gemvWarps", "2048"));
        this.gemvRows = Integer.parseInt(options.property("opencl.gemvRows", "4"));
        this.gemvPrefetch = Integer.parseInt(options.property("opencl.gemvPrefetch", "8"));
        if (gemvPrefetch < 0 || gemvPrefetch > 16) {
            throw new IllegalArgumentException("opencl.gemvPrefetch must be 0 to 16, not " + gemvPrefetch);
        }
        if (gemvRows != 2 && gemvRows != 4) {
            throw new IllegalArgumentException("opencl.gemvRows must be 2 or 4, not " + gemvRows);
        }
        if (gemvSplit != 0 && gemvSplit != 1 && gemvSplit != 2 && gemvSplit != 4) {
            throw new IllegalArgumentException("opencl.gemvSplit must be 0 (auto), 1, 2 or 4, not " + gemvSplit);
        }
        this.warpGemv = new ClWarpGemv(gemvRows, gemvSplit, gemvWarps);
        this.gemmL = options.property("opencl.gemmL", "128,128,16,8,8");
        this.gemmS = options.property("opencl.gemmS", "32,64,16,2,4");
        this.lTile = tile(gemmL);
        this.sTile = tile(gemmS);
        boolean profile = Boolean.parseBoolean(options.property("opencl.profile", "false"));
        this.profiler = profile ? new ClProfiler() : null;
        this.argScratch = arena.allocate(64, 64);
        this.sizeScratch = arena.allocate(64, 64);
        this.callScratch = arena.allocate(64, 64);
        this.staging = arena.allocate(STAGING_BYTES, 4096);
        try {
            MemorySegment err = callScratch;
            MemorySegment q = (MemorySegment) Cl.clCreateCommandQueue.invokeExact(ctx.context, device.id(),
                    profile ? Cl.CL_QUEUE_PROFILING_ENABLE : 0L, err);
            Cl.check(err.get(ValueLayout.JAVA_INT, 0), "clCreateCommandQueue");
            this.queue = q;
        } catch (Throwable t) {
            arena.close();
            throw Cl.rethrow(t);
        }
        this.dummy = (ClBuffer) allocate(64);
        this.gemvCounters = (ClBuffer) allocate(256);
        this.attentionScratch = new ClAttentionScratch(this);
        this.pagedAttention = new ClPagedAttention(attentionWarp, attentionSplit,
                attentionTarget > 0 ? attentionTarget : 4L * device.computeUnits(), device.localMem());
        // the row-op program is needed by every model: build it now so that errors surface at open
        kernel("misc", "rms_norm");
        LOG.fine(() -> "opened OpenCL backend on " + device.describe());
    }

    @Override
    public BackendDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public int threads() {
        return 1;
    }

    /** The device this backend runs on, as {@code probe()} describes it. */
    public String deviceDescription() {
        return device.describe();
    }

    MemorySegment queue() {
        return queue;
    }

    // ------------------------------------------------------------------ programs and kernels

    static int dtypeCode(DType d) {
        return switch (d) {
            case F32 -> 0;
            case F16 -> 1;
            case BF16 -> 2;
            default -> throw new UnsupportedOperationException("opencl backend stores only f32, f16 and bf16, not " + d);
        };
    }

    private static String resource(String name) {
        try (InputStream in = OpenClBackend.class.getResourceAsStream(KERNELS + name)) {
            if (in == null) throw new IllegalStateException("missing kernel resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A GEMM instantiation; {@code tile} is "BM,BN,BK,TM,TN" (threads = BM/TM * BN/TN must be 256). */
    private static String gemm(String name, String tile) {
        String[] p = tile.split(",");
        int bm = Integer.parseInt(p[0].trim());
        int bn = Integer.parseInt(p[1].trim());
        int bk = Integer.parseInt(p[2].trim());
        int tm = Integer.parseInt(p[3].trim());
        int tn = Integer.parseInt(p[4].trim());
        if ((bm / tm) * (bn / tn) != 256 || bm % tm != 0 || bn % tn != 0 || bk % 4 != 0 || tm % 2 != 0 || tn % 2 != 0) {
            throw new IllegalArgumentException("GEMM tile " + tile + " must give 256 threads with even TM, TN and BK % 4 == 0");
        }
        return "#define GNAME " + name + "\n#define BM " + bm + "\n#define BN " + bn + "\n#define BK " + bk
                + "\n#define TM " + tm + "\n#define TN " + tn + "\n" + resource("gemm.cl");
    }

    private final String gemmL;
    private final String gemmS;
    private final long[] lTile;
    private final long[] sTile;

    private static long[] tile(String spec) {
        return Arrays.stream(spec.split(",")).mapToLong(v -> Long.parseLong(v.trim())).toArray();
    }

    /**
     * Source of a program: "misc", "linear-N" (weight dtype code N), "linear-tc" (bf16 tensor-core
     * GEMM) or "attention-N" (KV dtype code N).
     */
    private String source(String program) {
        String common = resource("common.cl");
        if (program.equals("misc")) return common + resource("elementwise.cl");
        if (program.equals("linear-tc")) return "#define WT 2\n" + common + resource("gemm_tc.cl");
        if (program.startsWith("linrope-")) {
            // "linrope-W-K": the warp GEMV of weight dtype W with the RoPE + KV-store epilogue into a K pool
            String gemvw = gemvwSource();
            String[] p = program.split("-");
            return "#define WT " + p[1] + "\n#define KVT " + p[2] + "\n#define GV_OUT " + gemvOutputs + "\n" + common
                    + resource("kv.cl") + resource("linear.cl") + "#define GWNAME gemvw_rope\n#define GW_EPI 3\n" + gemvw;
        }
        if (program.startsWith("linnorm-")) {
            // the warp GEMVs of a split RMSNorm (opencl.normPrologue): residual-add epilogue, norm prologue
            String gemvw = gemvwSource();
            // with a weight prefetch the prologue keeps half the values in registers (K <= 2048 in one pass)
            return "#define WT " + program.substring(8) + "\n#define GV_OUT " + gemvOutputs + "\n#define GW_PFC "
                    + gemvPrefetch + "\n#define GW_PNV " + (gemvPrefetch > 0 ? 16 : 32) + "\n" + common
                    + resource("linear.cl")
                    + "#define GWNAME gemvw_res\n#define GW_EPI 4\n" + gemvw
                    + "#define GWNAME gemvw_pn\n#define GW_EPI 0\n#define GW_PN 1\n" + gemvw
                    + "#define GWNAME gemvw_pn_act\n#define GW_EPI 2\n#define GW_PN 1\n" + gemvw
                    + "#define GWNAME gemvw_pn_res\n#define GW_EPI 4\n#define GW_PN 1\n" + gemvw;
        }
        if (program.startsWith("linear-")) {
            String gemvw = gemvwSource();
            return "#define WT " + program.substring(7) + "\n#define GV_OUT " + gemvOutputs + "\n" + common
                    + resource("linear.cl") + "#define GVNAME gemv\n#define XALIGNED 0\n" + resource("gemv.cl")
                    + "#define GVNAME gemv_xa\n#define XALIGNED 1\n" + resource("gemv.cl")
                    + "#define GWNAME gemvw\n#define GW_EPI 0\n" + gemvw
                    + "#define GWNAME gemvw_norm\n#define GW_EPI 1\n" + gemvw
                    + "#define GWNAME gemvw_act\n#define GW_EPI 2\n" + gemvw
                    + gemm("gemm_l", gemmL) + gemm("gemm_s", gemmS);
        }
        if (program.startsWith("attsplit-")) {
            return ClSplitAttention.source(program, common, resource("kv.cl"), resource("attention_split.cl"));
        }
        if (program.startsWith("attdec-")) {
            return ClDecodeAttention.source(program, common, resource("kv.cl"), resource("attention_decode.cl"),
                    !device.cpu());
        }
        if (program.startsWith("attention-")) {
            return "#define KVT " + program.substring(10) + "\n" + common + resource("kv.cl") + resource("attention.cl");
        }
        throw new IllegalArgumentException(program);
    }

    /** gemvw.cl with this backend's rows a warp and unroll, for one instantiation. */
    private String gemvwSource() {
        return "#define GW_ROWS " + gemvRows + "\n"
                + resource("gemvw.cl").replace("#pragma unroll GW_UNROLL", "#pragma unroll " + gemvUnroll);
    }

    private MemorySegment program(String program) {
        String src = source(program);
        String base = "-cl-std=CL1.2";
        if (program.equals("linear-tc") && nvAsm) {
            MemorySegment p = ctx.program(program, src, base + " -DJSGL_NV");
            programFlags.put(program, "nv-asm");
            return p;
        }
        if (nvAsm) {
            try {
                MemorySegment p = ctx.program(program, src, base + " -DJSGL_NV");
                programFlags.put(program, "nv-asm");
                return p;
            } catch (ClException e) {
                if (e.status() != Cl.CL_BUILD_PROGRAM_FAILURE) throw e;
                LOG.warning("OpenCL program " + program + " did not build with NVIDIA inline PTX; using the portable"
                        + " kernels. " + e.getMessage());
            }
        }
        programFlags.put(program, "portable");
        return ctx.program(program, src, base);
    }

    /** Whether bf16 prefill GEMMs run on the tensor-core kernel; builds it on first ask. */
    boolean tensorCores() {
        if (tensorCoresReady != null) return tensorCoresReady;
        boolean want = switch (tensorCores) {
            case "on", "true" -> true;
            case "off", "false" -> false;
            default -> device.nvidia() && nvAsm;
        };
        if (want) {
            try {
                kernel("linear-tc", "gemm_tc");
            } catch (ClException e) {
                if (!tensorCores.equals("auto")) throw e;
                LOG.warning("tensor-core GEMM unavailable on " + device.name() + ", using the f32 tiled GEMM: "
                        + e.getMessage());
                programFlags.put("linear-tc", "unavailable");
                want = false;
            }
        }
        tensorCoresReady = want;
        return want;
    }

    ClKernel kernel(String program, String name) {
        String key = program + "/" + name;
        ClKernel k = kernels.get(key);
        if (k == null) {
            k = createKernel(program, name);
            kernels.put(key, k);
        }
        return k;
    }

    private record Site(Object args, String program, String name) {}

    /**
     * The kernel object of one call site: the op's argument record (the engine builds them once
     * and reuses them every step), so arguments that do not change between steps are set once.
     * Least recently used sites beyond {@link #SITES} release their kernel objects.
     */
    ClKernel site(String program, String name, Object args) {
        Site key = new Site(args, program, name);
        ClKernel k = sites.get(key);
        if (k == null) {
            k = createKernel(program, name);
            if (profiler != null && args instanceof LinearArgs la) {
                // profiled: device time per weight shape (the o and down projections share a kernel)
                k = new ClKernel(this, k.name + " " + la.out().cols() + "x" + la.x().cols(), k.handle, argScratch,
                        sizeScratch, profiler);
            }
            sites.put(key, k);
        }
        return k;
    }

    private static final int SITES = 2048;
    private final Map<Site, ClKernel> sites = new java.util.LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Site, ClKernel> eldest) {
            if (size() <= SITES) return false;
            eldest.getValue().release();
            return true;
        }
    };

    private ClKernel createKernel(String program, String name) {
        MemorySegment prog = program(program);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = callScratch;
            MemorySegment h = (MemorySegment) Cl.clCreateKernel.invokeExact(prog, a.allocateFrom(name), err);
            Cl.check(err.get(ValueLayout.JAVA_INT, 0), "clCreateKernel(" + name + ")");
            String label = program.startsWith("linear-") && !program.equals("linear-tc") ? name + ":" + program : name;
            return new ClKernel(this, label, h, argScratch, sizeScratch, profiler);
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
    }

    /** Counts launches and flushes the queue every {@code opencl.flushEvery} so the device starts early. */
    void launched() {
        if (flushEvery > 0 && ++sinceFlush >= flushAt) {
            sinceFlush = 0;
            flushAt = Math.min(2 * flushAt, flushEvery);
            try {
                int ignored = (int) Cl.clFlush.invokeExact(queue);
            } catch (Throwable t) {
                throw Cl.rethrow(t);
            }
        }
    }

    /** The device binary of a built program (PTX text on NVIDIA), for diagnostics. */
    byte[] programBinary(String program) {
        MemorySegment prog = program(program);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(8);
            Cl.check((int) Cl.clGetProgramInfo.invokeExact(prog, Cl.CL_PROGRAM_BINARY_SIZES, 8L, size, MemorySegment.NULL),
                    "clGetProgramInfo");
            long n = size.get(ValueLayout.JAVA_LONG, 0);
            MemorySegment bin = a.allocate(Math.max(1, n));
            MemorySegment ptrs = a.allocate(ValueLayout.ADDRESS);
            ptrs.set(ValueLayout.ADDRESS, 0, bin);
            Cl.check((int) Cl.clGetProgramInfo.invokeExact(prog, Cl.CL_PROGRAM_BINARIES, 8L, ptrs, MemorySegment.NULL),
                    "clGetProgramInfo");
            return bin.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
    }

    /** Work-group limit and memory use of a kernel as the driver reports them, for diagnostics. */
    String kernelInfo(String program, String name) {
        ClKernel k = kernel(program, name);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(8);
            StringBuilder sb = new StringBuilder(name);
            int[] params = {Cl.CL_KERNEL_WORK_GROUP_SIZE, Cl.CL_KERNEL_LOCAL_MEM_SIZE, Cl.CL_KERNEL_PRIVATE_MEM_SIZE};
            String[] labels = {" maxWorkGroup=", " localMem=", " privateMem="};
            for (int i = 0; i < params.length; i++) {
                v.set(ValueLayout.JAVA_LONG, 0, 0);
                int st = (int) Cl.clGetKernelWorkGroupInfo.invokeExact(k.handle, device.id(), params[i], 8L, v,
                        MemorySegment.NULL);
                sb.append(labels[i]).append(st == 0 ? String.valueOf(v.get(ValueLayout.JAVA_LONG, 0)) : Cl.errorName(st));
            }
            return sb.toString();
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
    }

    /** How each built program was compiled ("nv-asm" or "portable"), for reports. */
    public Map<String, String> programFlags() {
        return Map.copyOf(programFlags);
    }

    // ------------------------------------------------------------------ memory

    @Override
    public DeviceBuffer allocate(long bytes) {
        flushPending();
        ClBuffer b = createBuffer(bytes);
        fill(b, 0, b.byteSize());
        return b;
    }

    /** A new buffer of at least {@code bytes}, filled with zeros (queued). */
    ClBuffer zeroed(long bytes) {
        ClBuffer b = createBuffer(bytes);
        fill(b, 0, b.byteSize());
        return b;
    }

    ClBuffer createBuffer(long bytes) {
        checkOpen();
        if (bytes < 0) throw new IllegalArgumentException("negative allocation " + bytes);
        long size = Math.max(4, (bytes + 3) & ~3L);
        if (size > device.maxAlloc()) {
            throw new ClException("allocation of " + size + " bytes exceeds " + device.name() + "'s largest buffer ("
                    + device.maxAlloc() + " bytes, CL_DEVICE_MAX_MEM_ALLOC_SIZE)");
        }
        try {
            MemorySegment err = callScratch;
            MemorySegment mem = (MemorySegment) Cl.clCreateBuffer.invokeExact(ctx.context, Cl.CL_MEM_READ_WRITE, size,
                    MemorySegment.NULL, err);
            Cl.check(err.get(ValueLayout.JAVA_INT, 0), "clCreateBuffer(" + size + " bytes)");
            allocated.addAndGet(size);
            return new ClBuffer(this, mem, size);
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
    }

    private void fill(ClBuffer b, long offset, long bytes) {
        if (bytes <= 0) return;
        try {
            MemorySegment pattern = callScratch.asSlice(32, 4);
            pattern.set(ValueLayout.JAVA_INT, 0, 0);
            int st = (int) Cl.clEnqueueFillBuffer.invokeExact(queue, b.mem(), pattern, 4L, offset, bytes, 0,
                    MemorySegment.NULL, MemorySegment.NULL);
            Cl.check(st, "clEnqueueFillBuffer");
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
    }

    void release(MemorySegment mem, long size) {
        allocated.addAndGet(-size);
        try {
            int ignored = (int) Cl.clReleaseMemObject.invokeExact(mem);
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
    }

    private ClBuffer buffer(DeviceBuffer b) {
        if (b instanceof ClBuffer c && c.owner == this) return c;
        throw new IllegalArgumentException("buffer " + b.getClass().getName() + " was not allocated by this opencl backend");
    }

    @Override
    public void upload(MemorySegment src, DeviceBuffer dst, long dstByteOffset) {
        flushPending();
        ClBuffer b = buffer(dst);
        long n = src.byteSize();
        if (dstByteOffset < 0 || dstByteOffset + n > b.byteSize()) {
            throw new IndexOutOfBoundsException("upload of " + n + " bytes at " + dstByteOffset + " into " + b.byteSize());
        }
        if (n == 0) return;
        if (n <= STAGE_MAX) {
            MemorySegment slot = stage(n);
            slot.copyFrom(src);
            writeStaged(slot, b, dstByteOffset);
        } else {
            writeBlocking(src, b, dstByteOffset);
        }
    }

    /** A slice of the staging ring; waits for older staged writes if the ring is full. */
    private MemorySegment stage(long n) {
        if (stagingHead + n > STAGING_BYTES || pendingEvents.size() >= 1024) {
            waitPending();
        }
        MemorySegment slot = staging.asSlice(stagingHead, n);
        stagingHead = (stagingHead + n + 63) & ~63L;
        return slot;
    }

    private void writeStaged(MemorySegment slot, ClBuffer b, long offset) {
        try {
            MemorySegment ev = callScratch;
            int st = (int) Cl.clEnqueueWriteBuffer.invokeExact(queue, b.mem(), 0, offset, slot.byteSize(), slot, 0,
                    MemorySegment.NULL, ev);
            Cl.check(st, "clEnqueueWriteBuffer");
            pendingEvents.add(ev.get(ValueLayout.ADDRESS, 0));
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
    }

    private void writeBlocking(MemorySegment src, ClBuffer b, long offset) {
        try {
            if (src.isNative()) {
                Cl.check((int) Cl.clEnqueueWriteBuffer.invokeExact(queue, b.mem(), 1, offset, src.byteSize(), src, 0,
                        MemorySegment.NULL, MemorySegment.NULL), "clEnqueueWriteBuffer");
                return;
            }
            long chunk = 16L << 20;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment tmp = a.allocate(Math.min(chunk, src.byteSize()), 64);
                for (long done = 0; done < src.byteSize(); done += chunk) {
                    long n = Math.min(chunk, src.byteSize() - done);
                    MemorySegment part = tmp.asSlice(0, n);
                    part.copyFrom(src.asSlice(done, n));
                    Cl.check((int) Cl.clEnqueueWriteBuffer.invokeExact(queue, b.mem(), 1, offset + done, n, part, 0,
                            MemorySegment.NULL, MemorySegment.NULL), "clEnqueueWriteBuffer");
                }
            }
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
    }

    private void waitPending() {
        if (pendingEvents.isEmpty()) {
            stagingHead = 0;
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment list = a.allocate(ValueLayout.ADDRESS, pendingEvents.size());
            for (int i = 0; i < pendingEvents.size(); i++) list.setAtIndex(ValueLayout.ADDRESS, i, pendingEvents.get(i));
            Cl.check((int) Cl.clWaitForEvents.invokeExact(pendingEvents.size(), list), "clWaitForEvents");
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
        releasePending();
    }

    /** Releases the staged writes' events; only once the queue is known to have passed them. */
    private void releasePending() {
        try {
            for (MemorySegment e : pendingEvents) {
                int ignored = (int) Cl.clReleaseEvent.invokeExact(e);
            }
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
        pendingEvents.clear();
        stagingHead = 0;
        if (flushRamp) {
            // the queue is empty now (a blocking call returned): the next launches start the device
            sinceFlush = 0;
            flushAt = 1;
        }
    }

    @Override
    public void download(DeviceBuffer src, long srcByteOffset, MemorySegment dst) {
        flushPending();
        ClBuffer b = buffer(src);
        long n = dst.byteSize();
        if (srcByteOffset < 0 || srcByteOffset + n > b.byteSize()) {
            throw new IndexOutOfBoundsException("download of " + n + " bytes at " + srcByteOffset + " from " + b.byteSize());
        }
        if (n == 0) {
            synchronize();
            return;
        }
        try {
            if (dst.isNative()) {
                Cl.check((int) Cl.clEnqueueReadBuffer.invokeExact(queue, b.mem(), 1, srcByteOffset, n, dst, 0,
                        MemorySegment.NULL, MemorySegment.NULL), "clEnqueueReadBuffer");
            } else {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment tmp = a.allocate(n, 64);
                    Cl.check((int) Cl.clEnqueueReadBuffer.invokeExact(queue, b.mem(), 1, srcByteOffset, n, tmp, 0,
                            MemorySegment.NULL, MemorySegment.NULL), "clEnqueueReadBuffer");
                    dst.copyFrom(tmp);
                }
            }
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
        // a blocking read on an in-order queue completes everything issued before it
        releasePending();
    }

    @Override
    public Weight loadWeight(WeightSpec spec) {
        flushPending();
        DType dt = spec.dtype();
        int code = dtypeCode(dt);
        long rows = spec.rows();
        long cols = spec.cols();
        boolean vector = spec.use() == WeightUse.VECTOR;
        long ld = vector ? cols : (cols + 7) & ~7L;
        int es = dt.bytes();
        ClBuffer buf = createBuffer(rows * ld * es);
        if (ld == cols) {
            long off = 0;
            for (HostTensor p : spec.parts()) {
                writeBlocking(p.data(), buf, off);
                off += p.data().byteSize();
            }
        } else {
            long row = 0;
            try (Arena a = Arena.ofConfined()) {
                for (HostTensor p : spec.parts()) {
                    long pr = p.rows();
                    MemorySegment padded = a.allocate(pr * ld * es, 64);
                    for (long r = 0; r < pr; r++) {
                        MemorySegment.copy(p.data(), r * cols * es, padded, r * ld * es, cols * es);
                    }
                    writeBlocking(padded, buf, row * ld * es);
                    row += pr;
                }
            }
        }
        if (!vector) {
            kernel("linear-" + code, "gemv");
            if (dt == DType.BF16) tensorCores();
        }
        return new ClWeight(spec.name(), dt, rows, cols, spec.use(), buf, ld);
    }

    @Override
    public KvCache allocateKvCache(KvCacheSpec spec) {
        flushPending();
        if (spec.isLatent()) {
            throw new UnsupportedOperationException("opencl backend has no MLA attention; it cannot hold a latent KV pool");
        }
        int code = dtypeCode(spec.dtype());
        kernel("attention-" + code, "attention");
        ClBuffer[] k = new ClBuffer[spec.layers()];
        ClBuffer[] v = new ClBuffer[spec.layers()];
        long kBytes = (long) spec.slots() * spec.kvHeads() * spec.headDim() * spec.dtype().bytes();
        long vBytes = (long) spec.slots() * spec.kvHeads() * spec.vHeadDim() * spec.dtype().bytes();
        try {
            for (int l = 0; l < spec.layers(); l++) {
                k[l] = (ClBuffer) allocate(kBytes);
                v[l] = (ClBuffer) allocate(vBytes);
            }
        } catch (RuntimeException e) {
            for (ClBuffer b : k) if (b != null) b.close();
            for (ClBuffer b : v) if (b != null) b.close();
            throw e;
        }
        return new ClKvCache(spec, k, v);
    }

    @Override
    public MemoryInfo memoryInfo() {
        long total = device.globalMem();
        return new MemoryInfo(total, Math.max(0, total - allocated.get()));
    }

    @Override
    public void synchronize() {
        checkOpen();
        flushPending();
        try {
            Cl.check((int) Cl.clFinish.invokeExact(queue), "clFinish");
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
        releasePending();
        if (profiler != null) profiler.drain();
    }

    /**
     * With {@code opencl.profile=true}: kernel name to {launches, device nanoseconds} since the
     * last call (waits for the queue); a linear's kernels are keyed "name NxK" (N outputs, K inputs).
     * Empty when profiling is off.
     */
    public Map<String, long[]> kernelTimes() {
        if (profiler == null) return Map.of();
        synchronize();
        return profiler.takeTotals();
    }

    @Override
    public PreparedBatch prepare(AttentionBatch b) {
        flushPending();
        int rows = b.rows();
        int n = b.sequences();
        int rowSeqOff = 0;
        int rowPosOff = rows;
        int newSlotsOff = 2 * rows;
        int slotStartOff = 3 * rows;
        int slotTableOff = 3 * rows + n;
        int rowBaseOff = slotTableOff + b.slotTable().length;
        long ints = (long) rowBaseOff + rows;
        ClBuffer table = takeTable(ints * 4);
        long bytes = ints * 4;
        MemorySegment host;
        Arena tmp = null;
        if (bytes <= STAGE_MAX) {
            host = stage(bytes);
        } else {
            tmp = Arena.ofConfined();
            host = tmp.allocate(bytes, 64);
        }
        int maxKeys = 0;
        boolean decodeOnly = rows == n;
        boolean fresh = true;
        for (int s = 0; s < n; s++) {
            maxKeys = Math.max(maxKeys, b.kvLen()[s]);
            decodeOnly &= b.qLen()[s] == 1;
            if (b.qLen()[s] == 1) {
                int p = b.position(s, 0);
                int at = b.slotStart()[s] + p;
                fresh &= p == b.kvLen()[s] - 1 && at < b.slotTable().length
                        && b.slotTable()[at] == b.newSlots()[b.qStart()[s]];
            }
            for (int i = 0; i < b.qLen()[s]; i++) {
                int r = b.qStart()[s] + i;
                host.setAtIndex(ValueLayout.JAVA_INT, rowSeqOff + r, s);
                host.setAtIndex(ValueLayout.JAVA_INT, rowPosOff + r, b.position(s, i));
                host.setAtIndex(ValueLayout.JAVA_INT, rowBaseOff + r, slotTableOff + b.slotStart()[s]);
            }
            host.setAtIndex(ValueLayout.JAVA_INT, slotStartOff + s, b.slotStart()[s]);
        }
        MemorySegment.copy(b.newSlots(), 0, host, ValueLayout.JAVA_INT, 4L * newSlotsOff, rows);
        MemorySegment.copy(b.slotTable(), 0, host, ValueLayout.JAVA_INT, 4L * slotTableOff, b.slotTable().length);
        if (tmp == null) {
            writeStaged(host, table, 0);
        } else {
            writeBlocking(host, table, 0);
            tmp.close();
        }
        return new ClPreparedBatch(this, b, table, rowSeqOff, rowPosOff, newSlotsOff, slotStartOff, slotTableOff, rowBaseOff,
                maxKeys, decodeOnly, fresh);
    }

    private ClBuffer takeTable(long bytes) {
        for (var it = tablePool.iterator(); it.hasNext(); ) {
            ClBuffer b = it.next();
            if (b.byteSize() >= bytes) {
                it.remove();
                return b;
            }
        }
        return createBuffer(Math.max(4096, bytes + bytes / 2));
    }

    void recycleTable(ClBuffer table) {
        if (closed) {
            table.close();
            return;
        }
        tablePool.addFirst(table);
        while (tablePool.size() > 4) tablePool.removeLast().close();
    }

    // ------------------------------------------------------------------ ops

    private static ClBuffer f32(Tensor t, String what, int rows) {
        if (t.dtype() != DType.F32) {
            throw new UnsupportedOperationException("opencl backend computes in f32; " + what + " is " + t.dtype());
        }
        if (rows > t.rows()) throw new IllegalArgumentException(what + ": " + rows + " rows exceed its " + t.rows());
        return (ClBuffer) t.buffer();
    }

    private ClBuffer f32buf(Tensor t, String what, int rows) {
        buffer(t.buffer());
        return f32(t, what, rows);
    }

    private ClBuffer i32buf(Tensor t, String what, int rows) {
        ClBuffer b = buffer(t.buffer());
        if (t.dtype() != DType.I32) throw new IllegalArgumentException(what + " must be I32, is " + t.dtype());
        if (rows > t.rows()) throw new IllegalArgumentException(what + ": " + rows + " rows exceed its " + t.rows());
        return b;
    }

    private ClWeight weight(Weight w) {
        if (w instanceof ClWeight c && c.buffer().owner == this) return c;
        throw new IllegalArgumentException("weight " + w.name() + " was not loaded by this opencl backend");
    }

    private static long roundUp(long v, long m) {
        return (v + m - 1) / m * m;
    }

    private static int pow2AtLeast(int v) {
        int p = 1;
        while (p < v) p <<= 1;
        return p;
    }

    @Override
    public void embedding(EmbeddingArgs a, int rows) {
        flushPending();
        if (rows == 0) return;
        ClWeight t = weight(a.table());
        ClBuffer ids = i32buf(a.ids(), "embedding ids", rows);
        ClBuffer out = f32buf(a.out(), "embedding out", rows);
        if (a.out().cols() != t.cols()) {
            throw new IllegalArgumentException("embedding table has " + t.cols() + " columns, out has " + a.out().cols());
        }
        int cols = a.out().cols();
        site("misc", "embedding", a).begin()
                .mem(t.buffer()).i(t.code()).i((int) t.ld()).i((int) t.rows())
                .view(ids, a.ids())
                .view(out, a.out()).f(a.scale()).i(cols).i(rows)
                .run(queue, roundUp(cols, 64), rows, 64, 1);
    }

    @Override
    public void linear(LinearArgs a, int rows) {
        if (rows == 0) return;
        RmsNormArgs norm = null;
        Tensor normX = null;
        if (deferred.norm != null && deferred.normRows == rows && rows <= gemvMaxRows && gemvWarp
                && ClNormPrologue.fits(deferred.norm, deferred.normX, a, rows, device.localMem())) {
            norm = deferred.norm;
            normX = deferred.normX;
            deferred.norm = null;
            deferred.normX = null;
        }
        flushPending();
        ClWeight w = weight(a.weight());
        if (w.use() == WeightUse.VECTOR) throw new IllegalArgumentException("linear weight " + w.name() + " is a vector");
        ClBuffer x = f32buf(a.x(), "linear x", rows);
        ClBuffer y = f32buf(a.out(), "linear out", rows);
        if (a.bias() != null) weight(a.bias());
        if (rows <= gemvMaxRows && (norm != null || warpGemv(a))) {
            if (fuse) {
                deferred.linear = a;
                deferred.linearRows = rows;
                deferred.linearNorm = norm;
                deferred.linearNormX = normX;
            } else {
                launchGemvw(gemvw(a, rows, "gemvw"), a, false);
            }
            return;
        }
        linearNow(a, rows, w, x, y);
    }

    /** Whether the warp GEMV takes this linear: x rows 16-byte aligned. */
    private boolean warpGemv(LinearArgs a) {
        return gemvWarp && a.x().offset() % 4 == 0 && a.x().rowStride() % 4 == 0;
    }

    private void launchGemvw(ClKernel k, LinearArgs a, boolean pairs) {
        warpGemv.launch(k, queue, a, pairs);
    }

    /** The warp GEMV's kernel with its common arguments set; the caller adds the epilogue's and runs it. */
    private ClKernel gemvw(LinearArgs a, int rows, String name) {
        return gemvw(a, rows, "linear-" + weight(a.weight()).code(), name);
    }

    private ClKernel gemvw(LinearArgs a, int rows, String program, String name) {
        return warpGemv.args(site(program, name, a), weight(a.weight()), a.bias() == null ? null : weight(a.bias()), dummy,
                a, rows, name.endsWith("_act"));
    }

    /**
     * The pending linear's warp GEMV with its norm prologue, if it has one, and the given epilogue
     * ("" plain, "_act" gated activation, "_res" residual add); the caller adds the epilogue's
     * arguments and launches it. Clears the pending linear.
     */
    private ClKernel pendingGemvw(String epilogue) {
        LinearArgs a = deferred.linear;
        RmsNormArgs n = deferred.linearNorm;
        Tensor nx = deferred.linearNormX;
        deferred.linear = null;
        deferred.linearNorm = null;
        deferred.linearNormX = null;
        int code = weight(a.weight()).code();
        if (n == null && !epilogue.equals("_res")) return gemvw(a, deferred.linearRows, "linear-" + code, "gemvw" + epilogue);
        ClKernel k = gemvw(a, deferred.linearRows, "linnorm-" + code, (n == null ? "gemvw" : "gemvw_pn") + epilogue);
        if (n != null) ClNormPrologue.args(k, n, nx, weight(n.weight()), deferred.linearRows, a.x().cols());
        return k;
    }

    /**
     * Launches the deferred op. Ops are deferred by one call so that a decode linear can take the
     * RMSNorm or gated activation that follows it into its epilogue and a RoPE the KV store of the
     * attention that follows it; every other entry point (uploads, downloads, other ops,
     * synchronize) launches the deferred op first, so the queue order is the call order.
     */
    private void flushPending() {
        if (deferred.norm != null) {
            RmsNormArgs n = deferred.norm;
            deferred.norm = null;
            normNow(n, deferred.normX, null, deferred.normRows);
            deferred.normX = null;
        }
        if (deferred.linear != null) {
            LinearArgs a = deferred.linear;
            launchGemvw(pendingGemvw(""), a, false);
        }
        if (deferred.rope != null) {
            RopeArgs a = deferred.rope;
            deferred.rope = null;
            ropeNow(a, deferred.ropeRows);
        }
    }

    private static boolean sameView(Tensor a, Tensor b) {
        return a.buffer() == b.buffer() && a.offset() == b.offset() && a.rowStride() == b.rowStride() && a.cols() == b.cols();
    }

    /** The pending linear with this RMSNorm as its epilogue, when the norm normalizes whole rows of its output. */
    private boolean fuseNorm(RmsNormArgs n, int rows) {
        LinearArgs l = deferred.linear;
        if (l == null || deferred.linearNorm != null || deferred.rope != null || deferred.linearRows != rows
                || !sameView(n.x(), l.out()) || n.groupSize() != n.x().cols()) {
            return false;
        }
        DeviceBuffer xb = l.x().buffer();
        if (n.out().buffer() == xb || (n.residual() != null && (n.residual().buffer() == xb
                || n.residual().buffer() == l.out().buffer() || n.residual().buffer() == n.out().buffer()))) {
            return false;
        }
        deferred.linear = null;
        ClWeight nw = weight(n.weight());
        ClBuffer res = n.residual() == null ? dummy : f32buf(n.residual(), "rms norm residual", rows);
        ClBuffer out = f32buf(n.out(), "rms norm out", rows);
        gemvw(l, rows, "gemvw_norm")
                .mem(res).l(n.residual() == null ? 0 : n.residual().offset())
                .i(n.residual() == null ? 0 : n.residual().rowStride()).i(n.residual() == null ? 0 : 1)
                .mem(nw.buffer()).i(nw.code()).f(n.eps()).f(n.weightOffset())
                .view(out, n.out()).mem(gemvCounters).i(0);
        launchGemvw(site("linear-" + weight(l.weight()).code(), "gemvw_norm", l), l, false);
        return true;
    }

    /** The pending gate|up linear with this gated activation as its epilogue. */
    private boolean fuseActivation(GatedActivationArgs g, int rows) {
        LinearArgs l = deferred.linear;
        if (l == null || deferred.rope != null || deferred.linearRows != rows) return false;
        int n = l.out().cols();
        int inter = g.out().cols();
        if (n != 2 * inter || !sameView(g.gate(), l.out().columns(0, inter)) || !sameView(g.up(), l.out().columns(inter, inter))
                || g.out().buffer() == l.x().buffer() || g.out().buffer() == l.out().buffer()
                || (deferred.linearNorm != null && (g.out().buffer() == deferred.linearNormX.buffer()
                        || g.out().buffer() == deferred.linearNorm.out().buffer()))) {
            return false;
        }
        ClBuffer o = f32buf(g.out(), "activation out", rows);
        int act = switch (g.activation()) {
            case SILU -> 0;
            case GELU_TANH -> 1;
        };
        launchGemvw(pendingGemvw("_act").view(o, g.out()).i(act), l, true);
        return true;
    }

    private void linearNow(LinearArgs a, int rows, ClWeight w, ClBuffer x, ClBuffer y) {
        ClWeight bias = a.bias() == null ? null : weight(a.bias());
        int k = a.x().cols();
        int n = a.out().cols();
        String program = "linear-" + w.code();
        ClBuffer biasBuf = bias == null ? dummy : bias.buffer();
        int biasType = bias == null ? 0 : bias.code();
        int hasBias = bias == null ? 0 : 1;
        if (rows <= gemvMaxRows) {
            boolean xAligned = a.x().offset() % 4 == 0 && a.x().rowStride() % 4 == 0;
            site(program, xAligned ? "gemv_xa" : "gemv", a).begin()
                    .mem(w.buffer()).i((int) w.ld()).i(k).i(n)
                    .view(x, a.x())
                    .mem(biasBuf).i(biasType).i(hasBias)
                    .view(y, a.out()).i(rows)
                    .run(queue, (n + (long) gemvOutputs - 1) / gemvOutputs * 256, 256);
            return;
        }
        String name;
        long bm;
        long bn;
        long bk;
        if (w.dtype() == DType.BF16 && rows >= tensorCoreMinRows && tensorCores()) {
            program = "linear-tc";
            name = "gemm_tc";
            bm = 128;
            bn = 128;
            bk = 32;
        } else if (rows <= smallGemmMaxRows) {
            name = "gemm_s";
            bm = sTile[0];
            bn = sTile[1];
            bk = sTile[2];
        } else {
            name = "gemm_l";
            bm = lTile[0];
            bn = lTile[1];
            bk = lTile[2];
        }
        long tiles = ((rows + bm - 1) / bm) * ((n + bn - 1) / bn);
        // too few tiles to fill the device: split K, each slice writes partials, then sum them
        int nsplit = 1;
        long kChunk = roundUp(k, bk);
        long target = splitTarget > 0 ? splitTarget : 2L * device.computeUnits();
        if (splitK && tiles < target && k >= 8 * bk) {
            int want = (int) Math.min((target + tiles - 1) / tiles, k / (4 * bk));
            if (want > 1) {
                kChunk = roundUp((k + want - 1) / want, bk);
                nsplit = (int) ((k + kChunk - 1) / kChunk);
            }
        }
        ClBuffer part = dummy;
        if (nsplit > 1) {
            long need = 4L * nsplit * rows * n;
            if (splitPartials == null || splitPartials.byteSize() < need) {
                if (splitPartials != null) splitPartials.close();
                splitPartials = createBuffer(need + need / 2);
            }
            part = splitPartials;
        }
        site(program, name, a).begin()
                .mem(w.buffer()).i((int) w.ld()).i(k).i(n)
                .view(x, a.x())
                .mem(biasBuf).i(biasType).i(hasBias)
                .view(y, a.out()).i(rows)
                .i((int) kChunk).mem(part)
                .run(queue, tiles * nsplit * 256, 256);
        if (nsplit > 1) {
            site("linear-" + w.code(), "splitk_reduce", a).begin()
                    .mem(part).i(nsplit).i(rows).i(n)
                    .mem(biasBuf).i(biasType).i(hasBias)
                    .view(y, a.out())
                    .run(queue, roundUp(n, 64), rows, 64, 1);
        }
    }

    @Override
    public void rmsNorm(RmsNormArgs a, int rows) {
        if (rows == 0) return;
        if (fuse && fuseNorm && (normPrologue ? deferNorm(a, rows) : fuseNorm(a, rows))) return;
        flushPending();
        normNow(a, a.x(), a.residual(), rows);
    }

    /**
     * Splits a decode RMSNorm (opencl.normPrologue): the residual add runs as the pending GEMV's
     * epilogue (when the norm reads that GEMV's output), the norm itself waits to become the next
     * GEMV's prologue; false when it must run as it is.
     */
    private boolean deferNorm(RmsNormArgs n, int rows) {
        if (rows > gemvMaxRows || n.groupSize() != n.x().cols()) return false;
        LinearArgs l = deferred.linear;
        Tensor normX;
        if (l != null && deferred.rope == null && deferred.linearRows == rows && sameView(n.x(), l.out())) {
            DeviceBuffer xb = l.x().buffer();
            if (n.out().buffer() == xb || (n.residual() != null && (n.residual().buffer() == xb
                    || n.residual().buffer() == l.out().buffer() || n.residual().buffer() == n.out().buffer()
                    // the GEMV's prologue reads its norm's x in every work-group while this epilogue writes
                    || (deferred.linearNorm != null && (n.residual().buffer() == deferred.linearNormX.buffer()
                            || n.residual().buffer() == deferred.linearNorm.out().buffer()))))) {
                return false;
            }
            if (n.residual() == null) {
                launchGemvw(pendingGemvw(""), l, false);
                normX = n.x();
            } else {
                ClBuffer res = f32buf(n.residual(), "rms norm residual", rows);
                launchGemvw(pendingGemvw("_res").view(res, n.residual()), l, false);
                normX = n.residual();
            }
        } else {
            if (n.residual() != null) return false;
            flushPending();
            normX = n.x();
        }
        f32buf(normX, "rms norm x", rows);
        f32buf(n.out(), "rms norm out", rows);
        if (n.out().buffer() == normX.buffer()) {
            // in place: a GEMV's other work-groups would read x while work-group 0 writes the norm
            normNow(n, normX, null, rows);
        } else {
            deferred.norm = n;
            deferred.normX = normX;
            deferred.normRows = rows;
        }
        return true;
    }

    /** The rms_norm kernel over x (the args' x, or the residual whose add already ran) with an optional residual. */
    private void normNow(RmsNormArgs a, Tensor xt, Tensor residual, int rows) {
        ClWeight w = weight(a.weight());
        ClBuffer x = f32buf(xt, "rms norm x", rows);
        ClBuffer out = f32buf(a.out(), "rms norm out", rows);
        ClBuffer res = residual == null ? dummy : f32buf(residual, "rms norm residual", rows);
        int g = a.groupSize();
        int groups = xt.cols() / g;
        int local = Math.max(32, Math.min(256, pow2AtLeast(g)));
        site("misc", "rms_norm", a).begin()
                .view(x, xt)
                .mem(res).l(residual == null ? 0 : residual.offset())
                .i(residual == null ? 0 : residual.rowStride()).i(residual == null ? 0 : 1)
                .mem(w.buffer()).i(w.code()).f(a.eps()).f(a.weightOffset()).i(g).i(groups)
                .view(out, a.out()).local(4L * local)
                .run(queue, (long) rows * groups * local, local);
    }

    ClBuffer ropeFrequencies(RopeConfig rope) {
        ClBuffer b = ropeFreqs.get(rope);
        if (b != null) return b;
        boolean fp64 = device.fp64();
        String key = fp64 + Arrays.toString(rope.invFreq());
        b = ropeFreqsByValue.get(key);
        if (b == null) {
            double[] f = rope.invFreq();
            b = createBuffer((long) f.length * (fp64 ? 8 : 4));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment host = a.allocate(b.byteSize(), 8);
                for (int i = 0; i < f.length; i++) {
                    if (fp64) host.setAtIndex(ValueLayout.JAVA_DOUBLE, i, f[i]);
                    else host.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) f[i]);
                }
                upload(host, b, 0);
            }
            ropeFreqsByValue.put(key, b);
        }
        ropeFreqs.put(rope, b);
        return b;
    }

    @Override
    public void rope(RopeArgs a, int rows) {
        if (rows == 0) return;
        boolean fusable = fuse && a.k() != null && a.rope().rotaryDim() / 2 > 0;
        // a deferred decode linear stays deferred with it: the attention that follows may run the
        // RoPE and its KV store as that GEMV's epilogue (gemvw_rope)
        if (!fusable || !fuseRope || deferred.rope != null || deferred.linear == null || deferred.linearNorm != null
                || deferred.linearRows != rows
                || a.rope().rotaryDim() / 2 > ROPE_EPILOGUE_MAX_PAIRS) {
            flushPending();
        }
        if (fusable) {
            f32buf(a.q(), "rope q", rows);
            f32buf(a.k(), "rope k", rows);
            i32buf(a.positions(), "rope positions", rows);
            deferred.rope = a;
            deferred.ropeRows = rows;
            return;
        }
        ropeNow(a, rows);
    }

    private void ropeNow(RopeArgs a, int rows) {
        ClBuffer q = f32buf(a.q(), "rope q", rows);
        ClBuffer k = a.k() == null ? dummy : f32buf(a.k(), "rope k", rows);
        ClBuffer pos = i32buf(a.positions(), "rope positions", rows);
        int half = a.rope().rotaryDim() / 2;
        if (half == 0) return;
        ClBuffer freqs = ropeFrequencies(a.rope());
        int items = half * (a.q() == null ? 0 : a.qHeads()) + (a.k() == null ? 0 : half * a.kHeads());
        site("misc", "rope", a).begin()
                .view(q, a.q()).i(a.qHeads())
                .mem(k).l(a.k() == null ? 0 : a.k().offset()).i(a.k() == null ? 0 : a.k().rowStride())
                .i(a.k() == null ? 0 : a.kHeads())
                .view(pos, a.positions())
                .mem(freqs).f((float) a.rope().attentionScale()).i(half).i(a.headDim())
                .i(ClFusedRope.interleaved(a.rope())).i(rows)
                .run(queue, roundUp(items, 64), rows, 64, 1);
    }

    @Override
    public void gatedActivation(GatedActivationArgs a, int rows) {
        if (rows == 0) return;
        if (fuse && fuseActivation(a, rows)) return;
        flushPending();
        ClBuffer g = f32buf(a.gate(), "gate", rows);
        ClBuffer u = f32buf(a.up(), "up", rows);
        ClBuffer o = f32buf(a.out(), "activation out", rows);
        int cols = a.out().cols();
        int act = switch (a.activation()) {
            case SILU -> 0;
            case GELU_TANH -> 1;
        };
        site("misc", "gated_act", a).begin()
                .view(g, a.gate())
                .view(u, a.up())
                .view(o, a.out()).i(cols).i(rows).i(act)
                .run(queue, roundUp(cols, 64), rows, 64, 1);
    }

    @Override
    public void add(AddArgs a, int rows) {
        flushPending();
        if (rows == 0) return;
        ClBuffer x = f32buf(a.a(), "add a", rows);
        ClBuffer y = f32buf(a.b(), "add b", rows);
        ClBuffer o = f32buf(a.out(), "add out", rows);
        int cols = a.out().cols();
        site("misc", "add", a).begin()
                .view(x, a.a())
                .view(y, a.b())
                .view(o, a.out()).i(cols).i(rows)
                .run(queue, roundUp(cols, 64), rows, 64, 1);
    }

    @Override
    public void gatherRows(GatherRowsArgs a, int rows) {
        flushPending();
        if (rows == 0) return;
        ClBuffer s = f32buf(a.src(), "gather src", a.src().rows());
        ClBuffer idx = i32buf(a.indices(), "gather indices", rows);
        ClBuffer o = f32buf(a.out(), "gather out", rows);
        int cols = a.out().cols();
        site("misc", "gather_rows", a).begin()
                .view(s, a.src()).i(a.src().rows())
                .view(idx, a.indices())
                .view(o, a.out()).i(cols).i(rows)
                .run(queue, roundUp(cols, 64), rows, 64, 1);
    }

    @Override
    public void argmax(ArgmaxArgs a, int rows) {
        flushPending();
        if (rows == 0) return;
        ClBuffer x = f32buf(a.x(), "argmax x", rows);
        ClBuffer o = i32buf(a.out(), "argmax out", rows);
        site("misc", "argmax_rows", a).begin()
                .view(x, a.x()).i(a.x().cols())
                .view(o, a.out())
                .run(queue, 256, rows, 256, 1);
    }

    @Override
    public void softCap(SoftCapArgs a, int rows) {
        flushPending();
        if (rows == 0) return;
        ClBuffer x = f32buf(a.x(), "softcap x", rows);
        int cols = a.x().cols();
        site("misc", "softcap", a).begin()
                .view(x, a.x()).f(a.cap()).i(cols).i(rows)
                .run(queue, roundUp(cols, 64), rows, 64, 1);
    }

    @Override
    public void attention(AttentionArgs a, PreparedBatch prepared) {
        ClPreparedBatch pb = prepared instanceof ClPreparedBatch p && p.owner == this ? p : null;
        if (pb == null) {
            try (PreparedBatch own = prepare(prepared.layout())) {
                attention(a, own);
            }
            return;
        }
        int rows = pb.layout.rows();
        if (rows == 0) return;
        if (!(a.cache() instanceof ClKvCache cache) || cache.k[0].owner != this) {
            throw new IllegalArgumentException("KV cache was not allocated by this opencl backend");
        }
        ClBuffer q = f32buf(a.q(), "attention q", rows);
        ClBuffer k = f32buf(a.k(), "attention k", rows);
        ClBuffer v = f32buf(a.v(), "attention v", rows);
        ClBuffer out = f32buf(a.out(), "attention out", rows);
        String program = "attention-" + dtypeCode(cache.spec().dtype());
        int hd = a.headDim();
        int vd = a.vHeadDim();
        int kw = a.kvHeads() * hd;
        int vw = a.kvHeads() * vd;
        ClBuffer kc = cache.k[a.layer()];
        ClBuffer vc = cache.v[a.layer()];
        RopeArgs r = deferred.rope;
        boolean ropeFits = r != null && deferred.ropeRows == rows && r.q().equals(a.q()) && r.k().equals(a.k())
                && r.headDim() == hd && r.kHeads() == a.kvHeads() && !overlaps(a.v(), a.q(), a.k());
        int keysAll = a.slidingWindow() > 0 ? Math.min(a.slidingWindow(), pb.maxKeys) : pb.maxKeys;
        int kvBytes = cache.spec().dtype().bytes();
        if (splitDecode && !decodeAttention && attentionSplit == 0 && (r == null || deferred.linear == null)
                && ClSplitAttention.applies(a, pb, keysAll, decodeMaxKeys, device.localMem(), kvBytes)
                && !overlaps(a.out(), a.q(), a.k()) && !overlaps(a.out(), a.v()) && !overlaps(a.v(), a.q(), a.k())) {
            // the RoPE (when it is this attention's) and the KV store run inside the kernel
            RopeArgs fused = ropeFits && r.qHeads() == a.heads() ? r : null;
            if (fused != null) deferred.rope = null;
            flushPending();
            splitDecodeAttention(a, pb, fused, q, k, v, out, kc, vc, keysAll, kvBytes);
            return;
        }
        boolean decode = decodeAttention && attentionSplit == 0
                && ClDecodeAttention.applies(a, pb, keysAll, decodeMaxKeys, device.maxWorkGroup(), decodeWarps);
        ClKernel decodeKernel = null;
        if (decode) {
            String dp = ClDecodeAttention.program(dtypeCode(cache.spec().dtype()), decodeWarps, a.heads() / a.kvHeads(), vd,
                    hd);
            try {
                decodeKernel = site(dp, "attention_d", a);
            } catch (ClException e) {
                // a driver that cannot build it: the split kernels from now on
                LOG.warning("decode attention kernel unavailable, using the split kernel: " + e.getMessage());
                programFlags.put(dp, "unavailable");
                decodeAttention = false;
                decode = false;
            }
        }
        // the decode kernel stores the new k/v (and rotates q/k) itself where one work-group covers a kv head,
        // and out is apart from q|k|v (other work-groups read those while it is written); a decode linear
        // deferred with the RoPE keeps its GEMV-epilogue path (opencl.fuseRope)
        if (decode && decodeAttentionRope && ClDecodeAttention.headBlocks(a) == 1 && (r == null || (ropeFits && r.qHeads() == a.heads()
                && deferred.linear == null)) && !overlaps(a.out(), a.q(), a.k()) && !overlaps(a.out(), a.v())
                && !overlaps(a.v(), a.q(), a.k())) {
            deferred.rope = null;
            flushPending();
            ClDecodeAttention.launch(decodeKernel, queue, a, pb, q, k, v, out, kc, vc, true, r,
                    r == null ? dummy : i32buf(r.positions(), "rope positions", rows),
                    r == null ? dummy : ropeFrequencies(r.rope()), decodeWarps);
            return;
        }
        if (ropeFits) {
            deferred.rope = null;
            int half = r.rope().rotaryDim() / 2;
            ClBuffer pos = i32buf(r.positions(), "rope positions", rows);
            LinearArgs l = deferred.linear;
            if (l != null) {
                // the deferred linear (it came before the RoPE) with the RoPE and KV store as its epilogue
                deferred.linear = null;
                String lp = "linrope-" + weight(l.weight()).code() + "-" + dtypeCode(cache.spec().dtype());
                ClKernel kr = ropeKvStoreArgs(gemvw(l, rows, lp, "gemvw_rope"), a, r, q, k, v, pos, kc, vc, pb, hd, vw)
                        .mem(gemvCounters).i(0);
                launchGemvw(kr, l, false);
            } else {
                int items = half * r.qHeads() + (hd - half) * r.kHeads() + vw;
                ropeKvStoreArgs(site(program, "rope_kv_store", a).begin(), a, r, q, k, v, pos, kc, vc, pb, hd, vw).i(rows)
                        .run(queue, roundUp(items, 64), rows, 64, 1);
            }
        } else {
            flushPending();
            site(program, "kv_store", a).begin()
                    .view(k, a.k())
                    .view(v, a.v())
                    .mem(kc).mem(vc).mem(pb.table).i(pb.newSlotsOff).i(kw).i(vw).i(rows)
                    .run(queue, roundUp(Math.max(kw, vw), 64), rows, 64, 1);
        }

        if (decode) {
            ClDecodeAttention.launch(decodeKernel, queue, a, pb, q, k, v, out, kc, vc, false, null,
                    dummy, dummy, decodeWarps);
            return;
        }
        pagedAttention.launch(this, program, a, pb, q, out, kc, vc, attentionScratch, dummy);
    }

    private void splitDecodeAttention(AttentionArgs a, ClPreparedBatch pb, RopeArgs rope, ClBuffer q, ClBuffer k,
                                      ClBuffer v, ClBuffer out, ClBuffer kc, ClBuffer vc, int keys, int kvBytes) {
        int rows = pb.layout.rows();
        int hb = ClSplitAttention.headsPerGroup(a.heads() / a.kvHeads());
        long rowHeads = (long) rows * a.kvHeads();
        // H100, bs=1, ~530 keys, with the merge's loads in flight together: 32 keys a split (136
        // work-groups) 0.212 ms/step, 16 (272) 0.241, 64 (72) 0.223; bs >= 16 keeps 64
        long target = attentionTarget > 0 ? attentionTarget : device.computeUnits();
        int sl = ClSplitAttention.splitKeys(decodeSplitKeys, rowHeads, keys, target, a.headDim(), a.vHeadDim(), kvBytes,
                hb, device.localMem());
        int nsplit = (keys + sl - 1) / sl;
        ClBuffer part = dummy;
        if (nsplit > 1) {
            part = attentionScratch.partials(4L * rows * a.heads() * nsplit * (a.vHeadDim() + 2));
            attentionScratch.counters(rowHeads);
        }
        String program = ClSplitAttention.program(dtypeCode(a.cache().spec().dtype()), a.headDim(), a.vHeadDim(), hb, sl,
                decodeMergeBatch);
        ClBuffer pos = rope == null ? dummy : i32buf(rope.positions(), "rope positions", rows);
        ClBuffer freqs = rope == null ? dummy : ropeFrequencies(rope.rope());
        ClSplitAttention.launch(site(program, "attention_s", a), queue, a, pb, sl, q, k, v, out, kc, vc, part,
                attentionScratch.counters(), rope, pos, freqs, nsplit);
    }

    /** Rotated pairs per head up to which RoPE can be a GEMV epilogue (GW_MAXP in gemvw.cl). */
    private static final int ROPE_EPILOGUE_MAX_PAIRS = 256;

    /** Whether view a's byte range in its buffer overlaps b's or c's (same buffer only). */
    private static boolean overlaps(Tensor a, Tensor b, Tensor c) {
        return overlaps(a, b) || overlaps(a, c);
    }

    private static boolean overlaps(Tensor a, Tensor b) {
        if (a.buffer() != b.buffer()) return false;
        // the columns of one row: the fused q|k|v output keeps v beside q and k, never on them
        long a0 = a.offset();
        long b0 = b.offset();
        if (a.rowStride() == b.rowStride()) return a0 < b0 + b.cols() && b0 < a0 + a.cols();
        return true;
    }

    /**
     * Sums a freshly allocated (zero-filled) buffer of {@code bytes} with 16-byte loads from 16
     * work-groups of 256 threads per compute unit; best of 5 timed passes after a warm-up, in GB/s.
     */
    @Override
    public java.util.OptionalDouble measureReadBandwidth(long bytes) {
        flushPending();
        long size = Math.min(Math.max(bytes, 1L << 20), device.maxAlloc()) & ~15L;
        ClBuffer buf = createBuffer(size);
        ClBuffer sink = createBuffer(4L * 16 * device.computeUnits());
        try {
            fill(buf, 0, buf.byteSize());
            ClKernel k = kernel("attention-0", "read_probe");
            long groups = 16L * device.computeUnits();
            double best = Double.MAX_VALUE;
            for (int pass = 0; pass < 6; pass++) {
                synchronize();
                long t0 = System.nanoTime();
                k.begin().mem(buf).l(size / 16).mem(sink).run(queue, groups * 256, 256);
                synchronize();
                long dt = System.nanoTime() - t0;
                if (pass > 0) best = Math.min(best, dt);
            }
            return java.util.OptionalDouble.of(size / best);
        } finally {
            buf.close();
            sink.close();
        }
    }

    // ------------------------------------------------------------------ lifecycle

    private void checkOpen() {
        if (closed) throw new IllegalStateException("opencl backend is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        try {
            synchronize();
        } finally {
            closed = true;
            kernels.values().forEach(ClKernel::release);
            kernels.clear();
            sites.values().forEach(ClKernel::release);
            sites.clear();
            tablePool.forEach(ClBuffer::close);
            tablePool.clear();
            ropeFreqsByValue.values().forEach(ClBuffer::close);
            ropeFreqsByValue.clear();
            ropeFreqs.clear();
            if (splitPartials != null) splitPartials.close();
            gemvCounters.close();
            attentionScratch.close();
            dummy.close();
            try {
                int ignored = (int) Cl.clReleaseCommandQueue.invokeExact(queue);
            } catch (Throwable t) {
                LOG.warning("clReleaseCommandQueue: " + t);
            }
            arena.close();
        }
    }

    /**
     * The arguments that the GEMV epilogue {@code gemvw_rope} and the kernel {@code rope_kv_store}
     * take alike, in their order: the q, k and v views with their head counts, the positions, the
     * RoPE (frequencies, attention scale, rotated pairs, head dim, interleaving), then the KV pools,
     * the slot table and the new rows' slots.
     */
    private ClKernel ropeKvStoreArgs(ClKernel kernel, AttentionArgs a, RopeArgs r, ClBuffer q, ClBuffer k, ClBuffer v,
                                     ClBuffer pos, ClBuffer kc, ClBuffer vc, ClPreparedBatch pb, int hd, int vw) {
        return kernel.view(q, a.q()).i(r.qHeads())
                .view(k, a.k()).i(r.kHeads())
                .view(v, a.v())
                .view(pos, r.positions())
                .mem(ropeFrequencies(r.rope())).f((float) r.rope().attentionScale()).i(r.rope().rotaryDim() / 2).i(hd)
                .i(ClFusedRope.interleaved(r.rope()))
                .mem(kc).mem(vc).mem(pb.table).i(pb.newSlotsOff).i(vw);
    }
}
