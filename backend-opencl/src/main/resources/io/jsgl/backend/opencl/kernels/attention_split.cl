// Decode attention with key splits, tiled through local memory (attention_s; ClSplitAttention).
// Every row of the batch is the one new token of its own sequence, and its new key's slot is the
// slot table's entry at its position (the host checks both). One work-group of AS_T threads per
// (row, kv head, split of AS_SL keys); it takes every query head of the kv head (AS_HB >= group).
// The dependent memory round trips are few and wide, which is what a decode step at bs=1 is short of:
//   1. the row's position, slot-table start and new slot; the raw q heads; the fresh k and v; the
//      RoPE frequencies
//   2. the split's slot ids (and the RoPE angles, computed)
//   3. the split's K and V rows together, 16 bytes a load, into local memory (K rows padded by 16
//      bytes so a warp's lanes, one key each, read distinct banks); the new key's k and v come from
//      the fresh q|k|v (rotated, rounded to the KV type as a reload from the pool would give)
//   4. scores (warp = head, lane = key), softmax within the warp, values (thread = head, channel
//      pair), the partial (max, sum, accumulators) to `part`, a device-wide counter; the split that
//      holds the new key also writes the rotated k back and stores the new k and v into the new slot
//   5. the last split of a (row, kv head) to finish merges the partials (every split's loads in
//      flight together) and writes the rotated q back.
// With one split a row there is no counter and step 5 follows step 4 in the same work-group.
// Built per (KVT, AS_HD, AS_VD, AS_HB, AS_SL, AS_MB: splits' partials the merge loads at once).
// kv_t, STOREKV and rfreq_t come from kv.cl.

#define AS_T 128
#define AS_W (AS_T / 32)
#define AS_ES ((int)sizeof(kv_t))
#define AS_CK (AS_HD * AS_ES / 16)        // 16-byte chunks of a K row (host: AS_HD * AS_ES % 16 == 0)
#define AS_CV (AS_VD * AS_ES / 16)        // and of a V row
#define AS_KS (AS_HD + 16 / AS_ES)        // local K row stride in kv_t: one 16-byte pad
#define AS_KS16 (AS_KS * AS_ES / 16)      // the same in 16-byte units
#define AS_NCH (AS_SL * (AS_CK + AS_CV))  // chunks of a split's tile
#define AS_KR ((AS_HD + AS_T - 1) / AS_T)   // fresh k channels a thread holds
#define AS_VR ((AS_VD + AS_T - 1) / AS_T)   // and v channels

// a 16-byte chunk of a local tile as floats (AS_VPC of them), and its dot product with q
#if KVT == DT_F32
#define AS_VPC 4
inline float asp_dotc(__local const float* q, __local const uint4* p) { return dot(vload4(0, q), as_float4(*p)); }
#else
#define AS_VPC 8
inline float asp_dotc(__local const float* q, __local const uint4* p) {
#if KVT == DT_F16
    const float8 k = vload_half8(0, (__local const half*)p);
#else
    const uint4 u = *p;
    const float8 k = (float8)(as_float(u.x << 16), as_float(u.x & 0xffff0000u), as_float(u.y << 16),
                              as_float(u.y & 0xffff0000u), as_float(u.z << 16), as_float(u.z & 0xffff0000u),
                              as_float(u.w << 16), as_float(u.w & 0xffff0000u));
#endif
    return dot(vload4(0, q), k.lo) + dot(vload4(1, q), k.hi);
}
#endif

// RoPE of channel d of a head (NEOX halves or interleaved pairs over the first 2 nPairs channels):
// the channel it pairs with (d itself when unrotated), and the rotated value from both
inline int asp_partner(int d, int rope, int nPairs, int interleaved) {
    if (!rope || d >= 2 * nPairs) return d;
    return interleaved ? d ^ 1 : (d < nPairs ? d + nPairs : d - nPairs);
}

