package io.jsgl.spi.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

@EnabledOnOs(OS.LINUX)
class JvmSignalHandlersTest {
    /** SIGURG: the JVM leaves it at SIG_DFL, so a test may take it for a moment. */
    private static final int SIGURG = 23;
    private static final int SIGSEGV = 11;

    @Test
    void theJvmOwnsSigsegv() {
        assertTrue(JvmSignalHandlers.handlerOwner(SIGSEGV).orElseThrow().endsWith("libjvm.so"),
                JvmSignalHandlers.handlerOwner(SIGSEGV).toString());
    }

    @Test
    void aHandlerTakenByNativeCodeIsPutBack() throws Throwable {
        assertEquals("SIG_DFL", JvmSignalHandlers.handlerOwner(SIGURG).orElseThrow());
        JvmSignalHandlers.Snapshot before = JvmSignalHandlers.snapshot();
        ignore(SIGURG);
        assertEquals("SIG_IGN", JvmSignalHandlers.handlerOwner(SIGURG).orElseThrow());

        assertEquals(List.of("SIGURG (was SIG_IGN)"), before.restoreChanged());
        assertEquals("SIG_DFL", JvmSignalHandlers.handlerOwner(SIGURG).orElseThrow());
        assertEquals(List.of(), before.restoreChanged());
    }

    @Test
    void nothingChangedNothingPutBack() {
        assertEquals(List.of(), JvmSignalHandlers.snapshot().restoreChanged());
    }

    /** What a native library does: {@code sigaction(sig, {SIG_IGN}, NULL)}. */
    private static void ignore(int sig) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle sigaction = linker.downcallHandle(linker.defaultLookup().find("sigaction").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment act = a.allocate(256);
            act.set(ValueLayout.JAVA_LONG, 0, 1L); // SIG_IGN
            assertEquals(0, (int) sigaction.invokeExact(sig, act, MemorySegment.NULL));
        }
    }
}
