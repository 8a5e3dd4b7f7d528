package io.jsgl.backend.avx512;

import io.jsgl.cpu.kernels.WorkerPool;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The memory bandwidth probe, run the way the kernels run (same worker pool, all cores, huge
 * pages, one contiguous part per thread): {@link io.jsgl.cpu.kernels.BandwidthProbe#read}.
 * {@code bytes}: 1 GiB for DRAM, and the sizes of the bf16 GEMV weights (896x4864 and the
 * 151936x896 LM head), so a weight that fits the last-level cache is compared with the same level
 * of the hierarchy.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BandwidthBench {

    @Param({"1073741824", "8716288", "272269312"})
    public long bytes;

    private WorkerPool pool;
    private Arena arena;
    private MemorySegment data;

    @Setup(Level.Trial)
    public void setup() {
        pool = new WorkerPool(Runtime.getRuntime().availableProcessors());
        arena = Arena.ofShared();
        data = io.jsgl.cpu.kernels.HugePages.allocate(arena, bytes & ~255L);
        data.fill((byte) 1);
        io.jsgl.cpu.kernels.BandwidthProbe.warmUp();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float bandwidth() {
        return io.jsgl.cpu.kernels.BandwidthProbe.read(pool, data);
    }
}
