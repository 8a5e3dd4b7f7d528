package io.jsgl.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import io.jsgl.backend.opencl.OpenClTestSupport.Pair;
import io.jsgl.backend.opencl.OpenClTestSupport.WeightPair;
import io.jsgl.spi.DType;
import io.jsgl.spi.op.Activation;
import io.jsgl.spi.op.GatedActivationArgs;
import io.jsgl.spi.op.LinearArgs;
import io.jsgl.spi.op.RmsNormArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A decoder layer's decode op chain (norm, qkv linear, o linear, add+norm, gate|up linear +
 * activation, down linear, add+norm, next qkv linear) against the reference, every intermediate
 * tensor compared: with opencl.normPrologue each RMSNorm splits into the residual-add epilogue of
 * the GEMV before it and the prologue of the GEMV after it (and the test checks that those kernels,
 * and no rms_norm, ran); with an odd hidden size the prologue does not fit and the norms run on
 * their own; with opencl.normPrologue=false the older last-work-group epilogue runs.
 */
class OpenClNormPrologueTest {
    @TestFactory
    Stream<DynamicTest> decodeLayerChain() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String mode : new String[] {"prologue", "epilogue"}) {
            for (DType dt : new DType[] {DType.BF16, DType.F32}) {
                for (int hidden : new int[] {256, 301}) {
                    if (mode.equals("epilogue") && (dt != DType.BF16 || hidden != 256)) continue;
                    for (int rows : new int[] {1, 3, 4}) {
                        tests.add(dynamicTest(mode + " " + dt + " hidden=" + hidden + " rows=" + rows,
                                () -> chain(mode, dt, hidden, rows)));
                    }
                }
            }
        }
        // K > 4096: the prologue's registers hold the first 4096 values, a loop the rest
        tests.add(dynamicTest("prologue BF16 hidden=4104 rows=1", () -> chain("prologue", DType.BF16, 4104, 1)));
        return tests.stream();
    }

    private static void chain(String mode, DType dt, int h, int rows) {
        Map<String, String> props = Map.of("opencl.profile", "true", "opencl.normPrologue",
                String.valueOf(mode.equals("prologue")));
        try (OpenClTestSupport s = new OpenClTestSupport(h * 10L + rows, props)) {
            int qw = 200;
            int inter = 136;
            float eps = 1e-5f;
            WeightPair n0 = s.vector("n0", dt, h, 0.3, 1.0);
            WeightPair n1 = s.vector("n1", dt, h, 0.3, 1.0);
            WeightPair n2 = s.vector("n2", dt, h, 0.3, 1.0);
            WeightPair wqkv = s.weight("qkv", dt, qw, h, 1.0 / Math.sqrt(h));
            WeightPair bqkv = s.vector("bqkv", DType.F32, qw, 0.5, 0);
            WeightPair wo = s.weight("o", dt, h, qw, 1.0 / Math.sqrt(qw));
            WeightPair wgu = s.weight("gu", dt, 2 * inter, h, 1.0 / Math.sqrt(h));
            WeightPair wd = s.weight("down", dt, h, inter, 1.0 / Math.sqrt(inter));
            int r1 = rows + 1;
            Pair res = s.randomTensor(r1, h);
            Pair attn = s.randomTensor(r1, qw);
            Pair normed = s.tensor(r1, h, new float[r1 * h]);
            Pair qkv = s.tensor(r1, qw, new float[r1 * qw]);
            Pair qkv2 = s.tensor(r1, qw, new float[r1 * qw]);
            Pair proj = s.tensor(r1, h, new float[r1 * h]);
            Pair gu = s.tensor(r1, 2 * inter, new float[r1 * 2 * inter]);
            Pair act = s.tensor(r1, inter, new float[r1 * inter]);
            Pair mlp = s.tensor(r1, h, new float[r1 * h]);
            s.ocl.kernelTimes();
            for (boolean ref : new boolean[] {true, false}) {
                var be = ref ? s.ref : s.ocl;
                java.util.function.Function<Pair, io.jsgl.spi.Tensor> t = p -> ref ? p.ref() : p.ocl();
                java.util.function.Function<WeightPair, io.jsgl.spi.Weight> w = p -> ref ? p.ref() : p.ocl();
                be.rmsNorm(new RmsNormArgs(t.apply(res), null, w.apply(n0), eps, 0f, h, t.apply(normed)), rows);
                be.linear(new LinearArgs(t.apply(normed), w.apply(wqkv), w.apply(bqkv), t.apply(qkv)), rows);
                be.linear(new LinearArgs(t.apply(attn), w.apply(wo), null, t.apply(proj)), rows);
                be.rmsNorm(new RmsNormArgs(t.apply(proj), t.apply(res), w.apply(n1), eps, 0f, h, t.apply(normed)), rows);
                be.linear(new LinearArgs(t.apply(normed), w.apply(wgu), null, t.apply(gu)), rows);
                be.gatedActivation(new GatedActivationArgs(t.apply(gu.columns(0, inter)), t.apply(gu.columns(inter, inter)),
                        t.apply(act), Activation.SILU), rows);
                be.linear(new LinearArgs(t.apply(act), w.apply(wd), null, t.apply(mlp)), rows);
                be.rmsNorm(new RmsNormArgs(t.apply(mlp), t.apply(res), w.apply(n2), eps, 0f, h, t.apply(normed)), rows);
                be.linear(new LinearArgs(t.apply(normed), w.apply(wqkv), w.apply(bqkv), t.apply(qkv2)), rows);
            }
            Map<String, long[]> launched = s.ocl.kernelTimes();
            s.assertClose(qkv, rows, OpenClTestSupport.F32_TOL, "qkv");
            s.assertClose(proj, rows, OpenClTestSupport.F32_TOL, "o proj");
            s.assertClose(gu, rows, OpenClTestSupport.F32_TOL, "gate|up");
            s.assertClose(act, rows, OpenClTestSupport.F32_TOL, "activation");
            s.assertClose(mlp, rows, OpenClTestSupport.F32_TOL, "down");
            s.assertClose(res, rows, OpenClTestSupport.F32_TOL, "residual");
            s.assertClose(normed, rows, OpenClTestSupport.F32_TOL, "last norm out");
            s.assertClose(qkv2, rows, OpenClTestSupport.F32_TOL, "next qkv");
            if (mode.equals("prologue") && h % 4 == 0) {
                assertEquals(2, count(launched, "gemvw_pn"), "norm-prologue GEMVs: " + launched.keySet());
                assertEquals(1, count(launched, "gemvw_pn_act"), "norm-prologue gate|up GEMVs: " + launched.keySet());
                assertEquals(2, count(launched, "gemvw_res"), "residual-epilogue GEMVs: " + launched.keySet());
                assertEquals(0, count(launched, "rms_norm"), "stand-alone norms: " + launched.keySet());
            } else if (mode.equals("prologue")) {
                assertEquals(3, count(launched, "rms_norm"), "stand-alone norms (odd K): " + launched.keySet());
            } else {
                assertTrue(count(launched, "gemvw_norm:linear-" + OpenClBackend.dtypeCode(dt)) == 2,
                        "last-work-group norm epilogues: " + launched.keySet());
            }
        }
    }

    /** Launches of the kernel, over every weight shape (profiled linear kernels are keyed "name NxK"). */
    private static long count(Map<String, long[]> launched, String kernel) {
        return launched.entrySet().stream().filter(e -> e.getKey().equals(kernel) || e.getKey().startsWith(kernel + " "))
                .mapToLong(e -> e.getValue()[0]).sum();
    }
}
