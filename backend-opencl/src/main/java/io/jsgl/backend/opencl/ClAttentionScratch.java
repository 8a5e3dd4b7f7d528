package io.jsgl.backend.opencl;

/**
 * The attention kernels' key-split scratch, shared by every layer of a step: the partial results of
 * the splits and the device-wide counters of the last-split merges. The counters start at zero and
 * every merge resets the one it used, so a buffer that grows is zeroed once, when it is created.
 */
final class ClAttentionScratch {
    private final OpenClBackend owner;
    private ClBuffer partials;
    private ClBuffer counters;

    ClAttentionScratch(OpenClBackend owner) {
        this.owner = owner;
        this.counters = owner.zeroed(4096);
    }

    /** A partials buffer of at least {@code bytes} (contents not kept when it grows; half again, against regrowth). */
    ClBuffer partials(long bytes) {
        if (partials == null || partials.byteSize() < bytes) {
            if (partials != null) partials.close();
            partials = owner.createBuffer(bytes + bytes / 2);
        }
        return partials;
    }

    /** The counters, at least {@code n} of them, all zero outside a launch. */
    ClBuffer counters(long n) {
        if (counters.byteSize() < 4 * n) {
            counters.close();
            counters = owner.zeroed(8 * n);
        }
        return counters;
    }

    /** The counters as they are (kernels that take the argument without using it). */
    ClBuffer counters() {
        return counters;
    }

    void close() {
        if (partials != null) partials.close();
        counters.close();
    }
}
