// Norms, RoPE, activations and the small row ops. Activations are f32 views (offset, row
// stride); weights and tables carry their storage dtype as an argument (load_any).

// One work-group per (row, group of groupSize columns), a power-of-two local size of at least 32.
// With a residual: residual += x first and the stored sum is normalized. out may alias x. Each
// thread keeps up to RN_V of its values in registers between the two passes (all loads issued
// together), so a row costs one round trip to memory plus the reduction.
#define RN_V 8
__kernel void rms_norm(__global const float* x, long xOff, int xStride,
                       __global float* res, long rOff, int rStride, int hasRes,
                       __global const uchar* w, int wType, float eps, float wOffset, int groupSize, int groups,
                       __global float* out, long oOff, int oStride, __local float* red) {
    const int row = get_group_id(0) / groups;
    const int c0 = (get_group_id(0) % groups) * groupSize;
    const int t = get_local_id(0);
    const int T = get_local_size(0);
    __global const float* xr = x + xOff + (long)row * xStride + c0;
    __global float* rr = res + rOff + (long)row * rStride + c0;
    float v[RN_V];
    float rv[RN_V];
    float wv[RN_V];
    float ss = 0.f;
    // all loads first: a store may alias a later load for the compiler, which would otherwise
    // serialize one memory round trip per element
#pragma unroll
    for (int i = 0; i < RN_V; i++) {
        const int c = t + i * T;
        v[i] = c < groupSize ? xr[c] : 0.f;
        rv[i] = c < groupSize && hasRes ? rr[c] : 0.f;
        wv[i] = c < groupSize ? wOffset + load_any(w, c, wType) : 0.f;
    }
#pragma unroll
    for (int i = 0; i < RN_V; i++) {
        v[i] += rv[i];
        ss += v[i] * v[i];
    }
    if (hasRes) {
#pragma unroll
        for (int i = 0; i < RN_V; i++) {
            const int c = t + i * T;
            if (c < groupSize) rr[c] = v[i];
        }
    }
    for (int c = t + RN_V * T; c < groupSize; c += T) {
        float a = xr[c];
        if (hasRes) {
            a += rr[c];
            rr[c] = a;
        }
        ss += a * a;
    }
#ifdef JSGL_NV
    ss = warp_sum32(ss);
    if ((t & 31) == 0) red[t >> 5] = ss;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (t == 0) {
        float total = 0.f;
        for (int q = 0; q < T / 32; q++) total += red[q];
        red[0] = total;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
#else
    red[t] = ss;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = T / 2; s > 0; s >>= 1) {
        if (t < s) red[t] += red[t + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
#endif
    const float inv = 1.0f / sqrt(red[0] / (float)groupSize + eps);
    __global float* orow = out + oOff + (long)row * oStride + c0;
#pragma unroll
    for (int i = 0; i < RN_V; i++) {
        const int c = t + i * T;
        if (c < groupSize) orow[c] = v[i] * inv * wv[i];
    }
    for (int c = t + RN_V * T; c < groupSize; c += T) {
        const float a = hasRes ? rr[c] : xr[c];
        orow[c] = a * inv * (wOffset + load_any(w, c, wType));
    }
}

// Rotates pairs of the first rotaryDim channels of every q and k head in place: one work-item
// per (pair, head) of a row, the angle in double where the device has fp64.
#ifdef JSGL_FP64
typedef double freq_t;
#else
typedef float freq_t;
#endif
__kernel void rope(__global float* q, long qOff, int qStride, int qHeads,
                   __global float* k, long kOff, int kStride, int kHeads,
                   __global const int* pos, long pOff, int pStride,
                   __global const freq_t* invFreq, float attnScale, int nPairs, int headDim, int interleaved, int rows) {
    const int idx = get_global_id(0);
    const int r = get_global_id(1);
    if (idx >= nPairs * (qHeads + kHeads) || r >= rows) return;
    const int i = idx % nPairs;
    const int h = idx / nPairs;
    const freq_t angle = (freq_t)pos[pOff + (long)r * pStride] * invFreq[i];
    const float c = (float)(cos(angle) * (freq_t)attnScale);
    const float s = (float)(sin(angle) * (freq_t)attnScale);
    const int c0 = interleaved ? 2 * i : i;
    const int c1 = interleaved ? 2 * i + 1 : i + nPairs;
    __global float* p = h < qHeads ? q + qOff + (long)r * qStride + h * headDim
                                   : k + kOff + (long)r * kStride + (h - qHeads) * headDim;
    const float x0 = p[c0];
    const float x1 = p[c1];
    p[c0] = x0 * c - x1 * s;
    p[c1] = x1 * c + x0 * s;
}

#define ACT_SILU 0
#define ACT_GELU_TANH 1
__kernel void gated_act(__global const float* g, long gOff, int gStride,
                        __global const float* u, long uOff, int uStride,
                        __global float* out, long oOff, int oStride, int cols, int rows, int act) {
    const int c = get_global_id(0);
    const int r = get_global_id(1);
    if (c >= cols || r >= rows) return;
    const float x = g[gOff + (long)r * gStride + c];
    float a;
    if (act == ACT_SILU) {
        a = x / (1.0f + exp(-x));
    } else {
        a = 0.5f * x * (1.0f + tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    }
    out[oOff + (long)r * oStride + c] = a * u[uOff + (long)r * uStride + c];
}

__kernel void add(__global const float* a, long aOff, int aStride,
                  __global const float* b, long bOff, int bStride,
                  __global float* out, long oOff, int oStride, int cols, int rows) {
    const int c = get_global_id(0);
    const int r = get_global_id(1);
    if (c >= cols || r >= rows) return;
    out[oOff + (long)r * oStride + c] = a[aOff + (long)r * aStride + c] + b[bOff + (long)r * bStride + c];
}

// out[r] = src[idx[r]]; an index outside [0, srcRows) yields NaN rows (the host validates first)
__kernel void gather_rows(__global const float* src, long sOff, int sStride, int srcRows,
                          __global const int* idx, long iOff, int iStride,
                          __global float* out, long oOff, int oStride, int cols, int rows) {
    const int c = get_global_id(0);
    const int r = get_global_id(1);
    if (c >= cols || r >= rows) return;
    const int s = idx[iOff + (long)r * iStride];
    out[oOff + (long)r * oStride + c] = (s >= 0 && s < srcRows) ? src[sOff + (long)s * sStride + c] : NAN;
}

// out[r] = table[ids[r]] * scale; an id outside the vocabulary yields a NaN row
__kernel void embedding(__global const uchar* table, int tType, int ld, int vocab,
                        __global const int* ids, long iOff, int iStride,
                        __global float* out, long oOff, int oStride, float scale, int cols, int rows) {
    const int c = get_global_id(0);
    const int r = get_global_id(1);
    if (c >= cols || r >= rows) return;
    const int id = ids[iOff + (long)r * iStride];
    out[oOff + (long)r * oStride + c] = (id >= 0 && id < vocab) ? load_any(table, (long)id * ld + c, tType) * scale : NAN;
}

__kernel void softcap(__global float* x, long xOff, int xStride, float cap, int cols, int rows) {
    const int c = get_global_id(0);
    const int r = get_global_id(1);
    if (c >= cols || r >= rows) return;
    __global float* p = x + xOff + (long)r * xStride + c;
    *p = cap * tanh(*p / cap);
}

// out[r] = the index of row r's largest value, the lowest of equal maxima (NaN never wins): greedy
// sampling on the device, so one int a row comes down instead of the vocabulary. One 256-thread
// work-group a row: strided partial maxima, then a tree over (value, index) pairs in local memory.
__kernel void argmax_rows(__global const float* x, long xOff, int xStride, int cols,
                          __global int* out, long oOff, int oStride) {
    __local float lv[256];
    __local int li[256];
    const int r = get_global_id(1);
    const int t = get_local_id(0);
    const int nt = get_local_size(0);
    __global const float* row = x + xOff + (long)r * xStride;
    float best = -INFINITY;
    int bi = 0;
    for (int c = t; c < cols; c += nt) {
        const float v = row[c];
        if (v > best) { best = v; bi = c; }
    }
    lv[t] = best;
    li[t] = bi;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = nt / 2; s > 0; s >>= 1) {
        if (t < s) {
            const float v = lv[t + s];
            const int i = li[t + s];
            if (v > lv[t] || (v == lv[t] && i < li[t])) { lv[t] = v; li[t] = i; }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (t == 0) out[oOff + (long)r * oStride] = li[0];
}
