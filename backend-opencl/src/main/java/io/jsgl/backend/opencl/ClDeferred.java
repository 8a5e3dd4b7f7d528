package io.jsgl.backend.opencl;

import io.jsgl.spi.Tensor;
import io.jsgl.spi.op.LinearArgs;
import io.jsgl.spi.op.RmsNormArgs;
import io.jsgl.spi.op.RopeArgs;

/**
 * The op {@link OpenClBackend} holds back by one call so that it can fuse with the next (see its
 * {@code flushPending}): a decode linear (which may absorb the RMSNorm or gated activation that
 * follows, and may carry a norm prologue), a split RMSNorm waiting for the GEMV that reads its
 * output, or a RoPE waiting for its attention. Only state: the backend decides and launches.
 */
final class ClDeferred {
    /** A decode linear and its rows, or null. */
    LinearArgs linear;
    int linearRows;
    /**
     * With opencl.normPrologue: the RMSNorm the deferred linear runs as its prologue (normalizing
     * {@link #linearNormX}, whose residual add already ran), or null.
     */
    RmsNormArgs linearNorm;
    Tensor linearNormX;
    /** With opencl.normPrologue: an RMSNorm of {@link #normX} (residual add done) for the next GEMV's prologue, or null. */
    RmsNormArgs norm;
    Tensor normX;
    int normRows;
    /** A RoPE for the attention that follows (RoPE + KV store in one launch, or inside attention_s), or null. */
    RopeArgs rope;
    int ropeRows;
}
