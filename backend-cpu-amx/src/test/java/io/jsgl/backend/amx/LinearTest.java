package io.jsgl.backend.amx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.jsgl.spi.DType;
import io.jsgl.spi.HostTensor;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.op.LinearArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Linear against the reference: every weight dtype, the Java GEMV and the oneDNN path, bf16 and W8A8. */
class LinearTest {

    record Shape(String label, int rows, int active, int in, int[] parts, boolean bias, int pad) {
        int out() {
            int n = 0;
            for (int p : parts) n += p;
            return n;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    static final List<Shape> SHAPES = List.of(
            new Shape("r1-k17-n33", 1, 1, 17, new int[] {33}, false, 0),
            new Shape("r3-k256-n100-bias", 3, 3, 256, new int[] {100}, true, 0),
            new Shape("r5-k64-n48-bias", 5, 5, 64, new int[] {48}, true, 0),
            new Shape("r33-k100-qkv-bias", 33, 33, 100, new int[] {64, 32, 33}, true, 0),
            new Shape("r64of70-k128-n96", 70, 64, 128, new int[] {96}, false, 0),
            new Shape("r7-k80-n40-strided", 7, 7, 80, new int[] {40}, false, 11),
            new Shape("r2-k4099-n16-longk", 2, 2, 4099, new int[] {16}, false, 0),
            new Shape("r4-k192-n80-bias-strided", 4, 4, 192, new int[] {48, 32}, true, 9),
            new Shape("r40-k896-n200", 40, 40, 896, new int[] {128, 72}, true, 0));

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (DType dt : List.of(DType.BF16, DType.F32, DType.F16)) {
            for (Shape s : SHAPES) {
                out.add(Arguments.of(dt, s, "4"));
                if (s.active <= 4) out.add(Arguments.of(dt, s, "0")); // the same rows through oneDNN
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} gemv-max-rows={2}")
    @MethodSource("cases")
    void matchesReference(DType dt, Shape s, String gemvMax) {
        try (Harness h = new Harness(s.label.hashCode() + dt.ordinal(), Harness.props("amx.gemv-max-rows", gemvMax))) {
            double tol = dt == DType.BF16 ? Harness.BF16_TOL : 1e-4;
            double nmse = dt == DType.BF16 ? Harness.BF16_NMSE : 1e-9;
            run(h, s, dt, tol, nmse);
        }
    }

    static Stream<Arguments> int8Cases() {
        List<Arguments> out = new ArrayList<>();
        for (Shape s : SHAPES) {
            out.add(Arguments.of(s, "4"));
            if (s.active <= 4) out.add(Arguments.of(s, "0"));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "w8a8 {0} gemv-max-rows={1}")
    @MethodSource("int8Cases")
    void w8a8MatchesReference(Shape s, String gemvMax) {
        org.junit.jupiter.api.Assumptions.assumeTrue(Dnnl.isaHas(OneDnn.init(null).isa(), Dnnl.ISA_AVX512_CORE_VNNI),
                "W8A8 needs VNNI");
        try (Harness h = new Harness(s.label.hashCode(),
                Harness.props("quantization", "w8a8_int8", "amx.gemv-max-rows", gemvMax))) {
            run(h, s, DType.BF16, Harness.INT8_TOL, Harness.INT8_NMSE);
        }
    }

    private static void run(Harness h, Shape s, DType dt, double tol, double nmse) {
        float scale = (float) (1 / Math.sqrt(s.in));
        List<HostTensor> parts = new ArrayList<>();
        List<HostTensor> biases = new ArrayList<>();
        for (int i = 0; i < s.parts.length; i++) {
            parts.add(h.host("w" + i, dt, scale, s.parts[i], s.in));
            if (s.bias) biases.add(h.host("b" + i, dt, 0.5f, s.parts[i]));
        }
        var w = h.weight(new WeightSpec("layer.proj.weight", parts, WeightUse.LINEAR));
        var b = s.bias ? h.weight(new WeightSpec("layer.proj.bias", biases, WeightUse.VECTOR)) : null;
        var x = h.tensor(s.rows, s.in, s.pad);
        var y = h.tensor(s.rows, s.out(), s.pad == 0 ? 0 : 3);
        h.ref.linear(new LinearArgs(x.ref(), w.ref(), b == null ? null : b.ref(), y.ref()), s.active);
        h.amx.linear(new LinearArgs(x.amx(), w.amx(), b == null ? null : b.amx(), y.amx()), s.active);
        h.assertClose(y, tol, nmse, "linear " + dt + " " + s);
    }

    /**
     * Wide weights run as one oneDNN call per slice of N columns (amx.n-slice), on OpenMP (bf16) or
     * as single-threaded calls spread over the Java workers (amx.gemm-driver=java, bf16 and int8),
     * there optionally over the rows in chunks (amx.m-chunk, with a shorter last chunk) and in parts
     * that are tasks of their own (amx.m-parts, with a shorter last part), and with n-slice 0 in
     * the slices {@link GemmTiling} plans for the workers (two here).
     */
    @ParameterizedTest(name = "{0} driver {1} n-slice {2} m-chunk {3} m-parts {4}")
    @org.junit.jupiter.params.provider.CsvSource({"none,omp,64,0,0", "w8a8_int8,omp,64,0,0", "none,java,64,0,0",
            "w8a8_int8,java,64,0,0", "none,java,64,32,0", "w8a8_int8,java,64,32,0", "none,java,0,32,0", "none,java,0,0,3",
            "w8a8_int8,java,64,32,2"})
    void slicedNMatchesReference(String quant, String driver, int nSlice, int mChunk, int mParts) {
        boolean int8 = quant.equals("w8a8_int8");
        if (int8) {
            org.junit.jupiter.api.Assumptions.assumeTrue(
                    Dnnl.isaHas(OneDnn.init(null).isa(), Dnnl.ISA_AVX512_CORE_VNNI), "W8A8 needs VNNI");
        }
        for (Shape s : List.of(new Shape("r96-k128-n256-bias", 96, 96, 128, new int[] {128, 128}, true, 0),
                new Shape("r70of80-k96-n192-strided", 80, 70, 96, new int[] {192}, false, 5))) {
            try (Harness h = new Harness(s.label.hashCode(), Harness.props("quantization", quant,
                    "amx.n-slice", String.valueOf(nSlice), "amx.slice-min-kib", "0", "amx.gemm-driver", driver,
                    "amx.m-chunk", String.valueOf(mChunk), "amx.m-parts", String.valueOf(mParts)))) {
                run(h, s, DType.BF16, int8 ? Harness.INT8_TOL : Harness.BF16_TOL,
                        int8 ? Harness.INT8_NMSE : Harness.BF16_NMSE);
                run(h, s, DType.BF16, int8 ? Harness.INT8_TOL : Harness.BF16_TOL,
                        int8 ? Harness.INT8_NMSE : Harness.BF16_NMSE); // again, on the cached primitives
                var w = h.weight(new WeightSpec("probe.weight", List.of(h.host("p", DType.BF16, 0.1f, s.out(), s.in)),
                        WeightUse.LINEAR));
                // int8 weights on OpenMP run in one call (slicing made them slower); with n-slice 0 the
                // Java driver plans one slice per worker (GemmTiling): 128 of 256, 96 of 192
                int want = int8 && driver.equals("omp") ? s.out() : nSlice > 0 ? nSlice : s.out() == 256 ? 128 : 96;
                org.junit.jupiter.api.Assertions.assertEquals(want, h.amx.sliceColumns(w.amx(), s.active),
                        "columns per call: " + s);
            }
        }
    }

    /**
     * The Java driver keeps per-shape primitive sets in an LRU of 128: 130 prefill lengths evict the
     * oldest (closing their primitives), and the first length, seen again, is rebuilt and still right.
     */
    @Test
    void javaDriverPrimitiveSetsAreEvictedAndRebuilt() {
        try (Harness h = new Harness(41, Harness.props("amx.n-slice", "64", "amx.slice-min-kib", "0",
                "amx.gemm-driver", "java"))) {
            for (int rows = 64; rows <= 64 + 130; rows++) {
                run(h, new Shape("r" + rows, rows, rows, 32, new int[] {128}, false, 0), DType.BF16,
                        Harness.BF16_TOL, Harness.BF16_NMSE);
            }
            run(h, new Shape("r64-again", 64, 64, 32, new int[] {128}, false, 0), DType.BF16, Harness.BF16_TOL,
                    Harness.BF16_NMSE);
        }
    }

    @Test
    void w8a8RefusedWithoutVnni() {
        var info = OneDnn.init(null);
        if (Dnnl.isaHas(info.isa(), Dnnl.ISA_AVX512_CORE_VNNI)) return;
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new AmxBackendProvider()
                .create(new io.jsgl.spi.BackendOptions(1, java.util.Map.of("quantization", "w8a8_int8"))));
    }

    @Test
    void lmHeadStaysBf16UnderW8a8AndPrefillRunsBrgemm() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Dnnl.isaHas(OneDnn.init(null).isa(), Dnnl.ISA_AVX512_CORE_VNNI),
                "W8A8 needs VNNI");
        try (Harness h = new Harness(7, Harness.props("quantization", "w8a8_int8"))) {
            var head = h.weight(WeightSpec.of(h.host("lm_head.weight", DType.BF16, 0.1f, 64, 128), WeightUse.LINEAR));
            var proj = h.weight(WeightSpec.of(h.host("model.layers.0.mlp.down_proj.weight", DType.BF16, 0.1f, 64, 128),
                    WeightUse.LINEAR));
            assertEquals(MatKind.BF16, ((PackedLinear) head.amx()).kind);
            assertEquals(MatKind.S8, ((PackedLinear) proj.amx()).kind);
            if (OneDnn.init(null).bf16()) {
                assertNotNull(((PackedLinear) head.amx()).layout, "bf16 VNNI layout readable by the GEMV");
            }
            String impl = h.amx.implementation(head.amx(), 64);
            assertFalse(impl.startsWith("ref"), "bf16 prefill runs " + impl);
            String implInt8 = h.amx.implementation(proj.amx(), 64);
            assertFalse(implInt8.startsWith("ref"), "int8 prefill runs " + implInt8);
            System.out.println("oneDNN implementations: bf16 " + impl + ", int8 " + implInt8);
        }
    }
}
