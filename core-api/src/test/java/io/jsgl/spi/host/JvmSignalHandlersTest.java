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
    /** SIGURG: the JVM installs no handler for it, so a test may take it for a moment. */
    private static final int SIGURG = 23;
    private static final int SIGSEGV = 11;

    @Test
    void theJvmOwnsSigsegv() {
        assertTrue(JvmSignalHandlers.handlerOwner(SIGSEGV).orElseThrow().endsWith("libjvm.so"),
                JvmSignalHandlers.handlerOwner(SIGSEGV).toString());
    }

    @Test
    void aHandlerTakenByNativeCodeIsPutBack() throws Throwable {
        String initial = JvmSignalHandlers.handlerOwner(SIGURG).orElseThrow(); // SIG_DFL, unless inherited ignored
        String other = initial.equals("SIG_IGN") ? "SIG_DFL" : "SIG_IGN";
        JvmSignalHandlers.Snapshot before = JvmSignalHandlers.snapshot();
        set(SIGURG, other.equals("SIG_IGN") ? 1L : 0L);
        assertEquals(other, JvmSignalHandlers.handlerOwner(SIGURG).orElseThrow());

        assertEquals(List.of("SIGURG (was " + other + ")"), before.restoreChanged());
        assertEquals(initial, JvmSignalHandlers.handlerOwner(SIGURG).orElseThrow());
        assertEquals(List.of(), before.restoreChanged());
    }

    @Test
    void nothingChangedNothingPutBack() {
        assertEquals(List.of(), JvmSignalHandlers.snapshot().restoreChanged());
    }

    /** What a native library does: {@code sigaction(sig, {handler}, NULL)}; 0 is SIG_DFL, 1 SIG_IGN. */
    private static void set(int sig, long handler) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle sigaction = linker.downcallHandle(linker.defaultLookup().find("sigaction").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment act = a.allocate(256);
            act.set(ValueLayout.JAVA_LONG, 0, handler);
            assertEquals(0, (int) sigaction.invokeExact(sig, act, MemorySegment.NULL));
        }
    }
}
