package io.jsgl.conformance;

import io.jsgl.spi.DType;
import io.jsgl.spi.Op;
import java.util.List;

/**
 * The kit's default bounds. The dtype that sets the bound is the precision a backend may compute
 * in: the weight dtype for ops that read weights (a backend may run a bf16 GEMM on bf16 weights),
 * the KV dtype for attention, f32 (the activation dtype) for the rest.
 *
 * <p>Starting points are DESIGN.md's (fp32 ~1e-5, fp16 ~1e-3, bf16 ~1e-2 relative), which are
 * also PyTorch's {@code torch.testing.assert_close} defaults (rtol 1.3e-6 / 1e-3 / 1.6e-2 for
 * float32 / float16 / bfloat16) and ONNX Runtime's op-test practice. Errors are measured against
 * {@code max|ref|} rather than per element (see {@link Metrics}).
 */
public final class Tolerances {
    private Tolerances() {}

    // unit roundoffs: 2^-24 (f32), 2^-11 (f16), 2^-8 (bf16)
    static final double U_F32 = 0x1p-24;

    public static final Tolerance F32 = Tolerance.elementwise("f32", 1e-5,
            "DESIGN.md fp32 ~1e-5 relative; ONNX Runtime's default fp32 op-test tolerance");
    public static final Tolerance F16 = Tolerance.elementwise("f16", 1e-3,
            "torch.testing.assert_close default rtol for float16; DESIGN.md fp16 ~1e-3");
    public static final Tolerance BF16 = Tolerance.elementwise("bf16", 1.6e-2,
            "torch.testing.assert_close default rtol for bfloat16; DESIGN.md bf16 ~1e-2");

    /**
     * Long reductions (GEMMs, attention) add rounding with the accumulation length and order, so
     * they get an NMSE bound (ggml test-backend-ops' measure) plus a looser max bound.
     */
    public static final Tolerance F32_REDUCTION = new Tolerance("f32-reduction", 1e-4, 1e-9,
            "fp32 ~1e-5 (DESIGN.md) x10 for accumulation order over up to 4096 terms (worst case K*2^-24 = 2.4e-4); "
                    + "nmse 1e-9, tighter than ggml's 1e-7 default since the oracle here is exact");
    public static final Tolerance F16_REDUCTION = new Tolerance("f16-reduction", 2e-3, 1e-6,
            "torch float16 rtol 1e-3 x2 when inputs are rounded to f16 before a K <= 4096 accumulation; "
                    + "nmse <= 4u^2 with u = 2^-11 (each input rounded once)");
    public static final Tolerance BF16_REDUCTION = new Tolerance("bf16-reduction", 1.6e-2, 1e-4,
            "torch bfloat16 rtol 1.6e-2; nmse <= 6.5u^2 with u = 2^-8 (each input rounded once, K <= 4096)");

    /** Exact ops (gathers, copies) may only differ by the f32 rounding of the value they copy. */
    public static final Tolerance EXACT = Tolerance.elementwise("exact", 0.0,
            "a gather or copy moves f32 values unchanged");

    /**
     * Model level: the engine's own fixture bar, logits and hidden states within 1e-3 of max|ref|
     * against Hugging Face transformers (fp32 math, eager attention, on the same bf16 weights).
     */
    public static final Tolerance MODEL = Tolerance.elementwise("model", 1e-3,
            "engine FixtureModelTest bar: HF transformers fp32 eager reference vs f32 activations; bf16 weights are "
                    + "exact in f32, so the residue is accumulation order through the layers");

    /**
     * Serving level: a backend's logits under two schedules (chunked vs one-step prefill, cache hit
     * vs miss, batch vs singles) compared with each other, within the model bound: both runs are
     * held to it against Hugging Face, and a backend's declared model override applies here too.
     */
    public static final Tolerance SERVING = Tolerance.elementwise("serving", MODEL.rtol(),
            "the model bound (engine FixtureModelTest bar) applied to a backend against itself under two schedules; "
                    + "a backend's model/* override relaxes it too");

    public static Tolerance elementwise(DType dtype) {
        return switch (dtype) {
            case F16 -> F16;
            case BF16 -> BF16;
            default -> F32;
        };
    }

    public static Tolerance reduction(DType dtype) {
        return switch (dtype) {
            case F16 -> F16_REDUCTION;
            case BF16 -> BF16_REDUCTION;
            default -> F32_REDUCTION;
        };
    }

    /** A kit-level override of the default bound for one op; every one is listed in the report. */
    public record OpOverride(Op op, String bound, String reason) {}

    /**
     * RoPE angles {@code pos * theta_i} formed in f32 (as Hugging Face does) carry an absolute
     * error up to {@code pos * 2^-24} radians, which grows with the position: the f32 bound becomes
     * {@code 1e-5 + 2 * maxPos * 2^-24}.
     */
    public static Tolerance rope(int maxPosition) {
        double rtol = 1e-5 + 2.0 * maxPosition * U_F32;
        return Tolerance.elementwise("f32-rope(maxPos=" + maxPosition + ")", rtol,
                "override: 1e-5 + 2*maxPos*2^-24, the f32 rounding of the angle pos*theta (HF transformers computes it "
                        + "in f32 too)");
    }

    public static final List<OpOverride> OVERRIDES = List.of(
            new OpOverride(Op.ROPE, "rtol 1e-5 + 2*maxPos*2^-24 instead of 1e-5",
                    "the angle pos*theta rounded to f32 has absolute error up to pos*2^-24 rad; at pos 4099 that is "
                            + "2.4e-4 relative, beyond fp32's 1e-5"));
}
