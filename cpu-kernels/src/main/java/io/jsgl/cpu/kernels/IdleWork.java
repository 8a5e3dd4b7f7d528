package io.jsgl.cpu.kernels;

/**
 * Work an idle {@link WorkerPool} worker may do while it waits for the next op, such as pulling
 * the next op's weights into its cache: a memory-bound decode step loses a core's share of the
 * bandwidth whenever that core waits on the caller's serial work.
 */
@FunctionalInterface
public interface IdleWork {
    /**
     * One short piece of the work for worker {@code worker} (a microsecond or so: the worker looks
     * for a new op only between pieces). Returns false when this worker has nothing left to do.
     */
    boolean step(int worker);
}
