package io.jsgl.backend.opencl;

import io.jsgl.spi.Backend;
import io.jsgl.spi.BackendDescriptor;
import io.jsgl.spi.BackendOptions;
import io.jsgl.spi.BackendProvider;
import io.jsgl.spi.DType;
import io.jsgl.spi.Op;
import io.jsgl.spi.OpSupport;
import io.jsgl.spi.ProbeResult;
import io.jsgl.spi.SpiVersion;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Registers the OpenCL backend. The descriptor is static; {@link #probe()} loads the ICD loader
 * and lists platforms and devices. Score: 200 on a GPU (above the CPU backends), 50 on a CPU
 * device such as PoCL (above the reference backend's 0, below cpu-avx512's 100).
 *
 * <p>Device choice: BackendOptions property {@code opencl.device} or {@code -Djsgl.opencl.device},
 * an index into the probe's device list or a substring of the device, vendor or platform name;
 * unset, the first GPU, else the first device.
 */
public final class OpenClBackendProvider implements BackendProvider {
    public static final String NAME = "opencl";
    public static final int GPU_SCORE = 200;
    public static final int CPU_SCORE = 50;
    private static final Set<DType> FLOATS = Set.of(DType.F32, DType.F16, DType.BF16);

    static final BackendDescriptor DESCRIPTOR = new BackendDescriptor(
            NAME, "0.1.0",
            "OpenCL C kernels over hand-written FFM bindings: weights, KV pool and activations on the device",
            SpiVersion.CURRENT, SpiVersion.CURRENT,
            List.of(new OpSupport(Op.EMBEDDING, FLOATS), new OpSupport(Op.LINEAR, FLOATS),
                    new OpSupport(Op.RMS_NORM, FLOATS), new OpSupport(Op.ROPE, Set.of()),
                    new OpSupport(Op.GATED_ACTIVATION, Set.of()), new OpSupport(Op.ATTENTION, FLOATS),
                    new OpSupport(Op.ADD, Set.of()), new OpSupport(Op.GATHER_ROWS, Set.of()),
                    new OpSupport(Op.SOFTCAP, Set.of()), new OpSupport(Op.ARGMAX, Set.of()), new OpSupport(Op.ALL_REDUCE, Set.of())),
            List.of("OpenCL ICD loader libOpenCL.so.1 (ocl-icd-libopencl1)",
                    "an OpenCL 1.2+ device: a GPU driver, or PoCL (pocl-opencl-icd) on the CPU"));

    @Override
    public BackendDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public ProbeResult probe() {
        String loadError = Cl.loadError();
        if (loadError != null) return ProbeResult.unavailable(loadError);
        List<ClDevices.Device> devices;
        try {
            devices = ClDevices.list();
        } catch (RuntimeException e) {
            return ProbeResult.unavailable("OpenCL platform query failed: " + e.getMessage());
        }
        Map<String, String> details = new LinkedHashMap<>();
        details.put("library", Cl.library());
        for (ClDevices.Device d : devices) details.put("device." + d.index(), d.describe());
        if (devices.isEmpty()) {
            return ProbeResult.unavailable(List.of("the OpenCL ICD loader found no platform with a device (install a "
                    + "driver such as pocl-opencl-icd, or point OCL_ICD_VENDORS at a directory of .icd files)"), details);
        }
        ClDevices.Device chosen;
        try {
            chosen = ClDevices.choose(devices, System.getProperty("jsgl.opencl.device"));
        } catch (RuntimeException e) {
            return ProbeResult.unavailable(List.of(e.getMessage()), details);
        }
        details.put("device", chosen.describe());
        return ProbeResult.available(chosen.gpu() ? GPU_SCORE : CPU_SCORE, details);
    }

    @Override
    public Backend create(BackendOptions options) {
        Cl.requireLoaded();
        return new OpenClBackend(DESCRIPTOR, options);
    }
}
