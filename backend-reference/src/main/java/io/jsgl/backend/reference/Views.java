package io.jsgl.backend.reference;

import io.jsgl.spi.DType;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.host.HostBuffer;
import io.jsgl.spi.host.Numerics;
import java.lang.foreign.MemorySegment;

/** Element access to host tensors by (row, col). */
final class Views {
    private Views() {}

    static double get(Tensor t, int row, int col) {
        return Numerics.read(HostBuffer.of(t.buffer()), t.dtype(), t.index(row, col));
    }

    static void set(Tensor t, int row, int col, double value) {
        Numerics.write(HostBuffer.of(t.buffer()), t.dtype(), t.index(row, col), (float) value);
    }

    static int getInt(Tensor t, int row) {
        if (t.dtype() != DType.I32) throw new IllegalArgumentException("expected an I32 tensor, got " + t.dtype());
        MemorySegment seg = HostBuffer.of(t.buffer());
        return seg.getAtIndex(Numerics.INT_LE, t.index(row, 0));
    }

    static void setInt(Tensor t, int row, int value) {
        if (t.dtype() != DType.I32) throw new IllegalArgumentException("expected an I32 tensor, got " + t.dtype());
        HostBuffer.of(t.buffer()).setAtIndex(Numerics.INT_LE, t.index(row, 0), value);
    }

    static double[] row(Tensor t, int row) {
        double[] out = new double[t.cols()];
        for (int c = 0; c < out.length; c++) out[c] = get(t, row, c);
        return out;
    }
}
