package io.jsgl.conformance;

import io.jsgl.spi.DType;
import io.jsgl.spi.HostTensor;
import io.jsgl.spi.Op;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.Weight;
import io.jsgl.spi.WeightSpec;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.op.Activation;
import io.jsgl.spi.op.AddArgs;
import io.jsgl.spi.op.GatedActivationArgs;
import io.jsgl.spi.op.GatherRowsArgs;
import io.jsgl.spi.op.MoeArgs;
import io.jsgl.spi.op.MoeRouting;
import io.jsgl.spi.op.ArgmaxArgs;
import io.jsgl.spi.op.SoftCapArgs;
import java.util.ArrayList;
import java.util.List;

/** The weightless element-wise ops, the row gather, the single-rank all-reduce, and MoE. */
final class ElementwiseCases {
    private ElementwiseCases() {}

    static List<OpCase> cases() {
        List<OpCase> out = new ArrayList<>();
        for (Activation act : Activation.values()) {
            String a = act.name().toLowerCase();
            out.add(gated(a + "/r1-c17", act, 1, 17, 4.0, false));
            out.add(gated(a + "/r9-c160-fused-gateup", act, 9, 160, 4.0, true));
            out.add(gated(a + "/r3-c1000-magnitude20", act, 3, 1000, 20.0, false));
        }
        out.add(add("r1-c17", 1, 17, false));
        out.add(add("r13-c1000", 13, 1000, false));
        out.add(add("r6-c64-inplace", 6, 64, true));
        out.add(gather("src20-c17-idx4-repeat", 20, 17, new int[] {19, 0, 5, 5}));
        out.add(gather("src64-c512-idx1", 64, 512, new int[] {63}));
        out.add(softCap("cap30-r2-c17", 30f, 2, 17));
        out.add(softCap("cap50-r5-c1000", 50f, 5, 1000));
        out.add(argmax("r3-c1000", 3, 1000, false));
        out.add(argmax("r5-c151936-ties", 5, 151_936, true));
        out.add(new OpCase("all_reduce/f32/single-rank-r3-c33", Op.ALL_REDUCE, null, "f32", "r3-c33", Tolerances.EXACT, h -> {
            Tensor t = h.input(h.uniform(3 * 33, 1.0), 3, 33, DType.F32);
            h.backend().allReduce(t, 3);
            return List.of(h.read(t, 3));
        }));
        for (DType dt : List.of(DType.BF16)) out.add(moe(dt));
        return out;
    }

    private static OpCase gated(String label, Activation act, int rows, int cols, double magnitude, boolean fused) {
        return new OpCase("gated_activation/f32/" + label, Op.GATED_ACTIVATION, null, "f32",
                label.substring(label.indexOf('/') + 1), Tolerances.F32, h -> {
            Tensor gate;
            Tensor up;
            if (fused) {
                Tensor gu = h.input(h.uniform(rows * 2 * cols, magnitude), rows, 2 * cols, DType.F32);
                gate = gu.columns(0, cols);
                up = gu.columns(cols, cols);
            } else {
                gate = h.input(h.uniform(rows * cols, magnitude), rows, cols, DType.F32);
                up = h.input(h.uniform(rows * cols, 2.0), rows, cols, DType.F32);
            }
            Tensor o = h.output(rows, cols, DType.F32);
            h.backend().gatedActivation(new GatedActivationArgs(gate, up, o, act), rows);
            return List.of(h.read(o, rows));
        });
    }

    private static OpCase add(String label, int rows, int cols, boolean inPlace) {
        return new OpCase("add/f32/" + label, Op.ADD, null, "f32", label, Tolerances.F32, h -> {
            Tensor a = h.input(h.uniform(rows * cols, 3.0), rows, cols, DType.F32);
            // b as a strided view, as the model's residual often is
            Tensor b = h.input(h.uniform(rows * cols, 3.0), rows, cols, DType.F32, 1, cols + 7);
            Tensor o = inPlace ? a : h.output(rows, cols, DType.F32);
            h.backend().add(new AddArgs(a, b, o), rows);
            return List.of(h.read(o, rows));
        });
    }

