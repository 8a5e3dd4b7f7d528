package io.jsgl.spi;

/** Every operation of the SPI, used in capability descriptors and placement reports. */
public enum Op {
    EMBEDDING, LINEAR, RMS_NORM, ROPE, GATED_ACTIVATION, ATTENTION, ADD, GATHER_ROWS, SOFTCAP, MOE, ALL_REDUCE,
    /** Multi-head latent attention over a {@link KvCacheSpec.Layout#LATENT} pool (DeepSeek-V2/V3). */
    MLA_ATTENTION,
    /** Greedy sampling on the backend: the index of each row's largest logit (optional). */
    ARGMAX
}
