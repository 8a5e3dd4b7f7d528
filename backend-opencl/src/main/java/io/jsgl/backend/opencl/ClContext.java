package io.jsgl.backend.opencl;

import io.jsgl.spi.host.JvmSignalHandlers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * One OpenCL context per device for the life of the JVM, shared by every backend opened on that
 * device, with its built programs cached by device and a hash of source plus build options: the
 * (slow) compile happens once per device and process, however many backends tests or servers open.
 */
final class ClContext {
    private static final Logger LOG = Logger.getLogger(ClContext.class.getName());
    private static final Map<Long, ClContext> CONTEXTS = new ConcurrentHashMap<>();

    final ClDevices.Device device;
    final MemorySegment context;
    private final Map<String, MemorySegment> programs = new ConcurrentHashMap<>();

    private ClContext(ClDevices.Device device) {
        this.device = device;
        JvmSignalHandlers.Snapshot jvmHandlers = JvmSignalHandlers.snapshot();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment props = a.allocate(ValueLayout.JAVA_LONG, 3);
            props.setAtIndex(ValueLayout.JAVA_LONG, 0, Cl.CL_CONTEXT_PLATFORM);
            props.setAtIndex(ValueLayout.JAVA_LONG, 1, device.platform().address());
            props.setAtIndex(ValueLayout.JAVA_LONG, 2, 0L);
            MemorySegment devs = a.allocate(ValueLayout.ADDRESS);
            devs.set(ValueLayout.ADDRESS, 0, device.id());
            MemorySegment err = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment ctx = (MemorySegment) Cl.clCreateContext.invokeExact(props, 1, devs, MemorySegment.NULL,
                    MemorySegment.NULL, err);
            Cl.check(err.get(ValueLayout.JAVA_INT, 0), "clCreateContext");
            this.context = ctx;
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        } finally {
            jvmHandlers.restoreChanged();
        }
    }

    static ClContext of(ClDevices.Device device) {
        return CONTEXTS.computeIfAbsent(device.id().address(), k -> new ClContext(device));
    }

    /** The program built from {@code source} with {@code options}; built on first use, then cached. */
    MemorySegment program(String name, String source, String options) {
        String key = hash(source + "\u0000" + options);
        MemorySegment p = programs.get(key);
        if (p != null) return p;
        synchronized (this) {
            p = programs.get(key);
            if (p == null) {
                p = build(name, source, options);
                programs.put(key, p);
            }
            return p;
        }
    }

    /** The status NVIDIA's OpenCL driver gives for an internal compiler failure. */
    private static final int NV_INTERNAL_ERROR = -9999;

    /**
     * -Djsgl.opencl.buildLog=true: NVIDIA builds add -cl-nv-verbose and every successful build logs its
     * compiler output at INFO (ptxas: registers, spills, stack per kernel), to see what limits occupancy.
     */
    private static final boolean BUILD_LOG = Boolean.getBoolean("jsgl.opencl.buildLog");

    private MemorySegment build(String name, String source, String opts) {
        String options = BUILD_LOG && device.nvidia() ? opts + " -cl-nv-verbose" : opts;
        long t0 = System.nanoTime();
        JvmSignalHandlers.Snapshot jvmHandlers = JvmSignalHandlers.snapshot();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocateFrom(source);
            MemorySegment strings = a.allocate(ValueLayout.ADDRESS);
            strings.set(ValueLayout.ADDRESS, 0, src);
            MemorySegment err = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment prog = (MemorySegment) Cl.clCreateProgramWithSource.invokeExact(context, 1, strings,
                    MemorySegment.NULL, err);
            Cl.check(err.get(ValueLayout.JAVA_INT, 0), "clCreateProgramWithSource(" + name + ")");
            MemorySegment devs = a.allocate(ValueLayout.ADDRESS);
            devs.set(ValueLayout.ADDRESS, 0, device.id());
            int st = (int) Cl.clBuildProgram.invokeExact(prog, 1, devs, a.allocateFrom(options), MemorySegment.NULL,
                    MemorySegment.NULL);
            if (st == NV_INTERNAL_ERROR) {
                // NVIDIA's driver answered -9999 for the decode attention's first build in a fresh process
                // on the H100, while the same source built in other processes: one retry
                LOG.warning("building OpenCL program " + name + " returned " + st + "; retrying once");
                st = (int) Cl.clBuildProgram.invokeExact(prog, 1, devs, a.allocateFrom(options), MemorySegment.NULL,
                        MemorySegment.NULL);
            }
            if (st != Cl.CL_SUCCESS) {
                String log = buildLog(prog);
                int ignored = (int) Cl.clReleaseProgram.invokeExact(prog);
                throw new ClException("building OpenCL program " + name + " for " + device.name() + " failed: "
                        + Cl.errorName(st) + " (" + st + "), options [" + options + "]\ncompiler log:\n" + log, st);
            }
            if (BUILD_LOG) LOG.info("built OpenCL program " + name + ", compiler log:\n" + buildLog(prog));
            LOG.fine(() -> "built OpenCL program " + name + " for " + device.name() + " in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
            return prog;
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        } finally {
            jvmHandlers.restoreChanged();
        }
    }

    private String buildLog(MemorySegment prog) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(ValueLayout.JAVA_LONG);
            int st = (int) Cl.clGetProgramBuildInfo.invokeExact(prog, device.id(), Cl.CL_PROGRAM_BUILD_LOG, 0L,
                    MemorySegment.NULL, size);
            if (st != Cl.CL_SUCCESS) return "(no build log: " + Cl.errorName(st) + ")";
            long n = size.get(ValueLayout.JAVA_LONG, 0);
            MemorySegment buf = a.allocate(Math.max(n, 1));
            st = (int) Cl.clGetProgramBuildInfo.invokeExact(prog, device.id(), Cl.CL_PROGRAM_BUILD_LOG, n, buf,
                    MemorySegment.NULL);
            if (st != Cl.CL_SUCCESS) return "(no build log: " + Cl.errorName(st) + ")";
            String log = ClDevices.cString(buf, n);
            return log.length() > 20000 ? log.substring(0, 20000) + "\n..." : log;
        }
    }

    private static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
