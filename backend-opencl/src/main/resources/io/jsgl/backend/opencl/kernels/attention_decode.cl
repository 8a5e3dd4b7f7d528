// Decode attention: every row of the batch is the one new token of its own sequence. One
// work-group of AD_T threads (AD_W warps) per (row, kv head, block of up to AD_MAXG query heads of
// that kv head); no key splits and no device-wide synchronization: the work-group reads all of
// its keys, so a step is a few dependent memory round trips (row info, slots, K and V together)
// instead of the split kernel's ~10 (attention.cl's attention_w, kept for long contexts).
// Keys: warp w takes the chunks of 32 keys w, w + AD_W, ... (lane = key for the scores; all lanes
// over the chunk's keys for the values, lane l owning channels 2l, 2l+1 (+64)); every warp runs
// the same number of chunk iterations, so work-group barriers stay uniform; each warp keeps an
// online softmax (max, per-lane sums, accumulators) in registers, and the warps merge in local
// memory at the end.
// With fused = 1 the work-group first does what rope_kv_store does for its row and heads: RoPE on
// its q heads and on the kv head's k (written back), the new k and v stored into the row's new
// slot; the new key (index pos) then takes its k and v from local memory (rounded to the KV
// storage type, as a reload would give) rather than from the pool. The host fuses only when one
// work-group covers the kv head (no other work-group reads that k).
// kv_t, LOADKV*, STOREKV and rfreq_t come from kv.cl. AD_UNROLL_V (the value loop over a chunk's
// 32 keys: every load in flight at once) is substituted by the host: 32 on GPUs; on CPU devices
// every loop is left rolled (PoCL would otherwise spend minutes compiling 512-item work-groups).
// The loads are unconditional (masked afterwards): loads under a branch were issued one round trip
// at a time (53 us a layer on the H100 at ~530 keys).

// Built per (KV type, AD_W warps, AD_MAXG heads, AD_VC, AD_HD), so registers are sized to the model:
// AD_MAXG query heads per work-group (4 or 8), AD_VC 64-channel blocks of a value row a lane
// covers (1: vd <= 64, 2: vd <= 128).
#ifndef AD_W
#define AD_W 16
#endif
#ifndef AD_MAXG
#define AD_MAXG 8
#endif
#ifndef AD_VC
#define AD_VC 2
#endif
#ifndef AD_HD
#define AD_HD 64      // the k head dim (hd), a compile-time constant so the K-row loop unrolls fully
#endif
#define AD_T (AD_W * 32)
#define AD_MAXD 128   // head dims (k and v) up to this; hd % 8 == 0, vd % 2 == 0 (host checks)
#define AD_YN (((AD_MAXG + 1) * AD_MAXD + AD_T - 1) / AD_T)

#if KVT == DT_F32
#define LOADKV2(p) vload2(0, (p))
#elif KVT == DT_F16
#define LOADKV2(p) vload_half2(0, (p))
#else
inline float2 loadkv2_bf16(__global const ushort* p) {
    const ushort2 u = vload2(0, p);
    return (float2)(bf16_to_float(u.x), bf16_to_float(u.y));
}
#define LOADKV2(p) loadkv2_bf16(p)
#endif

