package io.jsgl.spi.host;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Keeps the JVM's own signal handlers in place across calls into native libraries that install
 * theirs process-wide.
 *
 * <p>HotSpot takes SIGSEGV, SIGBUS, SIGFPE and SIGILL for its own work (safepoint polls, implicit
 * null and divide checks), SIGUSR2 to suspend threads, SIGINT / SIGTERM / SIGHUP for shutdown hooks
 * and SIGQUIT for thread dumps. PoCL's LLVM replaces all of them while an OpenCL platform is
 * enumerated, with {@code SA_RESETHAND}: the first safepoint poll that faults goes to LLVM, which
 * resets the handlers while it restores the old ones, and a second thread faulting in that window
 * kills the process without an {@code hs_err} file (a batch-32 warm-up on {@code cpu-avx512} died
 * so about once in twenty runs, because the {@code opencl} backend had been probed). Backends wrap
 * their native initialisation in {@link #snapshot()} ... {@link Snapshot#restoreChanged()}, and the
 * registry does so around every probe and create.
 *
 * <p>Only where the C library has {@code sigaction} (Linux, macOS); elsewhere a no-op.
 */
public final class JvmSignalHandlers {
    private static final int SIGNALS = 31;
    /** Larger than {@code struct sigaction} on every supported C library (152 bytes on glibc x86-64 and aarch64). */
    private static final long SIGACTION_BYTES = 256;
    private static final MethodHandle SIGACTION;
    private static final MethodHandle DLADDR;
    private static final String[] LINUX_NAMES = {null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP",
        "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
        "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
        "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"};
    private static final boolean LINUX = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");

    static {
        MethodHandle sigaction = null, dladdr = null;
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            sigaction = libc.find("sigaction").map(a -> linker.downcallHandle(a, FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS))).orElse(null);
            dladdr = libc.find("dladdr").map(a -> linker.downcallHandle(a, FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS))).orElse(null);
        } catch (RuntimeException e) { // no native linker, or native access denied: nothing to guard with
            sigaction = null;
            dladdr = null;
        }
        SIGACTION = sigaction;
        DLADDR = dladdr;
    }

    private JvmSignalHandlers() {}

    /** The handlers of signals 1..31 as they are now; a signal the C library does not report is left out. */
    public static Snapshot snapshot() {
        if (SIGACTION == null) return new Snapshot(null, 0);
        MemorySegment saved = Arena.ofAuto().allocate(SIGACTION_BYTES * (SIGNALS + 1));
        long known = 0;
        for (int sig = 1; sig <= SIGNALS; sig++) {
            if (read(sig, slot(saved, sig))) known |= 1L << sig;
        }
        return new Snapshot(saved, known);
    }

    /**
     * Where the handler of {@code signal} lives: the file of the native library that holds it,
     * {@code SIG_DFL}, {@code SIG_IGN}, or empty when that cannot be told on this platform.
     */
    public static Optional<String> handlerOwner(int signal) {
        if (SIGACTION == null) return Optional.empty();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment act = a.allocate(SIGACTION_BYTES);
            if (!read(signal, act)) return Optional.empty();
            return Optional.ofNullable(ownerOf(act.get(ValueLayout.JAVA_LONG, 0)));
        }
    }

    /** The conventional name on Linux ({@code SIGSEGV}); {@code signal N} elsewhere. */
    public static String name(int signal) {
        return LINUX && signal > 0 && signal < LINUX_NAMES.length ? LINUX_NAMES[signal] : "signal " + signal;
    }

    /** Handlers saved by {@link #snapshot()}. */
    public static final class Snapshot {
        private final MemorySegment saved;
        /** Bit {@code sig} set: signal {@code sig} was read into {@link #saved}. */
        private final long known;

        private Snapshot(MemorySegment saved, long known) {
            this.saved = saved;
            this.known = known;
        }

        /**
         * Puts back every handler that differs from the saved one; returns what was put back, as
         * {@code SIGSEGV (was libLLVM-15.so.1)}, empty when nothing had changed. Throws nothing but
         * VM errors: it runs in {@code finally} blocks around native calls, whose own failure must
         * stay visible, so a handler that cannot be put back is logged as a warning instead.
         */
        public List<String> restoreChanged() {
            if (saved == null) return List.of();
            List<String> restored = new ArrayList<>();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment now = a.allocate(SIGACTION_BYTES);
                for (int sig = 1; sig <= SIGNALS; sig++) {
                    if ((known & 1L << sig) == 0 || !read(sig, now)) continue;
                    MemorySegment old = slot(saved, sig);
                    // The handler is the struct's first member everywhere; the C library copies stack
                    // garbage into the unused part of sa_mask, so the whole struct never compares equal.
                    long handler = now.get(ValueLayout.JAVA_LONG, 0);
                    if (handler == old.get(ValueLayout.JAVA_LONG, 0)) continue;
                    String was = ownerOf(handler);
                    String what = name(sig) + " (was " + (was == null ? "unknown" : fileName(was)) + ")";
                    if (write(sig, old)) {
                        restored.add(what);
                    } else {
                        System.getLogger(JvmSignalHandlers.class.getName()).log(System.Logger.Level.WARNING,
                                "could not put back the JVM's handler of " + what);
                    }
                }
            }
            if (!restored.isEmpty()) {
                System.getLogger(JvmSignalHandlers.class.getName()).log(System.Logger.Level.DEBUG,
                        "put back the JVM's handlers of " + String.join(", ", restored));
            }
            return restored;
        }
    }

    private static MemorySegment slot(MemorySegment all, int sig) {
        return all.asSlice(SIGACTION_BYTES * sig, SIGACTION_BYTES);
    }

    private static boolean read(int sig, MemorySegment into) {
        try {
            return (int) SIGACTION.invokeExact(sig, MemorySegment.NULL, into) == 0;
        } catch (Error e) {
            throw e;
        } catch (Throwable t) { // a downcall with these arguments does not throw
            return false;
        }
    }

    /** SIGKILL and SIGSTOP refuse a handler; they never differ from their snapshot. */
    private static boolean write(int sig, MemorySegment from) {
        try {
            return (int) SIGACTION.invokeExact(sig, from, MemorySegment.NULL) == 0;
        } catch (Error e) {
            throw e;
        } catch (Throwable t) {
            return false;
        }
    }

    private static String ownerOf(long handler) {
        if (handler == 0) return "SIG_DFL";
        if (handler == 1) return "SIG_IGN";
        if (DLADDR == null) return null;
        try (Arena a = Arena.ofConfined()) {
            // Dl_info: dli_fname, dli_fbase, dli_sname, dli_saddr
            MemorySegment info = a.allocate(4 * ValueLayout.ADDRESS.byteSize());
            int found = (int) DLADDR.invokeExact(MemorySegment.ofAddress(handler), info);
            if (found == 0) return null;
            MemorySegment file = info.get(ValueLayout.ADDRESS, 0);
            return file.equals(MemorySegment.NULL) ? null : file.reinterpret(4096).getString(0);
        } catch (Error e) {
            throw e;
        } catch (Throwable t) { // only ever a name for a message
            return null;
        }
    }

    private static String fileName(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? path : path.substring(slash + 1);
    }
}
