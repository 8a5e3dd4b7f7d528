package io.jsgl.backend.amx;

import io.jsgl.cpu.kernels.Convert;
import io.jsgl.cpu.kernels.Views;
import io.jsgl.cpu.kernels.WorkerPool;
import io.jsgl.spi.DType;
import io.jsgl.spi.HostTensor;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.host.Numerics;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Turns a {@link WeightSpec} into this backend's weights, once at load: norm vectors and biases to
 * f32, embedding tables copied as they are, linear weights gathered row by row into a plain
 * {@code [N][K]} buffer of the compute type (bf16, f32, or int8 with per-channel scales) and then
 * reordered by oneDNN into its blocked layout. The plain buffer is freed right after.
 */
final class WeightPacker {
    /** Never started: asks whether a segment may be read by threads other than its owner. */
    private static final Thread OTHER_THREAD = new Thread(() -> { });
    private final WorkerPool pool;
    private final DnnlMatmul dnnl;
    private final boolean int8;

    WeightPacker(WorkerPool pool, DnnlMatmul dnnl, boolean int8) {
        this.pool = pool;
        this.dnnl = dnnl;
        this.int8 = int8;
    }

    Weight load(WeightSpec spec) {
        DType dtype = spec.dtype();
        if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32) {
            throw new IllegalArgumentException("weight " + spec.name() + ": unsupported dtype " + dtype
                    + " (cpu-amx loads F32, F16 and BF16 weights)");
        }
        return switch (spec.use()) {
            case VECTOR -> vector(spec, dtype);
            case EMBEDDING -> embedding(spec, dtype);
            case LINEAR -> linear(spec, dtype, kindFor(spec, dtype));
        };
    }

    /**
     * bf16 weights compute in bf16; f32 and f16 weights in f32 (nothing is rounded they did not
     * already have); with {@code quantization=w8a8_int8} every linear weight but the LM head is int8.
     */
    MatKind kindFor(WeightSpec spec, DType dtype) {
        if (isRouter(spec.name())) return MatKind.F32;
        if (int8 && !isHead(spec.name())) return MatKind.S8;
        return dtype == DType.BF16 ? MatKind.BF16 : MatKind.F32;
    }

    /**
     * SGLang's w8a8_int8 leaves the LM head (and a tied embedding used as one) unquantized, and MoE
     * routers ({@code ...mlp.gate.weight}, {@code shared_expert_gate}): int8 router logits could pick
     * other experts.
     */
    static boolean isHead(String name) {
        return name.contains("lm_head") || name.contains("embed_tokens") || name.contains("wte");
    }

    /**
     * MoE routers ({@code ...mlp.gate.weight}, {@code block_sparse_moe.gate.weight},
     * {@code shared_expert_gate.weight}, or named {@code router}) multiply in f32 whatever the
     * checkpoint dtype or quantization: they are tiny ({@code experts x hidden}), and logits rounded
     * through bf16 or int8 activations flip near-tied expert choices, which changes a row's output
     * wholesale rather than by a rounding error.
     */
    static boolean isRouter(String name) {
        return name.endsWith(".gate.weight") || name.contains("shared_expert_gate") || name.equals("router")
                || name.endsWith(".router.weight");
    }

    private static VectorWeight vector(WeightSpec spec, DType dtype) {
        VectorWeight w = new VectorWeight(spec.name(), dtype, Math.toIntExact(spec.cols()));
        long at = 0;
        for (HostTensor part : spec.parts()) {
            int n = Math.toIntExact(part.numel());
            Convert.toF32(part.data(), dtype, 0, w.data, 4 * at, n, 1f);
            at += n;
        }
        return w;
    }

    private static EmbeddingTable embedding(WeightSpec spec, DType dtype) {
        EmbeddingTable t = new EmbeddingTable(spec.name(), dtype, spec.rows(), spec.cols());
        long at = 0;
        for (HostTensor part : spec.parts()) {
            MemorySegment.copy(part.data(), 0, t.data, at, part.data().byteSize());
            at += part.data().byteSize();
        }
        return t;
    }

    PackedLinear linear(WeightSpec spec, DType dtype, MatKind kind) {
        int n = Math.toIntExact(spec.rows());
        int k = Math.toIntExact(spec.cols());
        MemorySegment md = Dnnl.mdClone(dnnl.layout(kind, k, n));
        BlockedLayout layout = BlockedLayout.parse(md, kind.vnni);
        PackedLinear w = new PackedLinear(spec.name(), dtype, spec.use(), n, k, kind, md, layout);
        List<HostTensor> parts = spec.parts();
        long[] partStart = new long[parts.size() + 1];
        for (int i = 0; i < parts.size(); i++) partStart[i + 1] = partStart[i] + parts.get(i).rows();
        try (Arena tmp = Arena.ofShared()) {
            MemorySegment plain = tmp.allocate((long) n * k * kind.bytes, 64);
            int chunks = Views.chunks(n, k, 1 << 16, pool.threads());
            io.jsgl.cpu.kernels.ParallelTask task = (c, worker) -> {
                float[] row = kind == MatKind.S8 ? new float[k] : null;
                MemorySegment rowSeg = row == null ? null : MemorySegment.ofArray(row);
                int r1 = Views.chunkStart(c + 1, chunks, n);
                for (int r = Views.chunkStart(c, chunks, n); r < r1; r++) {
                    int p = 0;
                    while (partStart[p + 1] <= r) p++;
                    MemorySegment src = parts.get(p).data();
                    long srcIndex = (r - partStart[p]) * k;
                    switch (kind) {
                        case BF16 -> toBf16Row(src, dtype, srcIndex, plain, 2L * r * k, k);
                        case F32 -> Convert.toF32(src, dtype, srcIndex, plain, 4L * r * k, k, 1f);
                        case S8 -> {
                            Convert.toF32(src, dtype, srcIndex, rowSeg, 0, k, 1f);
                            w.scales.setAtIndex(ValueLayout.JAVA_FLOAT, r, quantizeRow(row, plain, (long) r * k));
                        }
                    }
                }
            };
            // a confined host segment (a caller's own arena) can only be read by this thread
            boolean shared = parts.stream().allMatch(t -> t.data().isAccessibleBy(OTHER_THREAD));
            if (shared) {
                pool.run(chunks, task);
            } else {
                for (int c = 0; c < chunks; c++) task.run(c, 0);
            }
            dnnl.reorderInto(plain, w);
        }
        return w;
    }

    private static void toBf16Row(MemorySegment src, DType dtype, long srcIndex, MemorySegment dst, long dstByte,
                                  int k) {
        switch (dtype) {
            case BF16 -> MemorySegment.copy(src, 2 * srcIndex, dst, dstByte, 2L * k);
            case F32 -> Convert.f32ToBf16(src, 4 * srcIndex, dst, dstByte, k);
            default -> {
                for (int i = 0; i < k; i++) {
                    dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, dstByte + 2L * i,
                            Numerics.floatToBf16(Numerics.read(src, dtype, srcIndex + i)));
                }
            }
        }
    }

    /** Symmetric per-channel int8: returns the scale {@code absmax / 127} and writes {@code rint(v / scale)}. */
    static float quantizeRow(float[] row, MemorySegment dst, long dstByte) {
        float absmax = 0;
        for (float v : row) absmax = Math.max(absmax, Math.abs(v));
        float scale = absmax > 0 ? absmax / 127f : 1f;
        for (int i = 0; i < row.length; i++) {
            float q = (float) Math.rint(row[i] / scale);
            dst.set(ValueLayout.JAVA_BYTE, dstByte + i, (byte) Math.max(-127, Math.min(127, q)));
        }
        return scale;
    }
}