__kernel __attribute__((reqd_work_group_size(AD_T, 1, 1)))
void attention_d(__global float* q, long qOff, int qStride,
                 __global float* k, long kOff, int kStride,
                 __global const float* v, long vOff, int vStride,
                 __global kv_t* kc, __global kv_t* vc,
                 __global float* out, long oOff, int oStride,
                 __global const int* tab, int rowPosOff, int rowBaseOff, int newSlotsOff,
                 int heads, int kvHeads, int hd, int vd, int hb, int nhb,
                 float scale, int window, float softCap,
                 int fused, __global const int* rpos, long pOff, int pStride,
                 __global const rfreq_t* invFreq, float attnScale, int nPairs, int interleaved) {
    __local float ql[AD_MAXG * AD_MAXD];
    __local float kn[AD_MAXD];
    __local float vn[AD_MAXD];
#if KVT == DT_F16
    __local ushort rndu[2 * AD_MAXD];   // no half variables without cl_khr_fp16; a pointer is fine
    __local half* rnd = (__local half*)rndu;
#else
    __local kv_t rnd[2 * AD_MAXD];      // the new k and v rounded to the KV storage type
#endif
    __local float csl[AD_MAXD / 2];
    __local float snl[AD_MAXD / 2];
    __local int sl[AD_W][32];
    __local float pl[AD_W][AD_MAXG][32];
    __local float wm[AD_W][AD_MAXG];
    __local float wl[AD_W][AD_MAXG];
    __local float wacc[AD_W][AD_MAXD];
    int g = get_group_id(0);
    const int hbi = g % nhb;
    g /= nhb;
    const int kvh = g % kvHeads;
    const int row = g / kvHeads;
    const int t = get_local_id(0);
    const int lane = t & 31;
    const int wp = t >> 5;
    const int group = heads / kvHeads;
    const int h0 = kvh * group + hbi * hb;
    const int nh = min(hb, group - hbi * hb);
    // independent loads: the row's position, the start of its keys in the slot table, its new slot
    const int pos = tab[rowPosOff + row];
    const int base = tab[rowBaseOff + row];
    const int first = window > 0 ? max(0, pos - window + 1) : 0;
    const int end = pos + 1;
    const int kw = kvHeads * hd;
    const int vw = kvHeads * vd;

    __global float* qr = q + qOff + (long)row * qStride + (long)h0 * hd;
    if (fused) {
        const long slot = tab[newSlotsOff + row];
        __global float* kr = k + kOff + (long)row * kStride + (long)kvh * hd;
        __global const float* vr = v + vOff + (long)row * vStride + (long)kvh * vd;
        const int p = nPairs > 0 ? rpos[pOff + (long)row * pStride] : 0;
        for (int i = t; i < nPairs; i += AD_T) {
            const rfreq_t angle = (rfreq_t)p * invFreq[i];
            csl[i] = (float)(cos(angle) * (rfreq_t)attnScale);
            snl[i] = (float)(sin(angle) * (rfreq_t)attnScale);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        // rotated q heads of the block and the kv head's k (item nh * hd + d), then written back
        float y[AD_YN];
#pragma unroll
        for (int j = 0; j < AD_YN; j++) {
            const int idx = t + j * AD_T;
            y[j] = 0.f;
            if (idx < (nh + 1) * hd) {
                const int i = idx / hd;
                const int d = idx - i * hd;
                __global const float* src = i < nh ? qr + i * hd : kr;
                int pi = -1;
                int partner = d;
                bool lo = true;
                if (interleaved) {
                    if (d < 2 * nPairs) {
                        pi = d >> 1;
                        partner = d ^ 1;
                        lo = (d & 1) == 0;
                    }
                } else if (d < 2 * nPairs) {
                    pi = d < nPairs ? d : d - nPairs;
                    lo = d < nPairs;
                    partner = lo ? d + nPairs : d - nPairs;
                }
                const float x0 = src[d];
                if (pi < 0) {
                    y[j] = x0;
                } else {
                    const float xp = src[partner];
                    y[j] = lo ? x0 * csl[pi] - xp * snl[pi] : x0 * csl[pi] + xp * snl[pi];
                }
            }
        }
        float vv = t < vd ? vr[t] : 0.f;
        barrier(CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE);
#pragma unroll
        for (int j = 0; j < AD_YN; j++) {
            const int idx = t + j * AD_T;
            if (idx < nh * hd) {
                qr[idx] = y[j];
                ql[idx] = y[j] * scale;
            } else if (idx < (nh + 1) * hd) {
                const int d = idx - nh * hd;
                kr[d] = y[j];
                STOREKV(kc, slot * kw + (long)kvh * hd + d, y[j]);
                STOREKV(rnd, d, y[j]);
            }
        }
        if (t < vd) {
            STOREKV(vc, slot * vw + (long)kvh * vd + t, vv);
            STOREKV(rnd, AD_MAXD + t, vv);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (t < hd) kn[t] = LOADKV(rnd, t);
        if (t < vd) vn[t] = LOADKV(rnd, AD_MAXD + t);
    } else {
        for (int i = t; i < nh * hd; i += AD_T) ql[i] = qr[i] * scale;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    float mx[AD_MAXG];
    float ls[AD_MAXG];
    float acc[AD_MAXG][2 * AD_VC];
#pragma unroll
    for (int i = 0; i < AD_MAXG; i++) {
        mx[i] = -INFINITY;
        ls[i] = 0.f;
#pragma unroll
        for (int c = 0; c < 2 * AD_VC; c++) acc[i][c] = 0.f;
    }
    const int chunks = (end - first + 31) >> 5;
    const int iters = (chunks + AD_W - 1) / AD_W;
    __global const kv_t* kb = kc + (long)kvh * hd;
    __global const kv_t* vb = vc + (long)kvh * vd + 2 * lane;
    for (int it = 0; it < iters; it++) {
        const int c0 = first + ((it * AD_W + wp) << 5);
        const int key = c0 + lane;
        const bool valid = key < end;
        // branch-free: every lane loads a K row (slot 0 for keys past the end), so all of a chunk's
        // K loads are in flight at once; the new key's row comes from local memory instead
        const int slot = valid ? tab[base + key] : 0;
        const bool isNew = fused && key == pos;
        __global const kv_t* kr2 = kb + (long)slot * kw;
        float s[AD_MAXG];
#pragma unroll
        for (int i = 0; i < AD_MAXG; i++) s[i] = 0.f;
#pragma unroll
        for (int d = 0; d < AD_HD; d += 8) {
            const float8 kg = LOADKV8(kr2 + d);
            const float8 kv8 = isNew ? vload8(0, kn + d) : kg;
#pragma unroll
            for (int i = 0; i < AD_MAXG; i++) {
                if (i < nh) {
                    const float8 qv = vload8(0, ql + i * AD_HD + d);
                    s[i] += dot(qv.lo, kv8.lo) + dot(qv.hi, kv8.hi);
                }
            }
        }
#pragma unroll
        for (int i = 0; i < AD_MAXG; i++) {
            if (softCap > 0.f) s[i] = softCap * tanh(s[i] / softCap);
            s[i] = valid ? s[i] : -INFINITY;
        }
        // the chunk's max per head over the warp
        float cm[AD_MAXG];
#ifdef JSGL_NV
#pragma unroll
        for (int i = 0; i < AD_MAXG; i++) cm[i] = i < nh ? warp_max32(s[i]) : -INFINITY;
#else
#pragma unroll
        for (int i = 0; i < AD_MAXG; i++) {
            if (i < nh) pl[wp][i][lane] = s[i];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
#pragma unroll
        for (int i = 0; i < AD_MAXG; i++) {
            float m = -INFINITY;
            if (i < nh) {
                for (int j = 0; j < 32; j++) m = fmax(m, pl[wp][i][j]);
            }
            cm[i] = m;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
#endif
#pragma unroll
        for (int i = 0; i < AD_MAXG; i++) {
            if (i < nh) {
                const float mn = fmax(mx[i], cm[i]);
                const float alpha = mn == -INFINITY ? 1.f : exp(mx[i] - mn);
                mx[i] = mn;
                const float pv = valid ? exp(s[i] - mn) : 0.f;
                ls[i] = ls[i] * alpha + pv;
#pragma unroll
                for (int c = 0; c < 2 * AD_VC; c++) acc[i][c] *= alpha;
                pl[wp][i][lane] = pv;
            }
        }
        sl[wp][lane] = slot;
        barrier(CLK_LOCAL_MEM_FENCE);
        // every lane loads key j's value channels for all 32 keys unconditionally (so the loads issue
        // together); keys past the end are masked to zero, the new key's values come from local memory
        const int n = min(32, end - c0);
#pragma unroll AD_UNROLL_V
        for (int j = 0; j < 32; j++) {
            __global const kv_t* vr2 = vb + (long)sl[wp][j] * vw;
            const bool nj = fused && c0 + j == pos;
            float2 vv[AD_VC];
#pragma unroll
            for (int c = 0; c < AD_VC; c++) {
                const int ch = 2 * lane + 64 * c;
                const float2 vg = ch < vd ? LOADKV2(vr2 + 64 * c) : (float2)(0.f);
                const float2 v2 = nj ? vload2(0, vn + ch) : vg;
                vv[c] = j < n ? v2 : (float2)(0.f);
            }
#pragma unroll
            for (int i = 0; i < AD_MAXG; i++) {
                if (i < nh) {
                    const float pv = pl[wp][i][j];
#pragma unroll
                    for (int c = 0; c < AD_VC; c++) {
                        acc[i][2 * c] += pv * vv[c].x;
                        acc[i][2 * c + 1] += pv * vv[c].y;
                    }
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    // the warps meet: each warp's max and sum per head, then per head the accumulators
#pragma unroll
    for (int i = 0; i < AD_MAXG; i++) {
        if (i < nh) pl[wp][i][lane] = ls[i];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lane < nh) {
        float l = 0.f;
        for (int j = 0; j < 32; j++) l += pl[wp][lane][j];
        wl[wp][lane] = l;
    }
#pragma unroll
    for (int i = 0; i < AD_MAXG; i++) {
        if (lane == i && i < nh) wm[wp][i] = mx[i];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
#pragma unroll
    for (int i = 0; i < AD_MAXG; i++) {
        if (i < nh) {
#pragma unroll
            for (int c = 0; c < AD_VC; c++) {
                const int ch = 2 * lane + 64 * c;
                if (ch < vd) {
                    wacc[wp][ch] = acc[i][2 * c];
                    wacc[wp][ch + 1] = acc[i][2 * c + 1];
                }
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            if (t < vd) {
                float m = -INFINITY;
                for (int w = 0; w < AD_W; w++) m = fmax(m, wm[w][i]);
                float num = 0.f;
                float den = 0.f;
                for (int w = 0; w < AD_W; w++) {
                    const float e = wm[w][i] == -INFINITY ? 0.f : exp(wm[w][i] - m);
                    num += e * wacc[w][t];
                    den += e * wl[w][i];
                }
                out[oOff + (long)row * oStride + (long)(h0 + i) * vd + t] = num / den;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
    }
}