    private static OpCase gather(String label, int srcRows, int cols, int[] idx) {
        return new OpCase("gather_rows/f32/" + label, Op.GATHER_ROWS, null, "f32", label, Tolerances.EXACT, h -> {
            Tensor src = h.input(h.uniform(srcRows * cols, 5.0), srcRows, cols, DType.F32);
            Tensor o = h.output(idx.length, cols, DType.F32);
            h.backend().gatherRows(new GatherRowsArgs(src, h.ints(idx), o), idx.length);
            return List.of(h.read(o, idx.length));
        });
    }

    private static OpCase softCap(String label, float cap, int rows, int cols) {
        return new OpCase("softcap/f32/" + label, Op.SOFTCAP, null, "f32", label, Tolerances.F32, h -> {
            Tensor x = h.input(h.uniform(rows * cols, 10.0 * cap), rows, cols, DType.F32);
            h.backend().softCap(new SoftCapArgs(x, cap), rows);
            return List.of(h.read(x, rows));
        });
    }

    /**
     * Greedy sampling on the backend: random rows, optionally with planted ties (the lowest index
     * must win), a row whose maximum is its last value and a row of equal values (index 0).
     */
    private static OpCase argmax(String label, int rows, int cols, boolean ties) {
        return new OpCase("argmax/f32/" + label, Op.ARGMAX, null, "f32", label, Tolerances.EXACT, h -> {
            float[] x = h.uniform(rows * cols, 8.0);
            if (ties) {
                int a = h.nextInt(cols / 2);
                int b = a + 1 + h.nextInt(cols - a - 1);
                x[a] = 9f;
                x[b] = 9f;
                x[cols + cols - 1] = 9f;
                java.util.Arrays.fill(x, 2 * cols, 3 * cols, -1.5f);
            }
            Tensor t = h.input(x, rows, cols, DType.F32);
            int[] poison = new int[rows];
            java.util.Arrays.fill(poison, -1);
            Tensor out = h.ints(poison);
            h.backend().argmax(new ArgmaxArgs(t, out), rows);
            return List.of(h.read(out, rows));
        });
    }

    /** Two experts of top-2 softmax routing; no backend implements MoE yet, so this is UNSUPPORTED with a reason. */
    private static OpCase moe(DType dt) {
        String d = OpCase.dtypeName(dt);
        return new OpCase("moe/" + d + "/softmax-top2-e4-h32-i48", Op.MOE, dt, d, "r3-h32-e4-i48-top2",
                Tolerances.reduction(dt), h -> {
            int rows = 3;
            int hidden = 32;
            int inter = 48;
            int experts = 4;
            Weight router = h.weight("router", h.uniform(experts * hidden, 0.5, dt), dt, WeightUse.LINEAR, experts, hidden);
            List<Weight> gateUp = new ArrayList<>();
            List<Weight> down = new ArrayList<>();
            for (int e = 0; e < experts; e++) {
                HostTensor g = h.host("e" + e + ".gate", h.uniform(inter * hidden, 0.2, dt), dt, inter, hidden);
                HostTensor u = h.host("e" + e + ".up", h.uniform(inter * hidden, 0.2, dt), dt, inter, hidden);
                gateUp.add(h.weight(new WeightSpec("e" + e + ".gate_up", List.of(g, u), WeightUse.LINEAR)));
                down.add(h.weight("e" + e + ".down", h.uniform(hidden * inter, 0.2, dt), dt, WeightUse.LINEAR, hidden, inter));
            }
            Tensor x = h.input(h.uniform(rows * hidden, 1.0), rows, hidden, DType.F32);
            Tensor o = h.output(rows, hidden, DType.F32);
            h.backend().moe(new MoeArgs(x, o, router, gateUp, down, new MoeRouting(false, 2, 1, 1, true, 1f),
                    Activation.SILU), rows);
            return List.of(h.read(o, rows));
        });
    }
}
