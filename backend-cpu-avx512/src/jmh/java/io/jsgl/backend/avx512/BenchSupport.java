package io.jsgl.backend.avx512;

import io.jsgl.spi.Backend;
import io.jsgl.spi.BackendOptions;
import io.jsgl.spi.DType;
import io.jsgl.spi.HostTensor;
import io.jsgl.spi.Tensor;
import io.jsgl.spi.host.Numerics;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/** Random tensors and a backend for the benchmarks. */
final class BenchSupport {
    private BenchSupport() {}

    static Backend backend() {
        // -Dbench.threads=N sizes the pool (default: every core); 1 shows a kernel without threading effects
        int threads = Integer.getInteger("bench.threads", 0);
        return new Avx512BackendProvider().create(threads > 0 ? new BackendOptions(threads, java.util.Map.of()) : BackendOptions.defaults());
    }

    /** A host tensor of random values in [-1, 1] (a stand-in for an mmapped checkpoint tensor). */
    static HostTensor host(Arena arena, String name, DType dtype, long... shape) {
        long n = HostTensor.numel(shape);
        MemorySegment seg = arena.allocate(n * dtype.bytes(), 64);
        Random rnd = new Random(42);
        for (long i = 0; i < n; i++) Numerics.write(seg, dtype, i, rnd.nextFloat() * 2 - 1);
        return new HostTensor(name, seg, dtype, shape);
    }

    /**
     * Fills {@code seg} with random bf16 values in [-1, 1) (seed 42): their products are never
     * subnormal, which would slow the FMAs.
     */
    static void randomBf16(MemorySegment seg) {
        Random rnd = new Random(42);
        for (long i = 0; i < seg.byteSize() / 2; i++) {
            seg.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i,
                    (short) (Float.floatToRawIntBits(rnd.nextFloat() * 2 - 1) >>> 16));
        }
    }

    /** A dense f32 activation tensor of random values. */
    static Tensor activations(Backend b, int rows, int cols) {
        return activations(b, rows, cols, 1f);
    }

    /** Uniform in {@code [-scale, scale]}. */
    static Tensor activations(Backend b, int rows, int cols, float scale) {
        var buf = b.allocate(4L * rows * cols);
        float[] data = new float[rows * cols];
        Random rnd = new Random(7);
        for (int i = 0; i < data.length; i++) data[i] = (rnd.nextFloat() * 2 - 1) * scale;
        b.upload(MemorySegment.ofArray(data), buf, 0);
        return Tensor.of(buf, rows, cols, DType.F32);
    }

    /** "AxB" -> {A, B}. */
    static int[] dims(String shape) {
        String[] p = shape.split("x");
        int[] d = new int[p.length];
        for (int i = 0; i < p.length; i++) d[i] = Integer.parseInt(p[i]);
        return d;
    }
}
