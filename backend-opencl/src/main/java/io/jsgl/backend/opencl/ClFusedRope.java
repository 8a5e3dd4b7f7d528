package io.jsgl.backend.opencl;

import io.jsgl.spi.op.RopeArgs;
import io.jsgl.spi.rope.RopeConfig;
import io.jsgl.spi.rope.RopeStyle;

/**
 * The RoPE tail of the attention kernels that rotate q and k themselves ({@code attention_d},
 * {@code attention_s}): the positions view, the inverse frequencies, the attention scale, the
 * rotated pairs and the interleaving. With no RoPE ({@code rope} null) the scalars are neutral and
 * {@code pos} and {@code freqs} are whatever placeholder buffer the caller passes.
 */
final class ClFusedRope {
    private ClFusedRope() {}

    static ClKernel args(ClKernel k, RopeArgs rope, ClBuffer pos, ClBuffer freqs) {
        return k.mem(pos).l(rope == null ? 0 : rope.positions().offset()).i(rope == null ? 0 : rope.positions().rowStride())
                .mem(freqs).f(rope == null ? 1f : (float) rope.rope().attentionScale())
                .i(rope == null ? 0 : rope.rope().rotaryDim() / 2)
                .i(rope == null ? 0 : interleaved(rope.rope()));
    }

    /** The kernels' interleaving flag: 1 for pairs of adjacent channels (GPT-J), 0 for halves (NeoX). */
    static int interleaved(RopeConfig rope) {
        return rope.style() == RopeStyle.INTERLEAVED ? 1 : 0;
    }
}
