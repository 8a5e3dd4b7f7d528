package io.jsgl.backend.amx;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * Finds oneDNN: takes {@code libdnnl.so.3} and the OpenMP runtime it was built against
 * ({@code libgomp.so.1}) out of the {@code org.bytedeco:dnnl:…:linux-x86_64} jar, plus
 * {@code libOpenCL.so.1} from {@code org.bytedeco:opencl} (oneDNN's OpenCL GPU runtime may
 * {@code dlopen} it; the CPU engine never needs it), into a per-user cache directory, and opens
 * them with {@link SymbolLookup#libraryLookup}. Nothing of JavaCPP runs.
 *
 * <p>The cache is {@code $jsgl.amx.cache-dir}, else {@code $XDG_CACHE_HOME/jsgl/native}, else
 * {@code ~/.cache/jsgl/native}, falling back to {@code java.io.tmpdir} when that is not writable;
 * a sub-folder names the artifact version, so two jsgl versions never share files. Files are written
 * to a temporary name and moved into place, so two JVMs extracting at once never see half a library.
 * libdnnl's RUNPATH is {@code $ORIGIN}, so it finds the libgomp beside it.
 */
final class NativeLibs {
    static final String DNNL_DIR = "/org/bytedeco/dnnl/linux-x86_64/";
    static final String OPENCL_DIR = "/org/bytedeco/opencl/linux-x86_64/";

    /** What was loaded, and from where. */
    record Loaded(Path dir, String artifactVersion, SymbolLookup dnnl, SymbolLookup gomp) {}

    private static Loaded loaded;
    private static RuntimeException failure;

    private NativeLibs() {}

    /** Loads once per JVM (class loader); later calls return the same libraries or rethrow the first failure. */
    static synchronized Loaded load() {
        if (loaded != null) return loaded;
        if (failure != null) throw failure;
        try {
            loaded = doLoad();
            return loaded;
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } catch (IOException | LinkageError e) {
            failure = new IllegalStateException("cannot load oneDNN: " + e, e);
            throw failure;
        }
    }

    private static Loaded doLoad() throws IOException {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (!os.toLowerCase().startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new IllegalStateException("oneDNN natives are packaged here for linux-x86_64 only; this is "
                    + os + "/" + arch);
        }
        URL dnnlUrl = NativeLibs.class.getResource(DNNL_DIR + "libdnnl.so.3");
        if (dnnlUrl == null) {
            throw new IllegalStateException("libdnnl.so.3 is not on the class path: add "
                    + "org.bytedeco:dnnl:3.11-1.5.13:linux-x86_64 next to this backend's jar");
        }
        String version = artifactVersion();
        Path dir = cacheRoot().resolve("dnnl-" + version + "-linux-x86_64");
        Files.createDirectories(dir);
        Path gomp = extract(DNNL_DIR + "libgomp.so.1", dir, true);
        Path dnnl = extract(DNNL_DIR + "libdnnl.so.3", dir, true);
        extract(OPENCL_DIR + "libOpenCL.so.1", dir, false);
        tuneOpenMp();
        // libgomp first, so that the soname libdnnl asks for is the one already mapped
        SymbolLookup gompLookup = SymbolLookup.libraryLookup(gomp, Arena.global());
        SymbolLookup dnnlLookup = SymbolLookup.libraryLookup(dnnl, Arena.global());
        return new Loaded(dir, version, dnnlLookup, gompLookup);
    }

    private static String artifactVersion() {
        try (InputStream in = NativeLibs.class.getResourceAsStream("/META-INF/maven/org.bytedeco/dnnl/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null && v.matches("[A-Za-z0-9._-]+")) return v;
            }
        } catch (IOException e) {
            // fall through to the version this module was built with
        }
        return "3.11-1.5.13";
    }

    static Path cacheRoot() {
        String explicit = System.getProperty("jsgl.amx.cache-dir");
        if (explicit != null && !explicit.isBlank()) return Path.of(explicit);
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        Path candidate = base.resolve("jsgl").resolve("native");
        try {
            Files.createDirectories(candidate);
            if (Files.isWritable(candidate)) return candidate;
        } catch (IOException | SecurityException e) {
            // not writable: use the temporary directory
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "jsgl-native-" + System.getProperty("user.name", "user"));
    }

    /** Copies a resource into {@code dir} unless a file of the same size is already there. */
    private static Path extract(String resource, Path dir, boolean required) throws IOException {
        String name = resource.substring(resource.lastIndexOf('/') + 1);
        Path target = dir.resolve(name);
        URL url = NativeLibs.class.getResource(resource);
        if (url == null) {
            if (required) throw new IllegalStateException("resource " + resource + " is missing from the class path");
            return null;
        }
        URLConnection conn = url.openConnection();
        conn.setUseCaches(false); // never share a JarFile the engine's plugin loader may close
        long size = conn.getContentLengthLong();
        if (size > 0 && Files.isRegularFile(target) && Files.size(target) == size) return target;
        Path tmp = Files.createTempFile(dir, name + ".", ".part");
        try (InputStream in = conn.getInputStream()) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    /**
     * libgomp reads its settings from the environment once, when it loads. After a parallel region
     * its threads spin (300,000 rounds by default) before sleeping; on a machine whose cores the
     * backend's own Java workers share, that spinning steals the cores from the next non-matmul op.
     * Unless the user set it, {@code GOMP_SPINCOUNT} is set here, before libgomp loads, to
     * {@code jsgl.amx.gomp-spincount} (default below: 0, threads sleep at once, as with
     * {@code OMP_WAIT_POLICY=passive}). On the 16-core Sapphire Rapids, Llama-3.2-1B bf16 prefill
     * (512 tokens) ran at 701-878 tok/s with 30000 and 961-1153 with 0 (device log amx-run-2026-11-21c.txt).
     */
    private static void tuneOpenMp() {
        if (System.getenv("GOMP_SPINCOUNT") != null || System.getenv("OMP_WAIT_POLICY") != null) return;
        String spin = System.getProperty("jsgl.amx.gomp-spincount", DEFAULT_GOMP_SPINCOUNT);
        if (spin.isBlank()) return;
        setenv("GOMP_SPINCOUNT", spin);
    }

    static final String DEFAULT_GOMP_SPINCOUNT = "0";

    /** libc's setenv, for variables a native library reads when it loads. */
    static void setenv(String name, String value) {
        Linker linker = Linker.nativeLinker();
        MemorySegment fn = linker.defaultLookup().find("setenv").orElse(null);
        if (fn == null) return;
        MethodHandle setenv = linker.downcallHandle(fn, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) setenv.invokeExact(a.allocateFrom(name), a.allocateFrom(value), 1);
            if (rc != 0) throw new IllegalStateException("setenv " + name + " failed");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
