package io.jsgl.cpu.kernels;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of daemon platform threads that, with the calling thread, share the chunks of one
 * op at a time. Nothing here allocates per job and nothing is {@code synchronized}.
 *
 * <p>The whole job state is one atomic long, {@code generation | chunk count | next chunk}, and a
 * thread claims a chunk by a compare-and-set on it. The caller waits only for the chunks that were
 * claimed to finish, never for a worker to show up: on a shared machine a worker may be off its
 * core for milliseconds, and the caller then simply takes the remaining chunks itself. Because a
 * claim names its generation, a worker that wakes late cannot take a chunk of a job that is over,
 * and since the caller cannot start the next job while a claimed chunk is running, the task a
 * worker reads after its claim is the one the claim belongs to.
 *
 * <p>Ops of one decode step follow each other within microseconds, so an idle worker spins
 * briefly before it parks: parking and unparking costs tens of microseconds, as much as a small GEMV.
 */
public final class WorkerPool implements AutoCloseable {
    /** How long an idle worker spins before parking, unless the constructor says otherwise. */
    public static final long DEFAULT_SPIN_NANOS = 100_000;
    private static final int BITS = 20;
    private static final long MASK = (1L << BITS) - 1;
    public static final int MAX_CHUNKS = (int) MASK;

    private final int threads;
    private final long spinNanos;
    private final Worker[] workers;
    /** generation (24 bits) | chunks (20 bits) | next chunk (20 bits). */
    private final AtomicLong state = new AtomicLong();
    private final AtomicInteger done = new AtomicInteger();
    private ParallelTask task; // written before the state that publishes it
    private long generation;
    private volatile Throwable failure;
    private volatile boolean closed;
    private volatile IdleWork idleWork;
    /** Counts {@link #idleWork(IdleWork)} calls: a worker remembers which one it finished. */
    private volatile long idleSerial;

    public WorkerPool(int threads) {
        this(threads, DEFAULT_SPIN_NANOS, "jsgl-cpu-worker");
    }

    /**
     * {@code threads} threads in all, the caller included; idle workers spin {@code spinNanos}
     * before parking (a backend that also runs a native pool, such as OpenMP under oneDNN, keeps
     * it short so the two do not fight over cores between ops).
     */
    public WorkerPool(int threads, long spinNanos, String name) {
        this.threads = Math.max(1, threads);
        this.spinNanos = spinNanos;
        this.workers = new Worker[this.threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            Thread t = new Thread(workers[i], name + "-" + (i + 1));
            t.setDaemon(true);
            workers[i].thread = t;
            t.start();
        }
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code task} over chunks {@code [0, chunks)} on every thread, the caller included. */
    public void run(int chunks, ParallelTask task) {
        if (chunks <= 0) return;
        if (workers.length == 0 || chunks == 1) {
            for (int c = 0; c < chunks; c++) task.run(c, 0);
            return;
        }
        if (chunks > MAX_CHUNKS) throw new IllegalArgumentException(chunks + " chunks, at most " + MAX_CHUNKS);
        if (closed) throw new IllegalStateException("backend closed");
        this.task = task;
        this.failure = null;
        done.set(0);
        generation = (generation + 1) & 0xffffff;
        state.set(generation << (2 * BITS) | (long) chunks << BITS);
        for (Worker w : workers) {
            if (w.parked) LockSupport.unpark(w.thread);
        }
        Throwable mine = null;
        try {
            while (true) {
                int c = claim();
                if (c < 0) break;
                task.run(c, 0);
                done.incrementAndGet();
            }
        } catch (Throwable t) {
            mine = t;
            done.incrementAndGet();
            drain();
        }
        for (int spins = 0; done.get() < chunks; spins++) {
            if (spins < 10_000) Thread.onSpinWait();
            else Thread.yield();
        }
        this.task = null;
        Throwable f = mine != null ? mine : failure;
        if (f != null) {
            if (f instanceof RuntimeException r) throw r;
            if (f instanceof Error e) throw e;
            throw new IllegalStateException(f);
        }
    }

    /**
     * What idle workers do between ops from now on, piece by piece ({@code null}: nothing). A
     * worker may still finish a piece of the previous work after this returns.
     */
    public void idleWork(IdleWork work) {
        this.idleWork = work;
        idleSerial++; // only the caller writes it
        if (work == null) return;
        for (Worker w : workers) { // the same Dekker pairing as for ops (see Worker.idle)
            if (w.parked) LockSupport.unpark(w.thread);
        }
    }

    /** Takes the next chunk of the current job, or returns -1 when none is left. */
    private int claim() {
        while (true) {
            long s = state.get();
            long next = s & MASK;
            if (next >= ((s >>> BITS) & MASK)) return -1;
            if (state.compareAndSet(s, s + 1)) return (int) next;
        }
    }

    /** After a failure: claims every remaining chunk without running it, so the job ends promptly. */
    private void drain() {
        for (int c = claim(); c >= 0; c = claim()) done.incrementAndGet();
    }

    private boolean workAvailable() {
        long s = state.get();
        return (s & MASK) < ((s >>> BITS) & MASK);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w.thread);
        for (Worker w : workers) {
            try {
                w.thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private final class Worker implements Runnable {
        final int id;
        Thread thread;
        volatile boolean parked;
        /** The {@link #idleSerial} of the idle work this worker finished or dropped. */
        long idleDone = -1;

        Worker(int id) {
            this.id = id;
        }

        @Override
        public void run() {
            while (!closed) {
                int c = claim();
                if (c < 0) {
                    idle();
                    continue;
                }
                try {
                    task.run(c, id); // the job cannot change while our claimed chunk is unfinished
                } catch (Throwable t) {
                    failure = t;
                    drain();
                } finally {
                    done.incrementAndGet();
                }
            }
        }

        private void idle() {
            long spinStart = System.nanoTime();
            while (!workAvailable() && !closed) {
                if (idleWorkLeft()) {
                    long serial = idleSerial;
                    IdleWork work = idleWork;
                    if (work != null && idleStep(work)) {
                        spinStart = System.nanoTime(); // the spin before parking counts from the last piece
                        continue;
                    }
                    idleDone = serial;
                }
                if (System.nanoTime() - spinStart < spinNanos) {
                    Thread.onSpinWait();
                    continue;
                }
                // Dekker with the caller: it publishes the state then reads parked; we write
                // parked then re-read the state, so one of us always sees the other.
                parked = true;
                if (!workAvailable() && !closed && !idleWorkLeft()) LockSupport.park(this);
                parked = false;
                spinStart = System.nanoTime();
            }
        }

        private boolean idleWorkLeft() {
            return idleSerial != idleDone && idleWork != null;
        }

        /** A piece of idle work; work that fails is dropped, since it is only ever an optimization. */
        private boolean idleStep(IdleWork work) {
            try {
                return work.step(id);
            } catch (RuntimeException e) {
                return false;
            }
        }
    }
}
