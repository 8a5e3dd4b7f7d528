package io.jsgl.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsgl.spi.BackendOptions;
import io.jsgl.spi.BackendProvider;
import io.jsgl.spi.DType;
import io.jsgl.spi.Op;
import io.jsgl.spi.ProbeResult;
import io.jsgl.spi.host.JvmSignalHandlers;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Discovery, probe, scoring and device choice. */
class OpenClProbeTest {

    @Test
    void registeredUnderItsNameWithAStaticDescriptor() {
        BackendProvider p = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(x -> x.descriptor().name().equals("opencl")).findFirst().orElseThrow();
        assertTrue(p.descriptor().spiCompatible());
        assertTrue(p.descriptor().supports(Op.LINEAR, DType.BF16));
        assertTrue(p.descriptor().supports(Op.ATTENTION, null));
    }

    @Test
    void probeListsDevicesAndScoresByType() {
        try (OpenClBackend b = OpenClTestSupport.openOrFail(Map.of())) {
            ProbeResult probe = new OpenClBackendProvider().probe();
            assertTrue(probe.available(), probe.reasons().toString());
            assertTrue(probe.details().containsKey("device.0"), probe.details().toString());
            int expected = b.device.gpu() ? OpenClBackendProvider.GPU_SCORE : OpenClBackendProvider.CPU_SCORE;
            if (System.getProperty("jsgl.opencl.device") == null) assertEquals(expected, probe.score());
            assertTrue(probe.score() > 0 && (b.device.gpu() || probe.score() < 100), "score " + probe.score());
            System.out.println("opencl probe: " + probe.details());
        }
    }

    @Test
    void deviceChosenByIndexOrName() {
        try (OpenClBackend first = OpenClTestSupport.openOrFail(Map.of("opencl.device", "0"))) {
            String word = first.device.name().split("[ -]")[0];
            try (OpenClBackend byName = OpenClTestSupport.openOrFail(Map.of("opencl.device", word))) {
                assertTrue(byName.device.name().contains(word));
            }
            var e = assertThrows(ClException.class, () -> new OpenClBackendProvider()
                    .create(new BackendOptions(0, Map.of("opencl.device", "99"))));
            assertTrue(e.getMessage().contains("opencl.device=99"), e.getMessage());
            var e2 = assertThrows(ClException.class, () -> new OpenClBackendProvider()
                    .create(new BackendOptions(0, Map.of("opencl.device", "no-such-device-xyz"))));
            assertTrue(e2.getMessage().contains("no OpenCL device matches"), e2.getMessage());
        }
    }

    /**
     * PoCL's LLVM takes these while platforms are enumerated and programs built; a JVM safepoint
     * poll that then faults in two threads at once killed the process without an hs_err file.
     */
    @Test
    @EnabledOnOs(OS.LINUX)
    void theJvmKeepsItsSignalHandlersThroughInitAndBuild() {
        try (OpenClBackend b = OpenClTestSupport.openOrFail(Map.of())) {
            ClContext.of(b.device).program("signals", "__kernel void k(__global float* x) { x[0] = "
                    + System.nanoTime() + ".0f; }", "");
            // SIGILL SIGBUS SIGFPE SIGSEGV SIGUSR2: the JVM always installs its own
            for (int sig : new int[] {4, 7, 8, 11, 12}) {
                String owner = JvmSignalHandlers.handlerOwner(sig).orElseThrow();
                assertTrue(owner.endsWith("libjvm.so"), JvmSignalHandlers.name(sig) + " is handled by " + owner);
            }
            // SIGHUP SIGINT SIGQUIT SIGTERM: the JVM's, or left ignored when the JVM was started with them
            // ignored (a background job of a non-interactive shell), never a native library's
            for (int sig : new int[] {1, 2, 3, 15}) {
                String owner = JvmSignalHandlers.handlerOwner(sig).orElseThrow();
                assertTrue(owner.endsWith("libjvm.so") || owner.equals("SIG_IGN"),
                        JvmSignalHandlers.name(sig) + " is handled by " + owner);
            }
        }
    }

    @Test
    void buildErrorsCarryTheCompilerLog() {
        try (OpenClBackend b = OpenClTestSupport.openOrFail(Map.of())) {
            ClContext ctx = ClContext.of(b.device);
            var e = assertThrows(ClException.class,
                    () -> ctx.program("broken", "__kernel void k(__global float* x) { x[0] = undefined_thing; }", ""));
            assertTrue(e.getMessage().contains("compiler log"), e.getMessage());
            assertTrue(e.getMessage().contains("undefined_thing"), e.getMessage());
        }
    }
}