// (a macro, not a function taking __local pointers: PoCL 3.1 returned 0 from such a function here)
#define ASP_ROT(x0, xp, d, cs, sn) \
    ((!rope || (d) >= 2 * nPairs) ? (x0) \
     : ((interleaved ? ((d) & 1) == 0 : (d) < nPairs) \
            ? (x0) * cs[interleaved ? (d) >> 1 : (d)] - (xp) * sn[interleaved ? (d) >> 1 : (d)] \
            : (x0) * cs[interleaved ? (d) >> 1 : (d) - nPairs] + (xp) * sn[interleaved ? (d) >> 1 : (d) - nPairs]))

__kernel __attribute__((reqd_work_group_size(AS_T, 1, 1)))
void attention_s(__global float* q, long qOff, int qStride,
                 __global float* k, long kOff, int kStride,
                 __global const float* v, long vOff, int vStride,
                 __global kv_t* kc, __global kv_t* vc,
                 __global float* out, long oOff, int oStride,
                 __global float* part, __global int* counters,
                 __global const int* tab, int rowPosOff, int rowBaseOff, int newSlotsOff,
                 int heads, int kvHeads, float scale, int window, float softCap, int nsplit,
                 int rope, __global const int* rpos, long pOff, int pStride,
                 __global const rfreq_t* invFreq, float attnScale, int nPairs, int interleaved) {
    __local uint4 kt4[AS_SL * AS_KS16];
    __local uint4 vt4[AS_SL * AS_CV];
    __local float ql[AS_HB * AS_HD];
    __local float pl[AS_HB][AS_SL];
    __local float mls[AS_HB];
    __local float lls[AS_HB];
    __local float csl[AS_HD / 2];
    __local float snl[AS_HD / 2];
    __local int sl[AS_SL];
    __local int last;
    int g = get_group_id(0);
    const int split = g % nsplit;
    g /= nsplit;
    const int gidx = g;
    const int kvh = g % kvHeads;
    const int row = g / kvHeads;
    const int t = get_local_id(0);
    const int lane = t & 31;
    const int wp = t >> 5;
    const int nh = heads / kvHeads;   // <= AS_HB (host)
    const int h0 = kvh * nh;
    const int kw = kvHeads * AS_HD;
    const int vw = kvHeads * AS_VD;

    // round trip 1: row info, raw q heads, RoPE frequencies (all independent)
    const int pos = tab[rowPosOff + row];
    const int base = tab[rowBaseOff + row];
    const int newSlot = tab[newSlotsOff + row];
    const int first = window > 0 ? max(0, pos - window + 1) : 0;
    const int nsr = (pos + 1 - first + AS_SL - 1) / AS_SL;   // this row's splits
#ifdef JSGL_NV
    if (split >= nsr) return;
    const bool active = true;
    const int sp = split;
#else
    // PoCL 3.1 went wrong with work-groups returning before the barriers: one past the row's splits
    // redoes its last split and writes nothing
    const bool active = split < nsr;
    const int sp = min(split, nsr - 1);
#endif
    const int b = first + sp * AS_SL;
    const int n = min(AS_SL, pos + 1 - b);
    const int jn = pos - b;   // the new key's index in the split (in range for the row's last split)
    __global float* qr = q + qOff + (long)row * qStride + (long)h0 * AS_HD;
    __global float* kr = k + kOff + (long)row * kStride + (long)kvh * AS_HD;
    __global const float* vr = v + vOff + (long)row * vStride + (long)kvh * AS_VD;
    for (int i = t; i < nh * AS_HD; i += AS_T) ql[i] = qr[i];
    // the fresh k (raw, with each channel's RoPE partner) and v, a channel a thread: only the split that
    // holds the new key uses them, but every split loads them here, so the new key needs no load later
    // (loaded where the tile is built, under its branch, they went out one round trip at a time: ~6 us)
    float kx[AS_KR];
    float kp[AS_KR];
    float vx[AS_VR];
#pragma unroll
    for (int u = 0; u < AS_KR; u++) {
        const int ch = min(t + u * AS_T, AS_HD - 1);
        kx[u] = kr[ch];
        kp[u] = kr[asp_partner(ch, rope, nPairs, interleaved)];
    }
#pragma unroll
    for (int u = 0; u < AS_VR; u++) vx[u] = vr[min(t + u * AS_T, AS_VD - 1)];
    if (rope) {
        const int p = rpos[pOff + (long)row * pStride];
        for (int i = t; i < nPairs; i += AS_T) {
            const rfreq_t angle = (rfreq_t)p * invFreq[i];
            csl[i] = (float)(cos(angle) * (rfreq_t)attnScale);
            snl[i] = (float)(sin(angle) * (rfreq_t)attnScale);
        }
    }
    // round trip 2: the split's slots (past n: the split's first key again, loaded and masked)
    if (t < AS_SL) sl[t] = tab[base + b + (t < n ? t : 0)];
    barrier(CLK_LOCAL_MEM_FENCE);

    // round trip 3: K and V rows of the split into local memory, every load in flight together
    // q rotated in place, a thread per rotated pair
    if (rope) {
        for (int i = t; i < nh * nPairs; i += AS_T) {
            const int h = i / nPairs;
            const int pi = i - h * nPairs;
            const int c0 = h * AS_HD + (interleaved ? 2 * pi : pi);
            const int c1 = h * AS_HD + (interleaved ? 2 * pi + 1 : pi + nPairs);
            const float x0 = ql[c0];
            const float x1 = ql[c1];
            ql[c0] = x0 * csl[pi] - x1 * snl[pi];
            ql[c1] = x1 * csl[pi] + x0 * snl[pi];
        }
    }
    // every load issued before any store (loads under a branch go out one round trip at a time)
    const bool freshHere = jn < n;
    uint4 buf[(AS_NCH + AS_T - 1) / AS_T];
#pragma unroll
    for (int r = 0; r < (AS_NCH + AS_T - 1) / AS_T; r++) {
        const int i = min(r * AS_T + t, AS_NCH - 1);
        const bool isK = i < AS_SL * AS_CK;
        const int j = isK ? i / AS_CK : (i - AS_SL * AS_CK) / AS_CV;
        const int c = isK ? i - j * AS_CK : i - AS_SL * AS_CK - j * AS_CV;
        const long slot = sl[j];
        // one load from a selected address (no loads under a branch)
        __global const uint4* src = isK ? (__global const uint4*)(kc + slot * kw + (long)kvh * AS_HD)
                                        : (__global const uint4*)(vc + slot * vw + (long)kvh * AS_VD);
        buf[r] = src[c];
    }
#pragma unroll
    for (int r = 0; r < (AS_NCH + AS_T - 1) / AS_T; r++) {
        const int i = r * AS_T + t;
        if (AS_NCH % AS_T == 0 || i < AS_NCH) {
            const bool isK = i < AS_SL * AS_CK;
            const int j = isK ? i / AS_CK : (i - AS_SL * AS_CK) / AS_CV;
            const int c = isK ? i - j * AS_CK : i - AS_SL * AS_CK - j * AS_CV;
            __local uint4* dst = isK ? kt4 + j * AS_KS16 + c : vt4 + j * AS_CV + c;
            if (!freshHere || j != jn) *dst = buf[r];
        }
    }
    if (freshHere) {
        // the new key: from the fresh k (rotated) and v, rounded to the KV type as a reload would be
        __local kv_t* kn = (__local kv_t*)(kt4 + jn * AS_KS16);
        __local kv_t* vn = (__local kv_t*)(vt4 + jn * AS_CV);
#pragma unroll
        for (int u = 0; u < AS_KR; u++) {
            const int ch = t + u * AS_T;
            if (ch < AS_HD) STOREKV(kn, ch, ASP_ROT(kx[u], kp[u], ch, csl, snl));
        }
#pragma unroll
        for (int u = 0; u < AS_VR; u++) {
            const int ch = t + u * AS_T;
            if (ch < AS_VD) STOREKV(vn, ch, vx[u]);
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    // the split that holds the new key (no split reads the new slot, and only this one uses the fresh
    // k, read by every thread before the barriers above): the rotated k written back, the new k and v
    // stored into the new slot; off the merge's critical path
    if (active && freshHere) {
        const long kBase = (long)newSlot * kw + (long)kvh * AS_HD;
        const long vBase = (long)newSlot * vw + (long)kvh * AS_VD;
#pragma unroll
        for (int u = 0; u < AS_KR; u++) {
            const int ch = t + u * AS_T;
            if (ch < AS_HD) {
                const float y = ASP_ROT(kx[u], kp[u], ch, csl, snl);
                if (rope && ch < 2 * nPairs) kr[ch] = y;
                STOREKV(kc, kBase + ch, y);
            }
        }
#pragma unroll
        for (int u = 0; u < AS_VR; u++) {
            const int ch = t + u * AS_T;
            if (ch < AS_VD) STOREKV(vc, vBase + ch, vx[u]);
        }
    }

    // scores, softmax over the split's keys (per head: max ml, sum ll, p in pl)
#ifdef JSGL_NV
    // warp = head, lane = key: the softmax stays within the warp
    for (int h = wp; h < nh; h += AS_W) {
        float s[(AS_SL + 31) / 32];
        float m = -INFINITY;
#pragma unroll
        for (int r = 0; r < (AS_SL + 31) / 32; r++) {
            const int j = min(lane + 32 * r, AS_SL - 1);
            float acc = 0.f;
#pragma unroll
            for (int c = 0; c < AS_CK; c++) acc += asp_dotc(ql + h * AS_HD + c * AS_VPC, kt4 + j * AS_KS16 + c);
            acc *= scale;
            if (softCap > 0.f) acc = softCap * tanh(acc / softCap);
            s[r] = lane + 32 * r < n ? acc : -INFINITY;
            m = fmax(m, s[r]);
        }
        m = warp_max32(m);
        float l = 0.f;
#pragma unroll
        for (int r = 0; r < (AS_SL + 31) / 32; r++) {
            const int j = lane + 32 * r;
            const float p = j < n ? exp(s[r] - m) : 0.f;
            if (j < AS_SL) pl[h][j] = p;
            l += p;
        }
        l = warp_sum32(l);
        if (lane == 0) {
            mls[h] = m;
            lls[h] = l;
        }
    }
#else
    for (int i = t; i < nh * AS_SL; i += AS_T) {
        const int h = i / AS_SL;
        const int j = i - h * AS_SL;
        float acc = 0.f;
        for (int c = 0; c < AS_CK; c++) acc += asp_dotc(ql + h * AS_HD + c * AS_VPC, kt4 + j * AS_KS16 + c);
        acc *= scale;
        if (softCap > 0.f) acc = softCap * tanh(acc / softCap);
        pl[h][j] = j < n ? acc : -INFINITY;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (t < nh) {
        float m = -INFINITY;
        for (int j = 0; j < n; j++) m = fmax(m, pl[t][j]);
        float l = 0.f;
        for (int j = 0; j < AS_SL; j++) {
            const float p = j < n ? exp(pl[t][j] - m) : 0.f;
            pl[t][j] = p;
            l += p;
        }
        mls[t] = m;
        lls[t] = l;
    }
#endif
    barrier(CLK_LOCAL_MEM_FENCE);

    // values: thread = (head, channel pair); the partial, or the output when the row has one split
    __local const kv_t* vt = (__local const kv_t*)vt4;
    for (int i = t; i < nh * (AS_VD / 2); i += AS_T) {
        const int h = i / (AS_VD / 2);
        const int c = 2 * (i - h * (AS_VD / 2));
        float a0 = 0.f;
        float a1 = 0.f;
        // every key of the tile (p is 0 past n, where the tile holds the split's first key again): a
        // compile-time trip count, unrolled, so the local loads overlap
#pragma unroll 16
        for (int j = 0; j < AS_SL; j++) {
            const float p = pl[h][j];
#if KVT == DT_F16
            const float2 vv = vload_half2(0, (__local const half*)vt + j * AS_VD + c);
#elif KVT == DT_F32
            const float2 vv = vload2(0, vt + j * AS_VD + c);
#else
            const uint u = *(__local const uint*)(vt + j * AS_VD + c);
            const float2 vv = (float2)(as_float(u << 16), as_float(u & 0xffff0000u));
#endif
            a0 += p * vv.x;
            a1 += p * vv.y;
        }
        if (!active) {
        } else if (nsr == 1) {
            const float inv = 1.f / lls[h];
            __global float* o = out + oOff + (long)row * oStride + (long)(h0 + h) * AS_VD + c;
            o[0] = a0 * inv;
            o[1] = a1 * inv;
        } else {
            __global float* pp = part + (((long)row * heads + h0 + h) * nsplit + split) * (AS_VD + 2);
            pp[2 + c] = a0;
            pp[3 + c] = a1;
            if (c == 0) {
                pp[0] = mls[h];
                pp[1] = lls[h];
            }
        }
    }
    if (nsr > 1) {
        // the partials meet at the barrier; one thread fences them device-wide and counts (CUDA's grid sync)
        barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
        if (t == 0) {
            grid_fence();
            last = active && atomic_inc(counters + gidx) == nsr - 1;
            if (last) {
                grid_fence();
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
        if (!last) return;
        // thread = (head, channel pair); the partials of AS_MB splits at a time, every load of a batch in
        // flight together (one L2 round trip for up to AS_MB splits; a loop of dependent loads, two per
        // split, cost ~5 us here), folded into a running max
        for (int i = t; i < nh * (AS_VD / 2); i += AS_T) {
            const int h = i / (AS_VD / 2);
            const int c = 2 * (i - h * (AS_VD / 2));
            __global const float* pp = part + ((long)row * heads + h0 + h) * nsplit * (AS_VD + 2);
            float m = -INFINITY;
            float n0 = 0.f;
            float n1 = 0.f;
            float den = 0.f;
            for (int s0 = 0; s0 < nsr; s0 += AS_MB) {
                float ms[AS_MB];
                float ls[AS_MB];
                float2 as[AS_MB];
#pragma unroll
                for (int u = 0; u < AS_MB; u++) {
                    __global const float* ps = pp + min(s0 + u, nsr - 1) * (AS_VD + 2);
                    ms[u] = ld_cg(ps);
                    ls[u] = ld_cg(ps + 1);
                    as[u] = ld_cg2(ps + 2 + c);
                }
                float bm = m;
#pragma unroll
                for (int u = 0; u < AS_MB; u++) bm = fmax(bm, ms[u]);   // past nsr: a repeat of the last
                const float sc = m == -INFINITY ? 0.f : exp(m - bm);
                n0 *= sc;
                n1 *= sc;
                den *= sc;
#pragma unroll
                for (int u = 0; u < AS_MB; u++) {
                    const float e = s0 + u < nsr && ms[u] != -INFINITY ? exp(ms[u] - bm) : 0.f;
                    n0 += e * as[u].x;
                    n1 += e * as[u].y;
                    den += e * ls[u];
                }
                m = bm;
            }
            __global float* o = out + oOff + (long)row * oStride + (long)(h0 + h) * AS_VD + c;
            o[0] = n0 / den;
            o[1] = n1 / den;
        }
        if (t == 0) counters[gidx] = 0;
    }

    // the rotated q written back, once every split of the (row, kv head) has read it
    if (!active) return;
    if (rope) {
        for (int i = t; i < nh * AS_HD; i += AS_T) qr[i] = ql[i];
    }
}
