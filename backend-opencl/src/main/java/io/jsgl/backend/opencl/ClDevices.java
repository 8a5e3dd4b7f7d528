package io.jsgl.backend.opencl;

import io.jsgl.spi.host.JvmSignalHandlers;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Enumerates OpenCL platforms and devices through the ICD loader. */
final class ClDevices {
    private ClDevices() {}

    /** One device, numbered across all platforms in loader order (the index {@code opencl.device} takes). */
    record Device(int index, MemorySegment platform, MemorySegment id, String platformName, String platformVersion,
                  String name, String vendor, long type, String version, String driver, String openclC,
                  int computeUnits, long maxWorkGroup, long globalMem, long maxAlloc, long localMem, int clockMhz,
                  String extensions) {

        boolean gpu() {
            return (type & Cl.CL_DEVICE_TYPE_GPU) != 0;
        }

        boolean cpu() {
            return (type & Cl.CL_DEVICE_TYPE_CPU) != 0;
        }

        boolean fp64() {
            return extensions.contains("cl_khr_fp64");
        }

        boolean nvidia() {
            return vendor.toLowerCase(Locale.ROOT).contains("nvidia") || platformName.toLowerCase(Locale.ROOT).contains("nvidia");
        }

        String typeName() {
            return gpu() ? "GPU" : cpu() ? "CPU" : (type & Cl.CL_DEVICE_TYPE_ACCELERATOR) != 0 ? "accelerator" : "other";
        }

        String describe() {
            return "#" + index + " " + name + " [" + typeName() + ", " + platformName + " / " + version + ", "
                    + computeUnits + " CUs, " + (globalMem >> 20) + " MiB, max alloc " + (maxAlloc >> 20) + " MiB, local "
                    + (localMem >> 10) + " KiB" + (fp64() ? ", fp64" : "") + "]";
        }
    }

    /** Every device of every platform; throws {@link ClException} if the loader is absent or reports an error. */
    static List<Device> list() {
        Cl.requireLoaded();
        List<Device> out = new ArrayList<>();
        // PoCL's LLVM installs its signal handlers while the platforms are enumerated
        JvmSignalHandlers.Snapshot jvmHandlers = JvmSignalHandlers.snapshot();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
            int st = (int) Cl.clGetPlatformIDs.invokeExact(0, MemorySegment.NULL, n);
            if (st == Cl.CL_PLATFORM_NOT_FOUND_KHR) return out;
            Cl.check(st, "clGetPlatformIDs");
            int np = n.get(ValueLayout.JAVA_INT, 0);
            if (np == 0) return out;
            MemorySegment plats = a.allocate(ValueLayout.ADDRESS, np);
            Cl.check((int) Cl.clGetPlatformIDs.invokeExact(np, plats, n), "clGetPlatformIDs");
            for (int p = 0; p < np; p++) {
                MemorySegment plat = plats.getAtIndex(ValueLayout.ADDRESS, p);
                String pname = platformString(plat, Cl.CL_PLATFORM_NAME);
                String pver = platformString(plat, Cl.CL_PLATFORM_VERSION);
                st = (int) Cl.clGetDeviceIDs.invokeExact(plat, Cl.CL_DEVICE_TYPE_ALL, 0, MemorySegment.NULL, n);
                if (st == -1) continue; // CL_DEVICE_NOT_FOUND
                Cl.check(st, "clGetDeviceIDs");
                int nd = n.get(ValueLayout.JAVA_INT, 0);
                MemorySegment devs = a.allocate(ValueLayout.ADDRESS, Math.max(nd, 1));
                Cl.check((int) Cl.clGetDeviceIDs.invokeExact(plat, Cl.CL_DEVICE_TYPE_ALL, nd, devs, n), "clGetDeviceIDs");
                for (int d = 0; d < nd; d++) {
                    MemorySegment dev = devs.getAtIndex(ValueLayout.ADDRESS, d);
                    out.add(new Device(out.size(), plat, dev, pname, pver,
                            deviceString(dev, Cl.CL_DEVICE_NAME).trim(), deviceString(dev, Cl.CL_DEVICE_VENDOR).trim(),
                            deviceLong(dev, Cl.CL_DEVICE_TYPE), deviceString(dev, Cl.CL_DEVICE_VERSION),
                            deviceString(dev, Cl.CL_DRIVER_VERSION), deviceString(dev, Cl.CL_DEVICE_OPENCL_C_VERSION),
                            deviceInt(dev, Cl.CL_DEVICE_MAX_COMPUTE_UNITS), deviceLong(dev, Cl.CL_DEVICE_MAX_WORK_GROUP_SIZE),
                            deviceLong(dev, Cl.CL_DEVICE_GLOBAL_MEM_SIZE), deviceLong(dev, Cl.CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                            deviceLong(dev, Cl.CL_DEVICE_LOCAL_MEM_SIZE), deviceInt(dev, Cl.CL_DEVICE_MAX_CLOCK_FREQUENCY),
                            deviceString(dev, Cl.CL_DEVICE_EXTENSIONS)));
                }
            }
        } catch (Throwable t) {
            throw Cl.rethrow(t);
        } finally {
            jvmHandlers.restoreChanged();
        }
        return out;
    }

