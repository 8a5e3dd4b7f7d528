package io.jsgl.backend.avx512;

import static io.jsgl.backend.avx512.Harness.F32_TOL;
import static io.jsgl.backend.avx512.Harness.assertClose;
import static io.jsgl.backend.avx512.Harness.assertEqual;
import static io.jsgl.backend.avx512.Harness.read;
import static io.jsgl.backend.avx512.Harness.assertOutsideEqual;

import io.jsgl.spi.DType;
import io.jsgl.spi.HostTensor;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.op.EmbeddingArgs;
import io.jsgl.spi.op.LinearArgs;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Linear layers (GEMV for up to 4 rows, GEMM beyond) and embeddings against the reference. */
class LinearTest {

    /**
     * rows cover GEMV (1..4), the bf16 batch GEMV (5, 8, 13, 16, 32: one partial group, whole
     * groups, the largest batch) and GEMM (37: several tiles, and 5..32 for f16/f32 weights).
     */
    private static final int[] ROWS = {1, 2, 3, 4, 5, 8, 13, 16, 32, 37};

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16", "F32"})
    void matchesReferenceOverAwkwardShapes(DType dtype) {
        try (Harness h = new Harness(1)) {
            // in: below a vector, odd (bf16 batches of 5..32 then go to the GEMM), and past the 256-deep
            // k block; out: within, at and past a 32-row panel
            int[][] shapes = {{17, 31}, {64, 33}, {300, 70}, {100, 5}};
            for (int[] s : shapes) {
                int in = s[0], out = s[1];
                var w = h.matrix("w", dtype, out, in);
                var bias = h.vector("b", dtype, out, 1f);
                for (int rows : ROWS) {
                    for (boolean withBias : new boolean[] {false, true}) {
                        var x = h.tensor(rows, in, 3);
                        var y = h.tensor(rows, out, 5);
                        h.ref.linear(new LinearArgs(x.ref(), w.ref(), withBias ? bias.ref() : null, y.ref()), rows);
                        h.fast.linear(new LinearArgs(x.fast(), w.fast(), withBias ? bias.fast() : null, y.fast()), rows);
                        String what = dtype + " " + rows + "x" + in + " -> " + out + (withBias ? " +bias" : "");
                        assertClose(read(h.ref, y.ref(), rows), read(h.fast, y.fast(), rows), F32_TOL, what);
                        // the padding columns of the strided output view are untouched
                        assertOutsideEqual(h.ref, y.ref(), h.fast, y.fast(), rows, what + " outside the view");
                    }
                }
            }
        }
    }

    @Test
    void fusedPartsStackAlongRows() {
        try (Harness h = new Harness(2)) {
            int in = 48;
            HostTensor q = h.host("q", DType.BF16, 1f, 40, in);
            HostTensor k = h.host("k", DType.BF16, 1f, 8, in);
            HostTensor v = h.host("v", DType.BF16, 1f, 8, in);
            var w = h.weight(new WeightSpec("qkv", List.of(q, k, v), WeightUse.LINEAR));
            var bias = h.weight(new WeightSpec("qkv.bias",
                    List.of(h.host("qb", DType.BF16, 1f, 40), h.host("kb", DType.BF16, 1f, 8), h.host("vb", DType.BF16, 1f, 8)),
                    WeightUse.VECTOR));
            for (int rows : new int[] {1, 3, 20}) {
                var x = h.tensor(rows, in, 0);
                var y = h.tensor(rows, 56, 0);
                h.ref.linear(new LinearArgs(x.ref(), w.ref(), bias.ref(), y.ref()), rows);
                h.fast.linear(new LinearArgs(x.fast(), w.fast(), bias.fast(), y.fast()), rows);
                assertClose(read(h.ref, y.ref(), rows), read(h.fast, y.fast(), rows), F32_TOL, "fused qkv rows=" + rows);
            }
        }
    }

    @Test
    void largerGemmSpansManyPanelsAndTiles() {
        try (Harness h = new Harness(3, 2)) {
            int rows = 50, in = 520, out = 200;
            var w = h.matrix("w", DType.BF16, out, in);
            var x = h.tensor(rows, in, 0);
            var y = h.tensor(rows, out, 0);
            h.ref.linear(new LinearArgs(x.ref(), w.ref(), null, y.ref()), rows);
            h.fast.linear(new LinearArgs(x.fast(), w.fast(), null, y.fast()), rows);
            assertClose(read(h.ref, y.ref(), rows), read(h.fast, y.fast(), rows), F32_TOL, "gemm 50x520x200");
        }
    }

    /**
     * Past one k block (1024) and one row block (16 tiles of 12): later k blocks add into what the
     * first stored, and every row block widens the weight block again, in the first tile's kernel
     * for bf16. The last tile (200 = 16 * 12 + 8) and the last panel (70 = 2 * 32 + 6) are partial.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F32"})
    void gemmSpansKBlocksAndRowBlocks(DType dtype) {
        try (Harness h = new Harness(9, 2)) {
            int rows = 200, in = 1100, out = 70;
            var w = h.matrix("w", dtype, out, in);
            var bias = h.vector("b", DType.F32, out, 1f);
            var x = h.tensor(rows, in, 2);
            var y = h.tensor(rows, out, 0);
            h.ref.linear(new LinearArgs(x.ref(), w.ref(), bias.ref(), y.ref()), rows);
            h.fast.linear(new LinearArgs(x.fast(), w.fast(), bias.fast(), y.fast()), rows);
            assertClose(read(h.ref, y.ref(), rows), read(h.fast, y.fast(), rows), F32_TOL, dtype + " gemm 200x1100x70");
        }
    }

    @Test
    void longPrefillGoesInRowBatches() {
        try (Harness h = new Harness(5, 2)) {
            int rows = 800, in = 20, out = 40; // past the 768-row packing batch
            var w = h.matrix("w", DType.BF16, out, in);
            var bias = h.vector("b", DType.F32, out, 1f);
            var x = h.tensor(rows, in, 1);
            var y = h.tensor(rows, out, 0);
            h.ref.linear(new LinearArgs(x.ref(), w.ref(), bias.ref(), y.ref()), rows);
            h.fast.linear(new LinearArgs(x.fast(), w.fast(), bias.fast(), y.fast()), rows);
            assertClose(read(h.ref, y.ref(), rows), read(h.fast, y.fast(), rows), F32_TOL, "gemm 800x20x40");
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16", "F32"})
    void embeddingIsExactAndServesAsTiedHead(DType dtype) {
        try (Harness h = new Harness(4)) {
            int vocab = 70, hidden = 37;
            var table = h.weight(WeightSpec.of(h.host("embed", dtype, 1f, vocab, hidden), WeightUse.EMBEDDING));
            var ids = h.ints(0, 69, 31, 32, 33, 5, 5);
            var out = h.tensor(7, hidden, 2);
            h.ref.embedding(new EmbeddingArgs(table.ref(), ids.ref(), out.ref(), 1.5f), 7);
            h.fast.embedding(new EmbeddingArgs(table.fast(), ids.fast(), out.fast(), 1.5f), 7);
            assertEqual(read(h.ref, out.ref(), 7), read(h.fast, out.fast(), 7), "embedding " + dtype);

            var logits = h.tensor(7, vocab, 0);
            h.ref.linear(new LinearArgs(out.ref(), table.ref(), null, logits.ref()), 7);
            h.fast.linear(new LinearArgs(out.fast(), table.fast(), null, logits.fast()), 7);
            assertClose(read(h.ref, logits.ref(), 7), read(h.fast, logits.fast(), 7), F32_TOL, "tied head " + dtype);
        }
    }
}
