package io.jsgl.backend.opencl;

import io.jsgl.spi.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A {@code cl_kernel} of one backend with a fluent argument setter: {@code begin()}, then one
 * call per argument in order, then {@code run}. Values pass through a small native scratch
 * segment (OpenCL copies them at {@code clSetKernelArg}), so a launch allocates nothing, and an
 * argument equal to the one already set on this kernel object (same buffer object, same value)
 * is not set again: with one kernel object per call site (see {@code OpenClBackend#site}) a
 * decode step re-sets only the arguments that depend on the batch.
 */
final class ClKernel {
    private static final int MAX_ARGS = 64;
    private static final Object SCALAR = new Object();

    final String name;
    final MemorySegment handle;
    private final MemorySegment scratch;
    private final MemorySegment sizes;
    private final MemorySegment localSizes;
    private final ClProfiler profiler;
    private final MemorySegment eventOut;
    private final OpenClBackend owner;
    private final Object[] lastRef = new Object[MAX_ARGS];
    private final long[] lastVal = new long[MAX_ARGS];
    private int next;

    ClKernel(OpenClBackend owner, String name, MemorySegment handle, MemorySegment scratch, MemorySegment sizes,
             ClProfiler profiler) {
        this.owner = owner;
        this.name = name;
        this.handle = handle;
        this.scratch = scratch;
        this.sizes = sizes;
        this.localSizes = sizes.asSlice(24, 24);
        this.profiler = profiler;
        this.eventOut = profiler == null ? MemorySegment.NULL : scratch.asSlice(16, 8);
    }

    ClKernel begin() {
        next = 0;
        return this;
    }

    ClKernel mem(ClBuffer b) {
        MemorySegment m = b.mem();
        if (lastRef[next] == b) {
            next++;
            return this;
        }
        lastRef[next] = b;
        scratch.set(ValueLayout.ADDRESS, 0, m);
        return set(8);
    }

    /**
     * A row-major view of {@code b}: the buffer, the view's element offset (long) and its row stride
     * (int), the three arguments every kernel takes for a tensor view, in that order.
     */
    ClKernel view(ClBuffer b, Tensor t) {
        return mem(b).l(t.offset()).i(t.rowStride());
    }

    ClKernel i(int v) {
        if (same(v)) return this;
        scratch.set(ValueLayout.JAVA_INT, 0, v);
        return set(4);
    }

    ClKernel l(long v) {
        if (same(v)) return this;
        scratch.set(ValueLayout.JAVA_LONG, 0, v);
        return set(8);
    }

    ClKernel f(float v) {
        if (same(Float.floatToRawIntBits(v) | 0x1_0000_0000L)) return this;
        scratch.set(ValueLayout.JAVA_FLOAT, 0, v);
        return set(4);
    }

    /** A {@code __local} buffer of the given size. */
    ClKernel local(long bytes) {
        long size = Math.max(bytes, 4L);
        if (same(size | 0x4000_0000_0000_0000L)) return this;
        try {
            Cl.check((int) Cl.clSetKernelArg.invokeExact(handle, next, size, MemorySegment.NULL),
                    "clSetKernelArg(" + name + ", " + next + ")");
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
        next++;
        return this;
    }

    /** True (and the argument skipped) when this scalar is already set; else records it. */
    private boolean same(long v) {
        if (lastRef[next] == SCALAR && lastVal[next] == v) {
            next++;
            return true;
        }
        lastRef[next] = SCALAR;
        lastVal[next] = v;
        return false;
    }

    private ClKernel set(long size) {
        try {
            int st = (int) Cl.clSetKernelArg.invokeExact(handle, next, size, scratch);
            if (st != Cl.CL_SUCCESS) {
                lastRef[next] = null;
                Cl.check(st, "clSetKernelArg(" + name + ", " + next + ")");
            }
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
        next++;
        return this;
    }

    /** 1-D launch; {@code global} must be a multiple of {@code local}. */
    void run(MemorySegment queue, long global, long local) {
        sizes.setAtIndex(ValueLayout.JAVA_LONG, 0, global);
        sizes.setAtIndex(ValueLayout.JAVA_LONG, 3, local);
        enqueue(queue, 1);
    }

    /** 2-D launch. */
    void run(MemorySegment queue, long g0, long g1, long l0, long l1) {
        sizes.setAtIndex(ValueLayout.JAVA_LONG, 0, g0);
        sizes.setAtIndex(ValueLayout.JAVA_LONG, 1, g1);
        sizes.setAtIndex(ValueLayout.JAVA_LONG, 3, l0);
        sizes.setAtIndex(ValueLayout.JAVA_LONG, 4, l1);
        enqueue(queue, 2);
    }

    private void enqueue(MemorySegment queue, int dims) {
        try {
            int st = (int) Cl.clEnqueueNDRangeKernel.invokeExact(queue, handle, dims, MemorySegment.NULL,
                    sizes, localSizes, 0, MemorySegment.NULL, eventOut);
            if (st != Cl.CL_SUCCESS) Cl.check(st, "clEnqueueNDRangeKernel(" + name + ")");
            if (profiler != null) profiler.record(name, eventOut.get(ValueLayout.ADDRESS, 0));
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
        owner.launched();
    }

    void release() {
        try {
            int ignored = (int) Cl.clReleaseKernel.invokeExact(handle);
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        }
    }
}
