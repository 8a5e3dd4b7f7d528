package io.jsgl.backend.amx;

import static java.lang.foreign.ValueLayout.ADDRESS;

import io.jsgl.cpu.kernels.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * oneDNN matmul primitives for one backend: a CPU engine and stream, the blocked weight layout
 * chosen per (kind, K, N), and a cache of primitives per call shape. A primitive is created the
 * first time a shape is seen (oneDNN JIT-compiles its brgemm kernels then) and reused after; the
 * memory objects it runs on are created once too and re-pointed at each call's buffers, so a call
 * costs a handful of FFM downcalls besides the math.
 *
 * <p>Weights are reordered with the layout oneDNN picks ({@code format_tag any}) for a prefill-sized
 * M ({@link #LAYOUT_M}); primitives for other M reuse that layout. Scratchpads are user-managed: one
 * buffer per backend, grown to the largest primitive's need, since one thread drives a backend.
 */
final class DnnlMatmul implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DnnlMatmul.class.getName());
    /** M the weight layout is chosen for: a prefill chunk. */
    static final int LAYOUT_M = 512;
    /** Primitives kept (LRU); each is small, its kernels are shared inside oneDNN. */
    private static final int MAX_PRIMITIVES = 512;

    final MemorySegment engine;
    final MemorySegment stream;
    final int threads;
    /** Columns of N per oneDNN call for wide weights (0 = one call); see {@link #sliceColumns}. */
    final int nSlice;
    /** Weights at most this many bytes are never sliced. */
    final long sliceMinBytes;
    /**
     * When set, sliced prefill matmuls run on this Java pool instead of OpenMP: each worker runs
     * single-threaded oneDNN calls on whole slices of N ({@code amx.gemm-driver=java}).
     */
    private final WorkerPool javaPool;
    /** Java driver: rows of M per oneDNN call (0 = all), so a worker's weight slice stays in L2 across calls. */
    private final int mChunk;
    /** Java driver: parts of M per slice, each its own task (0 = planned; see {@link GemmTiling}). */
    private final int mParts;
    /**
     * Per call shape, one single-threaded primitive per Java worker (created on that worker); LRU
     * like {@link #prims}, since every new prefill length is a new shape.
     */
    private final ClosingLru<PrimKey, WorkerPrims> workerPrims = new ClosingLru<>(MAX_PRIMITIVES / 4);

    /** A shape's single-threaded primitives, one slot per worker. */
    private record WorkerPrims(PrimKey key, Prim[] per) implements AutoCloseable {
        @Override
        public void close() {
            for (Prim p : per) if (p != null) p.close();
        }
    }

    private record LayoutKey(MatKind kind, int k, int n) {}

    private record PrimKey(MatKind kind, int m, int k, int n, int srcStride, int dstStride, boolean bias) {}

    private final Map<LayoutKey, MemorySegment> layouts = new HashMap<>();
    /** Per (kind, K, slice columns): whether a slice of a packed weight is itself a packed weight. */
    private final Map<LayoutKey, Boolean> sliceable = new HashMap<>();
    private final ClosingLru<PrimKey, Prim> prims = new ClosingLru<>(MAX_PRIMITIVES);

    private Arena scratchArena;
    private MemorySegment scratch = MemorySegment.NULL;
    private boolean closed;

    DnnlMatmul(int threads) {
        this(threads, 0, Long.MAX_VALUE, null, 0, 0);
    }

    DnnlMatmul(int threads, int nSlice, long sliceMinBytes, WorkerPool javaPool, int mChunk, int mParts) {
        this.threads = threads;
        this.mChunk = mChunk;
        this.mParts = mParts;
        this.nSlice = nSlice;
        this.sliceMinBytes = sliceMinBytes;
        this.javaPool = javaPool;
        Dnnl.ompSetNumThreads(threads);
        this.engine = Dnnl.engineCreate();
        this.stream = Dnnl.streamCreate(engine);
    }

    /** A new attribute for {@code kind}: user scratchpad; per-N weight scales for S8. */
    private static MemorySegment attr(MatKind kind) {
        MemorySegment attr = Dnnl.attrCreate();
        Dnnl.attrScratchpadUser(attr);
        if (kind == MatKind.S8) Dnnl.attrScalesMask(attr, Dnnl.ARG_WEIGHTS, 1 << 1);
        return attr;
    }

    static MemorySegment plainMd(long rows, long cols, int dt, long rowStride) {
        return Dnnl.mdStrides(new long[] {rows, cols}, dt, new long[] {rowStride, 1});
    }

    /** The blocked weights descriptor (owned by this object) oneDNN prefers for a [K, N] weight. */
    MemorySegment layout(MatKind kind, int k, int n) {
        return layouts.computeIfAbsent(new LayoutKey(kind, k, n), key -> {
            Dnnl.ompSetNumThreads(threads);
            MemorySegment src = plainMd(LAYOUT_M, k, kind.dnnl, k);
            MemorySegment wei = Dnnl.mdTag(new long[] {k, n}, kind.dnnl, Dnnl.TAG_ANY);
            MemorySegment dst = plainMd(LAYOUT_M, n, Dnnl.F32, n);
            MemorySegment attr = attr(kind);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(ADDRESS);
                Dnnl.check(Dnnl.matmulPd(out, engine, src, wei, MemorySegment.NULL, dst, attr),
                        "matmul " + kind + " [" + LAYOUT_M + "x" + k + "] x [" + k + "x" + n + "]");
                MemorySegment pd = out.get(ADDRESS, 0);
                MemorySegment md = Dnnl.mdClone(Dnnl.pdQueryMd(pd, Dnnl.QUERY_WEIGHTS_MD));
                Dnnl.pdDestroy(pd);
                return md;
            } finally {
                Dnnl.attrDestroy(attr);
                Dnnl.mdDestroy(src);
                Dnnl.mdDestroy(wei);
                Dnnl.mdDestroy(dst);
            }
        });
    }

    /** Reorders plain row-major {@code [N][K]} weights (oneDNN {@code [K, N]} with strides {1, K}) into {@code w.data}. */
    void reorderInto(MemorySegment plain, PackedLinear w) {
        Dnnl.ompSetNumThreads(threads);
        MemorySegment srcMd = Dnnl.mdStrides(new long[] {w.k, w.n}, w.kind.dnnl, new long[] {1, w.k});
        MemorySegment pd = Dnnl.reorderPd(srcMd, w.md, engine, MemorySegment.NULL);
        MemorySegment prim = MemorySegment.NULL;
        MemorySegment from = MemorySegment.NULL;
        MemorySegment to = MemorySegment.NULL;
        try (Arena a = Arena.ofConfined()) {
            prim = Dnnl.primitiveCreate(pd);
            from = Dnnl.memoryCreate(srcMd, engine, plain);
            to = Dnnl.memoryCreate(w.md, engine, w.data);
            MemorySegment args = a.allocate(2 * Dnnl.EXEC_ARG_BYTES, 8);
            Dnnl.setArg(args, 0, Dnnl.ARG_FROM, from);
            Dnnl.setArg(args, 1, Dnnl.ARG_TO, to);
            Dnnl.execute(prim, stream, 2, args);
            Dnnl.streamWait(stream);
        } finally {
            Dnnl.memoryDestroy(from);
            Dnnl.memoryDestroy(to);
            Dnnl.primitiveDestroy(prim);
            Dnnl.pdDestroy(pd);
            Dnnl.mdDestroy(srcMd);
        }
    }

    /**
     * {@code dst[M, N] = src[M, K] x W (+ bias)}: src rows {@code srcStride} elements apart in the
     * kind's dtype, dst f32 rows {@code dstStride} apart; for S8 the weight scales are applied
     * (activation scales are the caller's).
     */
    void run(PackedLinear w, MemorySegment src, int srcStride, int m, MemorySegment dst, int dstStride,
             MemorySegment bias) {
        if (closed) throw new IllegalStateException("backend closed");
        Dnnl.ompSetNumThreads(threads);
        GemmTiling tiling = tiling(w, m);
        if (tiling == null) {
            prim(new PrimKey(w.kind, m, w.k, w.n, srcStride, dstStride, bias != null), w.md)
                    .execute(src, w.data, dst, bias, w.scales);
            return;
        }
        // N in slices: each call's weights (K x cols) stay in the caches while its rows pass over them
        int cols = tiling.cols();
        MemorySegment sliceMd = layout(w.kind, w.k, cols);
        long sliceBytes = (long) w.kind.bytes * w.layout.strideN() * (cols / w.layout.nBlock());
        if (javaPool != null) {
            int rows = tiling.rows();
            int parts = tiling.parts(m);
            // a worker keeps its weight slice in L2 while it walks its part's rows in chunks of mChunk
            int chunk = mChunk > 0 ? Math.min(mChunk, rows) : rows;
            // the few call heights there are (full chunks, a part's tail, the last part's), made here:
            // the primitive sets' LRU is the caller's alone
            WorkerPrims[] byHeight = new WorkerPrims[chunk + 1];
            for (int p = 0; p < parts; p++) {
                int len = Math.min(rows, m - p * rows);
                for (int h : new int[] {Math.min(chunk, len), len % chunk}) {
                    if (h > 0 && byHeight[h] == null) {
                        byHeight[h] = workerPrims(new PrimKey(w.kind, h, w.k, cols, srcStride, dstStride, bias != null));
                    }
                }
            }
            long srcRowBytes = (long) w.kind.bytes * srcStride;
            long dstRowBytes = 4L * dstStride;
            javaPool.run(tiling.tasks(m, w.n), (task, worker) -> {
                int s = task / parts;
                int first = task % parts * rows;
                int end = Math.min(m, first + rows);
                long n0 = (long) s * cols;
                MemorySegment wSlice = w.data.asSlice(s * sliceBytes, sliceBytes);
                MemorySegment bSlice = bias == null ? null : bias.asSlice(4L * n0);
                MemorySegment sSlice = w.scales == null ? null : w.scales.asSlice(4L * n0);
                for (int m0 = first; m0 < end; m0 += chunk) {
                    Prim p = workerPrim(byHeight[Math.min(chunk, end - m0)], worker, sliceMd);
                    p.execute(src.asSlice(m0 * srcRowBytes), wSlice, dst.asSlice(m0 * dstRowBytes + 4L * n0),
                            bSlice, sSlice);
                }
            });
            Dnnl.ompSetNumThreads(threads); // the caller was worker 0
            return;
        }
        Prim p = prim(new PrimKey(w.kind, m, w.k, cols, srcStride, dstStride, bias != null), sliceMd);
        for (int n0 = 0, s = 0; n0 < w.n; n0 += cols, s++) {
            p.execute(src, w.data.asSlice(s * sliceBytes, sliceBytes), dst.asSlice(4L * n0),
                    bias == null ? null : bias.asSlice(4L * n0),
                    w.scales == null ? null : w.scales.asSlice(4L * n0));
        }
    }

    /** Worker {@code worker}'s single-threaded primitive of a shape, created on that worker at first use. */
    private Prim workerPrim(WorkerPrims set, int worker, MemorySegment sliceMd) {
        Prim p = set.per[worker];
        if (p == null) {
            Dnnl.ompSetNumThreads(1); // this thread's OpenMP setting: oneDNN runs on it alone
            p = set.per[worker] = new Prim(set.key, sliceMd, 1);
        }
        return p;
    }

    /** A shape's per-worker set; a set holds up to one primitive per worker, so fewer sets are kept. */
    private WorkerPrims workerPrims(PrimKey key) {
        return workerPrims.get(key, k -> new WorkerPrims(k, new Prim[javaPool.threads()]));
    }

    private Prim prim(PrimKey key, MemorySegment weightsMd) {
        return prims.get(key, k -> new Prim(k, weightsMd));
    }

    /** Columns of N per oneDNN call for {@code m} rows of {@code w} ({@code w.n}: one call); see {@link #tiling}. */
    int sliceColumns(PackedLinear w, int m) {
        GemmTiling t = tiling(w, m);
        return t == null ? w.n : t.cols();
    }

    /**
     * How a prefill-sized M over a weight larger than {@link #sliceMinBytes} is cut, or null for one
     * call. Slices need the packed layout N-block-outer, and the layout oneDNN picks for
     * {@code [K, cols]} exactly one slice of it (so a slice of the packed buffer is a packed weight
     * by itself). oneDNN hands each thread whole rows of M blocks against the whole weight, so a
     * 64 MiB gate_up is streamed from memory once per M block; sliced, it is read about once. On
     * OpenMP the slices are {@link #nSlice} wide and run one after another; the Java driver plans
     * slices and parts of M for its workers ({@link GemmTiling#plan}; {@link #nSlice} and
     * {@link #mParts} pin them).
     */
    GemmTiling tiling(PackedLinear w, int m) {
        // OpenMP-driven: bf16 only (int8 gate_up ran 2.8x slower in 1024-column slices than in one call)
        if (w.kind == MatKind.F32 || (w.kind == MatKind.S8 && javaPool == null)) return null;
        if (m < 64 || w.layout == null || w.layout.paddedN() != w.n) return null;
        if ((long) w.kind.bytes * w.k * w.n <= sliceMinBytes) return null;
        if (javaPool == null) {
            int cols = nSlice;
            if (cols <= 0 || cols >= w.n || w.n % cols != 0 || cols % w.layout.nBlock() != 0 || !sliceable(w, cols)) {
                return null;
            }
            return new GemmTiling(cols, m);
        }
        if (nSlice >= w.n) return null;
        return GemmTiling.plan(m, w.k, w.n, w.kind.bytes, w.layout.nBlock(), javaPool.threads(), nSlice, mParts,
                c -> sliceable(w, c));
    }

    private boolean sliceable(PackedLinear w, int cols) {
        BlockedLayout full = w.layout;
        return sliceable.computeIfAbsent(new LayoutKey(w.kind, w.k, cols), key -> {
            MemorySegment md = layout(key.kind(), key.k(), key.n());
            BlockedLayout sl = BlockedLayout.parse(md, key.kind().vnni);
            long kBlocks = full.paddedK() / full.kBlock();
            return sl != null && sl.kInner() == full.kInner() && sl.nBlock() == full.nBlock()
                    && sl.vnni() == full.vnni() && sl.strideK() == full.strideK() && sl.strideN() == full.strideN()
                    && sl.paddedK() == full.paddedK() && sl.paddedN() == key.n()
                    && full.strideN() == kBlocks * full.strideK()
                    && Dnnl.mdSize(md) == (long) key.kind().bytes * sl.strideN() * (key.n() / sl.nBlock());
        });
    }

    /** The implementation oneDNN runs for a shape, e.g. {@code brg_matmul:avx10_1_512_amx} (creates the primitive). */
    String implementation(PackedLinear w, int m) {
        PrimKey key = new PrimKey(w.kind, m, w.k, w.n, w.k, w.n, false);
        return prim(key, w.md).impl;
    }

    private MemorySegment scratchpad(long bytes) {
        if (bytes == 0) return MemorySegment.NULL;
        if (scratch.byteSize() < bytes) {
            if (scratchArena != null) scratchArena.close();
            scratchArena = Arena.ofShared();
            scratch = scratchArena.allocate(bytes, 64);
        }
        return scratch;
    }

    /** One primitive and the memory objects it runs on. */
    private final class Prim implements AutoCloseable {
        final MemorySegment pd;
        final MemorySegment prim;
        final String impl;
        final MemorySegment srcMem;
        final MemorySegment weiMem;
        final MemorySegment dstMem;
        final MemorySegment biasMem;
        final MemorySegment scalesMem;
        final MemorySegment scratchMem;
        final long scratchBytes;
        final Arena arena = Arena.ofShared();
        final MemorySegment args;
        final int nargs;

        /** Own scratchpad (a single-threaded primitive run concurrently with others), else null. */
        final MemorySegment ownScratch;

        Prim(PrimKey key, MemorySegment weightsMd) {
            this(key, weightsMd, threads);
        }

        Prim(PrimKey key, MemorySegment weightsMd, int nthr) {
            Dnnl.ompSetNumThreads(nthr);
            MemorySegment srcMd = plainMd(key.m, key.k, key.kind.dnnl, key.srcStride);
            MemorySegment dstMd = plainMd(key.m, key.n, Dnnl.F32, key.dstStride);
            MemorySegment biasMd = key.bias ? plainMd(1, key.n, Dnnl.F32, key.n) : MemorySegment.NULL;
            MemorySegment attr = attr(key.kind);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(ADDRESS);
                Dnnl.check(Dnnl.matmulPd(out, engine, srcMd, weightsMd, biasMd, dstMd, attr),
                        "matmul primitive " + key);
                pd = out.get(ADDRESS, 0);
                impl = Dnnl.pdImplInfo(pd);
                if (impl.startsWith("ref")) {
                    LOG.warning("oneDNN runs matmul " + key + " with its reference implementation " + impl
                            + " (slow): the packed weight layout does not suit this shape");
                }
                prim = Dnnl.primitiveCreate(pd);
                srcMem = Dnnl.memoryCreate(srcMd, engine, MemorySegment.NULL);
                weiMem = Dnnl.memoryCreate(weightsMd, engine, MemorySegment.NULL);
                dstMem = Dnnl.memoryCreate(dstMd, engine, MemorySegment.NULL);
                biasMem = key.bias ? Dnnl.memoryCreate(biasMd, engine, MemorySegment.NULL) : null;
                if (key.kind == MatKind.S8) {
                    MemorySegment sMd = Dnnl.mdStrides(new long[] {key.n}, Dnnl.F32, new long[] {1});
                    scalesMem = Dnnl.memoryCreate(sMd, engine, MemorySegment.NULL);
                    Dnnl.mdDestroy(sMd);
                } else {
                    scalesMem = null;
                }
                MemorySegment spMd = Dnnl.pdQueryMd(pd, Dnnl.QUERY_SCRATCHPAD_MD);
                scratchBytes = spMd.equals(MemorySegment.NULL) ? 0 : Dnnl.mdSize(spMd);
                scratchMem = scratchBytes > 0 ? Dnnl.memoryCreate(spMd, engine, MemorySegment.NULL) : null;
            } finally {
                Dnnl.attrDestroy(attr);
                Dnnl.mdDestroy(srcMd);
                Dnnl.mdDestroy(dstMd);
                Dnnl.mdDestroy(biasMd);
            }
            ownScratch = nthr != threads && scratchBytes > 0 ? arena.allocate(scratchBytes, 64) : null;
            args = arena.allocate(7 * Dnnl.EXEC_ARG_BYTES, 8);
            int n = 0;
            Dnnl.setArg(args, n++, Dnnl.ARG_SRC, srcMem);
            Dnnl.setArg(args, n++, Dnnl.ARG_WEIGHTS, weiMem);
            Dnnl.setArg(args, n++, Dnnl.ARG_DST, dstMem);
            if (biasMem != null) Dnnl.setArg(args, n++, Dnnl.ARG_BIAS, biasMem);
            if (scalesMem != null) Dnnl.setArg(args, n++, Dnnl.ARG_ATTR_SCALES | Dnnl.ARG_WEIGHTS, scalesMem);
            if (scratchMem != null) Dnnl.setArg(args, n++, Dnnl.ARG_SCRATCHPAD, scratchMem);
            nargs = n;
        }

        void execute(MemorySegment src, MemorySegment weights, MemorySegment dst, MemorySegment bias,
                     MemorySegment scales) {
            Dnnl.memorySetHandle(srcMem, src);
            Dnnl.memorySetHandle(weiMem, weights);
            Dnnl.memorySetHandle(dstMem, dst);
            if (biasMem != null) Dnnl.memorySetHandle(biasMem, bias);
            if (scalesMem != null) Dnnl.memorySetHandle(scalesMem, scales);
            if (scratchMem != null) {
                Dnnl.memorySetHandle(scratchMem, ownScratch != null ? ownScratch : scratchpad(scratchBytes));
            }
            Dnnl.execute(prim, stream, nargs, args);
        }

        @Override
        public void close() {
            Dnnl.memoryDestroy(srcMem);
            Dnnl.memoryDestroy(weiMem);
            Dnnl.memoryDestroy(dstMem);
            Dnnl.memoryDestroy(biasMem);
            Dnnl.memoryDestroy(scalesMem);
            Dnnl.memoryDestroy(scratchMem);
            Dnnl.primitiveDestroy(prim);
            Dnnl.pdDestroy(pd);
            arena.close();
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        prims.close();
        workerPrims.close();
        for (MemorySegment md : layouts.values()) Dnnl.mdDestroy(md);
        layouts.clear();
        Dnnl.streamDestroy(stream);
        Dnnl.engineDestroy(engine);
        if (scratchArena != null) scratchArena.close();
    }
}
