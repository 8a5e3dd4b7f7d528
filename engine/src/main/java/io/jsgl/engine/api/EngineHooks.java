package io.jsgl.engine.api;

/**
 * Observation points inside the scheduler loop, for tests, the conformance kit and debugging; not
 * for serving traffic. Every method runs on the scheduler thread between steps, so it must be
 * quick and must not block on the engine (calling {@code Engine.abort} is fine). An exception
 * thrown from a hook fails the engine like any scheduler error: every live request gets it.
 */
public interface EngineHooks {
    /** No hooks: the default of {@code Engine.open(config)}. */
    EngineHooks NONE = new EngineHooks() {
        @Override
        public boolean wantsLogits() {
            return false;
        }
    };

    /**
     * Whether to check the KV slot accounting and the prefix tree's invariants after every step
     * (as {@code -Djsgl.checkInvariants=true} does for every engine). A violation fails the engine
     * with a message naming it; {@code Engine.invariantChecks()} counts the checks that ran.
     */
    default boolean checkInvariants() {
        return false;
    }

    /**
     * The logits a sequence's next token is about to be sampled from, before any sampling
     * transform. {@code position} is the number of tokens (prompt and outputs) the sequence has,
     * i.e. the index of the token these logits predict. {@code logits} (vocab-size floats) is
     * reused after the call returns: copy what you keep.
     */
    default void onLogits(String rid, int sequence, int position, float[] logits) {}

    /**
     * Whether {@link #onLogits} must see every sampled row. True by default; hooks that only check
     * invariants or count steps return false, so that steps of plain greedy requests may still pick
     * their tokens on the backend (no logits come down then).
     */
    default boolean wantsLogits() {
        return true;
    }

    /** After each step that ran a forward pass ({@code step} counts from 1), once its tokens are sampled. */
    default void afterStep(long step) {}
}