    /**
     * Picks a device by {@code spec}: null/empty/"auto" = the first GPU, else the first device;
     * a number = that index; anything else = the first device whose name, vendor or platform
     * contains it (case-insensitive).
     */
    static Device choose(List<Device> devices, String spec) {
        if (devices.isEmpty()) throw new ClException("no OpenCL device found");
        if (spec == null || spec.isBlank() || spec.equalsIgnoreCase("auto")) {
            return devices.stream().filter(Device::gpu).findFirst().orElse(devices.getFirst());
        }
        String s = spec.trim();
        if (s.matches("\\d+")) {
            int i = Integer.parseInt(s);
            if (i >= devices.size()) {
                throw new ClException("opencl.device=" + s + " but only " + devices.size() + " device(s): " + summary(devices));
            }
            return devices.get(i);
        }
        String low = s.toLowerCase(Locale.ROOT);
        for (Device d : devices) {
            if ((d.name() + " " + d.vendor() + " " + d.platformName()).toLowerCase(Locale.ROOT).contains(low)) return d;
        }
        throw new ClException("no OpenCL device matches opencl.device=" + s + "; devices: " + summary(devices));
    }

    static String summary(List<Device> devices) {
        StringBuilder sb = new StringBuilder();
        for (Device d : devices) {
            if (!sb.isEmpty()) sb.append("; ");
            sb.append('#').append(d.index()).append(' ').append(d.name()).append(" (").append(d.platformName()).append(')');
        }
        return sb.toString();
    }

    private static String platformString(MemorySegment plat, int param) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(ValueLayout.JAVA_LONG);
            Cl.check((int) Cl.clGetPlatformInfo.invokeExact(plat, param, 0L, MemorySegment.NULL, size), "clGetPlatformInfo");
            long n = size.get(ValueLayout.JAVA_LONG, 0);
            MemorySegment buf = a.allocate(Math.max(n, 1));
            Cl.check((int) Cl.clGetPlatformInfo.invokeExact(plat, param, n, buf, MemorySegment.NULL), "clGetPlatformInfo");
            return cString(buf, n);
        }
    }

    static String deviceString(MemorySegment dev, int param) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(ValueLayout.JAVA_LONG);
            Cl.check((int) Cl.clGetDeviceInfo.invokeExact(dev, param, 0L, MemorySegment.NULL, size), "clGetDeviceInfo");
            long n = size.get(ValueLayout.JAVA_LONG, 0);
            MemorySegment buf = a.allocate(Math.max(n, 1));
            Cl.check((int) Cl.clGetDeviceInfo.invokeExact(dev, param, n, buf, MemorySegment.NULL), "clGetDeviceInfo");
            return cString(buf, n);
        }
    }

    static long deviceLong(MemorySegment dev, int param) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(8);
            Cl.check((int) Cl.clGetDeviceInfo.invokeExact(dev, param, 8L, v, MemorySegment.NULL), "clGetDeviceInfo");
            return v.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    static int deviceInt(MemorySegment dev, int param) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(4);
            Cl.check((int) Cl.clGetDeviceInfo.invokeExact(dev, param, 4L, v, MemorySegment.NULL), "clGetDeviceInfo");
            return v.get(ValueLayout.JAVA_INT, 0);
        }
    }

    static String cString(MemorySegment buf, long n) {
        int len = 0;
        while (len < n && buf.get(ValueLayout.JAVA_BYTE, len) != 0) len++;
        byte[] bytes = new byte[len];
        MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, bytes, 0, len);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
