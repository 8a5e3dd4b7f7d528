package io.jsgl.backend.amx;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jsgl.spi.DType;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.op.Activation;
import io.jsgl.spi.op.MoeArgs;
import io.jsgl.spi.op.MoeRouting;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MoE against the reference backend, bf16 weights (the bf16 bound: 1e-2 max, NMSE 1e-4): softmax
 * top-2 (Mixtral), sigmoid group-limited top-4 with a selection bias and routed scale plus a shared
 * expert (DeepSeek-V3), and softmax top-2 with a sigmoid-gated shared expert (Qwen2-MoE), over 1
 * row (the GEMV path), 3 and 45 rows (oneDNN, experts with several rows each).
 */
class MoeTest {
    private static final int H = 64;
    private static final int I = 48;
    private static final int E = 8;

    private record Model(Harness.WeightPair router, Harness.WeightPair bias, List<Harness.WeightPair> gateUp,
                         List<Harness.WeightPair> down, Harness.WeightPair sharedGateUp, Harness.WeightPair sharedDown,
                         Harness.WeightPair sharedGate) {}

    private static Harness.WeightPair linear(Harness h, String name, int rows, int cols, float scale) {
        return h.weight(WeightSpec.of(h.host(name, DType.BF16, scale, rows, cols), WeightUse.LINEAR));
    }

    private static Model model(Harness h, boolean bias, boolean shared, boolean sharedGate) {
        List<Harness.WeightPair> gu = new ArrayList<>();
        List<Harness.WeightPair> dn = new ArrayList<>();
        for (int e = 0; e < E; e++) {
            gu.add(linear(h, "layers.0.mlp.experts." + e + ".gate_up_proj.weight", 2 * I, H, 0.3f));
            dn.add(linear(h, "layers.0.mlp.experts." + e + ".down_proj.weight", H, I, 0.3f));
        }
        return new Model(linear(h, "layers.0.mlp.gate.weight", E, H, 0.5f),
                bias ? h.weight(WeightSpec.of(h.host("layers.0.mlp.gate.e_score_correction_bias", DType.F32, 0.1f, E),
                        WeightUse.VECTOR)) : null,
                gu, dn,
                shared ? linear(h, "layers.0.mlp.shared_experts.gate_up_proj.weight", 2 * 32, H, 0.3f) : null,
                shared ? linear(h, "layers.0.mlp.shared_experts.down_proj.weight", H, 32, 0.3f) : null,
                sharedGate ? linear(h, "layers.0.mlp.shared_expert_gate.weight", 1, H, 0.3f) : null);
    }

    private static Weight pick(Harness.WeightPair p, boolean ref) {
        return p == null ? null : ref ? p.ref() : p.amx();
    }

    private static MoeArgs args(Model m, Harness.Pair x, Harness.Pair out, boolean ref, MoeRouting rt) {
        return new MoeArgs(ref ? x.ref() : x.amx(), ref ? out.ref() : out.amx(), pick(m.router, ref), pick(m.bias, ref),
                m.gateUp.stream().map(p -> pick(p, ref)).toList(), m.down.stream().map(p -> pick(p, ref)).toList(),
                pick(m.sharedGateUp, ref), pick(m.sharedDown, ref), pick(m.sharedGate, ref), rt, Activation.SILU);
    }

    private static void check(Harness h, Model m, MoeRouting rt, int rows, String what) {
        Harness.Pair x = h.tensor(rows, H, 3);
        Harness.Pair out = h.tensor(rows, H, 0);
        h.ref.moe(args(m, x, out, true, rt), rows);
        h.amx.moe(args(m, x, out, false, rt), rows);
        h.assertClose(out, Harness.BF16_TOL, Harness.BF16_NMSE, what + " rows=" + rows);
    }

    @ParameterizedTest(name = "rows={0}")
    @ValueSource(ints = {1, 3, 45})
    void softmaxTop2(int rows) {
        try (Harness h = new Harness(rows)) {
            check(h, model(h, false, false, false), MoeRouting.softmaxTopK(2, true), rows, "mixtral");
        }
    }

    @ParameterizedTest(name = "rows={0}")
    @ValueSource(ints = {1, 3, 45})
    void sigmoidGroupedWithBiasAndSharedExpert(int rows) {
        try (Harness h = new Harness(100 + rows)) {
            MoeRouting rt = new MoeRouting(MoeRouting.Scoring.SIGMOID, 4, 4, 2, 2, true, 2.5f);
            check(h, model(h, true, true, false), rt, rows, "deepseek-v3");
        }
    }

    @ParameterizedTest(name = "rows={0}")
    @ValueSource(ints = {1, 45})
    void gatedSharedExpert(int rows) {
        try (Harness h = new Harness(200 + rows)) {
            check(h, model(h, false, true, true), MoeRouting.softmaxTopK(2, false), rows, "qwen2-moe");
        }
    }

    @org.junit.jupiter.api.Test
    void outOverlappingXIsRefused() {
        try (Harness h = new Harness(7)) {
            Model m = model(h, false, false, false);
            Harness.Pair x = h.tensor(4, H, 0);
            assertThrows(IllegalArgumentException.class,
                    () -> h.amx.moe(args(m, x, x, false, MoeRouting.softmaxTopK(2, true)), 4));
        }
    }
}
