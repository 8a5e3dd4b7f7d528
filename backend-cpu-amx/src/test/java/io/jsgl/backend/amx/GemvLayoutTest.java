package io.jsgl.backend.amx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsgl.cpu.kernels.WorkerPool;
import io.jsgl.spi.DType;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.WeightUse;
import io.jsgl.spi.host.HostBuffer;
import io.jsgl.spi.host.Numerics;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The decode GEMV over packed layouts oneDNN may pick elsewhere (another ISA, another oneDNN):
 * besides the dense 32-column N blocks this CPU's oneDNN picks (the four-stream kernel), N blocks
 * of 16 or 64 columns and K-outer block orders take the generic kernel. Weights are placed by
 * {@link BlockedLayout#offset}, and 1-4 rows are checked against double-precision sums.
 */
class GemvLayoutTest {
    @ParameterizedTest(name = "K {0} N {1}, {2} cols a block, K outer {3}, {4} rows")
    @CsvSource({"96,64,32,false,1", "96,64,32,true,1", "64,48,16,false,2", "64,48,16,true,3", "160,128,64,false,4",
            "160,128,64,true,1", "96,80,32,false,2", "96,64,32,false,3", "128,112,32,false,4"})
    void matchesDoubleSums(int k, int n, int nBlock, boolean kOuter, int rows) {
        OneDnn.init(null);
        int kInner = 16;
        int kBlock = 2 * kInner;
        int paddedK = (k + kBlock - 1) / kBlock * kBlock;
        int paddedN = (n + nBlock - 1) / nBlock * nBlock;
        long block = (long) kInner * nBlock * 2;
        long strideK = kOuter ? paddedN / nBlock * block : block;
        long strideN = kOuter ? block : paddedK / kBlock * block;
        BlockedLayout lay = new BlockedLayout(kInner, nBlock, 2, strideK, strideN, paddedK, paddedN);
        long elements = (long) paddedK * paddedN;
        var md = DnnlMatmul.plainMd(1, elements, Dnnl.BF16, elements);
        var rnd = new SplittableRandom(k * 31L + n + nBlock + (kOuter ? 7 : 0));
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) w[i] = Numerics.bf16ToFloat(Numerics.floatToBf16((float) rnd.nextDouble(-1, 1)));
        try (var pool = new WorkerPool(2);
             var packed = new PackedLinear("w", DType.BF16, WeightUse.LINEAR, n, k, MatKind.BF16, md, lay);
             var xb = new HostBuffer(4L * rows * k);
             var ob = new HostBuffer(4L * rows * n)) {
            for (int kk = 0; kk < k; kk++) {
                for (int nn = 0; nn < n; nn++) {
                    packed.data.setAtIndex(Numerics.SHORT_LE, lay.offset(kk, nn), Numerics.floatToBf16(w[nn * k + kk]));
                }
            }
            float[] x = new float[rows * k];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextDouble(-1, 1);
                xb.segment().setAtIndex(Numerics.FLOAT_LE, i, x[i]);
            }
            new Gemv(pool).run(packed, Tensor.of(xb, rows, k, DType.F32), rows, null, Tensor.of(ob, rows, n, DType.F32));
            for (int r = 0; r < rows; r++) {
                for (int nn = 0; nn < n; nn++) {
                    double want = 0;
                    for (int kk = 0; kk < k; kk++) want += (double) x[r * k + kk] * w[nn * k + kk];
                    assertEquals(want, ob.segment().getAtIndex(Numerics.FLOAT_LE, (long) r * n + nn), 1e-4,
                            "row " + r + " col " + nn);
                }
            }
        }
    }
}
