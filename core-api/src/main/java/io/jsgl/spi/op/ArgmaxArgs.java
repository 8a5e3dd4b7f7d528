package io.jsgl.spi.op;

import io.jsgl.spi.DType;
import io.jsgl.spi.Tensor;

/**
 * {@code out[r] = argmax_j x[r][j]}, the lowest index among equal maxima: greedy sampling where
 * the logits are, so that a device backend sends down one I32 a row instead of the vocabulary.
 */
public record ArgmaxArgs(Tensor x, Tensor out) {
    public ArgmaxArgs {
        if (x.dtype() != DType.F32) throw new IllegalArgumentException("argmax reads f32 rows, not " + x.dtype());
        if (out.dtype() != DType.I32) throw new IllegalArgumentException("argmax writes I32 indices, not " + out.dtype());
        if (out.cols() != 1) throw new IllegalArgumentException("argmax writes one index a row, not " + out.cols());
    }
}
