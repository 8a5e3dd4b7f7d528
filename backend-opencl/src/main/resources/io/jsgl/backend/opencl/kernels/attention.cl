// Paged attention over a ragged batch, compiled once per KV storage type (-DKVT=DT_F32/...).
// The KV pool of a layer is K [slots, kvHeads, hd] and V [slots, kvHeads, vd]. The step's
// tables (one int buffer, uploaded once by prepare()) hold, at the given offsets: the sequence
// and position of each row, each row's new slot, each sequence's start in the slot table, and
// the slot table itself.

// kv_t, LOADKV*, STOREKV and rfreq_t come from kv.cl

// k and v of each new row into its slot
__kernel void kv_store(__global const float* k, long kOff, int kStride,
                       __global const float* v, long vOff, int vStride,
                       __global kv_t* kc, __global kv_t* vc,
                       __global const int* tab, int newSlotsOff, int kw, int vw, int rows) {
    const int c = get_global_id(0);
    const int r = get_global_id(1);
    if (r >= rows) return;
    const long slot = tab[newSlotsOff + r];
    if (c < kw) STOREKV(kc, slot * kw + c, k[kOff + (long)r * kStride + c]);
    if (c < vw) STOREKV(vc, slot * vw + c, v[vOff + (long)r * vStride + c]);
}

#define AT 128    // work-group size = keys per chunk
#define MAXHB 8   // query heads per work-group (sharing one KV head)
#define MAXP 16   // (head, channel) outputs per thread: hb * vd <= MAXP * AT

// One work-group per (row, kv head, block of hb query heads of that kv head, key split): scores
// for a chunk of AT keys (one key per thread, every head of the block), the chunk max by a
// local reduction, online-softmax rescaling, then each thread accumulates its (head, channel)
// outputs over the chunk. With nsplit > 1 the unnormalized partials (max, sum, acc) go to
// `part` and attention_combine merges them (flash-decoding for long contexts and small batches).
__kernel __attribute__((reqd_work_group_size(AT, 1, 1)))
void attention(__global const float* q, long qOff, int qStride,
               __global const kv_t* kc, __global const kv_t* vc,
               __global float* out, long oOff, int oStride,
               __global float* part,
               __global const int* tab, int rowSeqOff, int rowPosOff, int slotStartOff, int slotTableOff,
               int heads, int kvHeads, int hd, int vd, int hb, int nhb,
               float scale, int window, float softCap, int splitLen, int nsplit,
               __local float* ql, __local float* pl, __local float* red, __local int* sl) {
    __local float ml[MAXHB];
    __local float alphal[MAXHB];
    int g = get_group_id(0);
    const int split = g % nsplit;
    g /= nsplit;
    const int hbi = g % nhb;
    g /= nhb;
    const int kvh = g % kvHeads;
    const int row = g / kvHeads;
    const int t = get_local_id(0);
    const int group = heads / kvHeads;
    const int h0 = kvh * group + hbi * hb;
    const int nh = min(hb, group - hbi * hb);
    const int seq = tab[rowSeqOff + row];
    const int pos = tab[rowPosOff + row];
    const int slotBase = slotTableOff + tab[slotStartOff + seq];
    const int first = window > 0 ? max(0, pos - window + 1) : 0;
    const int begin = first + split * splitLen;
    const int end = min(pos + 1, begin + splitLen);
    const int kw = kvHeads * hd;
    const int vw = kvHeads * vd;
    const int npairs = nh * vd;

    __global const float* qr = q + qOff + (long)row * qStride + (long)h0 * hd;
    for (int i = t; i < nh * hd; i += AT) ql[i] = qr[i];
    if (t < MAXHB) ml[t] = -INFINITY;
    float acc[MAXP];
    float lsum[MAXP];
#pragma unroll
    for (int p = 0; p < MAXP; p++) {
        acc[p] = 0.f;
        lsum[p] = 0.f;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    for (int c0 = begin; c0 < end; c0 += AT) {
        const int n = min(AT, end - c0);
        if (t < n) {
            const int slot = tab[slotBase + c0 + t];
            sl[t] = slot;
            __global const kv_t* kr = kc + (long)slot * kw + (long)kvh * hd;
            float s[MAXHB];
#pragma unroll
            for (int i = 0; i < MAXHB; i++) s[i] = 0.f;
            int d = 0;
            if ((hd & 3) == 0) {
                for (; d < hd; d += 4) {
                    const float4 kv = LOADKV4(kr + d);
#pragma unroll
                    for (int i = 0; i < MAXHB; i++) {
                        if (i < nh) s[i] += dot(vload4(0, ql + i * hd + d), kv);
                    }
                }
            }
            for (; d < hd; d++) {
                const float kv = LOADKV(kr, d);
#pragma unroll
                for (int i = 0; i < MAXHB; i++) {
                    if (i < nh) s[i] += ql[i * hd + d] * kv;
                }
            }
#pragma unroll
            for (int i = 0; i < MAXHB; i++) {
                if (i < nh) {
                    float sc = s[i] * scale;
                    if (softCap > 0.f) sc = softCap * tanh(sc / softCap);
                    pl[i * AT + t] = sc;
                    red[i * AT + t] = sc;
                }
            }
        } else {
            for (int i = 0; i < nh; i++) {
                pl[i * AT + t] = -INFINITY;
                red[i * AT + t] = -INFINITY;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int st = AT / 2; st > 0; st >>= 1) {
            if (t < st) {
                for (int i = 0; i < nh; i++) red[i * AT + t] = fmax(red[i * AT + t], red[i * AT + t + st]);
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (t < nh) {
            const float mn = fmax(ml[t], red[t * AT]);
            alphal[t] = exp(ml[t] - mn);
            ml[t] = mn;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int i = 0; i < nh; i++) pl[i * AT + t] = exp(pl[i * AT + t] - ml[i]);
        barrier(CLK_LOCAL_MEM_FENCE);
#pragma unroll
        for (int p = 0; p < MAXP; p++) {
            const int idx = t + p * AT;
            if (idx < npairs) {
                const int i = idx / vd;
                const int d = idx - i * vd;
                const float alpha = alphal[i];
                float a = acc[p] * alpha;
                float l = lsum[p] * alpha;
                __global const kv_t* vb = vc + (long)kvh * vd + d;
                __local const float* pr = pl + i * AT;
#pragma unroll 8
                for (int jj = 0; jj < n; jj++) {
                    const float pv = pr[jj];
                    a += pv * LOADKV(vb, (long)sl[jj] * vw);
                    l += pv;
                }
                acc[p] = a;
                lsum[p] = l;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

#pragma unroll
    for (int p = 0; p < MAXP; p++) {
        const int idx = t + p * AT;
        if (idx < npairs) {
            const int i = idx / vd;
            const int d = idx - i * vd;
            const int h = h0 + i;
            if (nsplit == 1) {
                out[oOff + (long)row * oStride + (long)h * vd + d] = acc[p] / lsum[p];
            } else {
                __global float* pp = part + (((long)row * heads + h) * nsplit + split) * (vd + 2);
                pp[2 + d] = acc[p];
                if (d == 0) {
                    pp[0] = ml[i];
                    pp[1] = lsum[p];
                }
            }
        }
    }
}

// merges the key splits of attention: out = sum_s e^(m_s - M) acc_s / sum_s e^(m_s - M) l_s
__kernel void attention_combine(__global const float* part, __global float* out, long oOff, int oStride,
                                int heads, int vd, int nsplit, int rows) {
    const int d = get_global_id(0);
    const int rh = get_global_id(1);
    if (d >= vd || rh >= rows * heads) return;
    const int row = rh / heads;
    const int h = rh - row * heads;
    __global const float* pp = part + (long)rh * nsplit * (vd + 2);
    float m = -INFINITY;
    for (int s = 0; s < nsplit; s++) m = fmax(m, pp[s * (vd + 2)]);
    float num = 0.f;
    float den = 0.f;
    for (int s = 0; s < nsplit; s++) {
        const float ms = pp[s * (vd + 2)];
        if (ms == -INFINITY) continue;
        const float e = exp(ms - m);
        num += e * pp[s * (vd + 2) + 2 + d];
        den += e * pp[s * (vd + 2) + 1];
    }
    out[oOff + (long)row * oStride + (long)h * vd + d] = num / den;
}

// ---- RoPE on q and k fused with the KV store: one work-item per rotated (pair, q head), per
// (pair or unrotated channel, k head) and per v channel of a row; k is rotated in place and its
// rotated values go straight to the new slot, as do v's.
__kernel void rope_kv_store(__global float* q, long qOff, int qStride, int qHeads,
                            __global float* k, long kOff, int kStride, int kHeads,
                            __global const float* v, long vOff, int vStride,
                            __global const int* pos, long pOff, int pStride,
                            __global const rfreq_t* invFreq, float attnScale, int nPairs, int headDim, int interleaved,
                            __global kv_t* kc, __global kv_t* vc, __global const int* tab, int newSlotsOff, int vw,
                            int rows) {
    const int idx = get_global_id(0);
    const int r = get_global_id(1);
    if (r >= rows) return;
    const int qItems = nPairs * qHeads;
    const int kPer = headDim - nPairs;  // nPairs rotated pairs + (headDim - 2 nPairs) plain channels
    const int kItems = kPer * kHeads;
    if (idx >= qItems + kItems + vw) return;
    const long slot = tab[newSlotsOff + r];
    if (idx >= qItems + kItems) {
        const int c = idx - qItems - kItems;
        STOREKV(vc, slot * vw + c, v[vOff + (long)r * vStride + c]);
        return;
    }
    int i;
    int h;
    __global float* p;
    if (idx < qItems) {
        i = idx % nPairs;
        h = idx / nPairs;
        p = q + qOff + (long)r * qStride + h * headDim;
    } else {
        const int e = idx - qItems;
        i = e % kPer;
        h = e / kPer;
        p = k + kOff + (long)r * kStride + h * headDim;
        if (i >= nPairs) {
            const int c = 2 * nPairs + (i - nPairs);
            STOREKV(kc, slot * (long)(kHeads * headDim) + h * headDim + c, p[c]);
            return;
        }
    }
    const rfreq_t angle = (rfreq_t)pos[pOff + (long)r * pStride] * invFreq[i];
    const float cs = (float)(cos(angle) * (rfreq_t)attnScale);
    const float sn = (float)(sin(angle) * (rfreq_t)attnScale);
    const int c0 = interleaved ? 2 * i : i;
    const int c1 = interleaved ? 2 * i + 1 : i + nPairs;
    const float x0 = p[c0];
    const float x1 = p[c1];
    const float y0 = x0 * cs - x1 * sn;
    const float y1 = x1 * cs + x0 * sn;
    p[c0] = y0;
    p[c1] = y1;
    if (idx >= qItems) {
        const long base = slot * (long)(kHeads * headDim) + h * headDim;
        STOREKV(kc, base + c0, y0);
        STOREKV(kc, base + c1, y1);
    }
}

// ---- Attention with warp-split value accumulation (value heads up to 128 channels): one
// work-group (AT threads = 4 warps) per (row, kv head, block of up to MAXHB query heads, key
// split). Scores: one key per thread. Values: warp w takes keys w, w+4, ...; lane l channels
// l, l+32, ..; the 4 warps' sums meet in local memory at the end. With nsplit > 1 the last
// split of a (row, kv head, head block) to finish (device-wide counter) merges the partials.
#define AW 4        // warps per work-group
#define AWCH 4      // value channels per lane: vd <= 128

__kernel __attribute__((reqd_work_group_size(AT, 1, 1)))
void attention_w(__global const float* q, long qOff, int qStride,
                 __global const kv_t* kc, __global const kv_t* vc,
                 __global float* out, long oOff, int oStride,
                 __global float* part,
                 __global const int* tab, int rowSeqOff, int rowPosOff, int slotStartOff, int slotTableOff,
                 int heads, int kvHeads, int hd, int vd, int hb, int nhb,
                 float scale, int window, float softCap, int splitLen, int nsplit,
                 __global int* counters, __local float* ql, __local float* vred) {
    __local float pl[MAXHB][AT];
    __local int sl[AT];
    __local float ml[MAXHB];
    __local float alphal[MAXHB];
    __local float wred[AW][MAXHB];
    __local int last;
    int g = get_group_id(0);
    const int split = g % nsplit;
    g /= nsplit;
    const int gidx = g;
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
    const int seq = tab[rowSeqOff + row];
    const int pos = tab[rowPosOff + row];
    const int slotBase = slotTableOff + tab[slotStartOff + seq];
    const int first = window > 0 ? max(0, pos - window + 1) : 0;
    const int begin = first + split * splitLen;
    const int end = min(pos + 1, begin + splitLen);
    const int kw = kvHeads * hd;
    const int vw = kvHeads * vd;

    __global const float* qr = q + qOff + (long)row * qStride + (long)h0 * hd;
    for (int i = t; i < nh * hd; i += AT) ql[i] = qr[i] * scale;
    if (t < MAXHB) ml[t] = -INFINITY;
    float acc[MAXHB][AWCH];
    float lsum[MAXHB];
#pragma unroll
    for (int i = 0; i < MAXHB; i++) {
        lsum[i] = 0.f;
#pragma unroll
        for (int c = 0; c < AWCH; c++) acc[i][c] = 0.f;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    for (int c0 = begin; c0 < end; c0 += AT) {
        const int n = min(AT, end - c0);
        float s[MAXHB];
#pragma unroll
        for (int i = 0; i < MAXHB; i++) s[i] = -INFINITY;
        if (t < n) {
            const int slot = tab[slotBase + c0 + t];
            sl[t] = slot;
            __global const kv_t* kr = kc + (long)slot * kw + (long)kvh * hd;
#pragma unroll
            for (int i = 0; i < MAXHB; i++) s[i] = 0.f;
            int d = 0;
            if ((hd & 7) == 0) {
#pragma unroll 8
                for (; d < hd; d += 8) {
                    const float8 kv = LOADKV8(kr + d);
#pragma unroll
                    for (int i = 0; i < MAXHB; i++) {
                        if (i < nh) {
                            const float8 qv = vload8(0, ql + i * hd + d);
                            s[i] += dot(qv.lo, kv.lo) + dot(qv.hi, kv.hi);
                        }
                    }
                }
            } else if ((hd & 3) == 0) {
#pragma unroll 8
                for (; d < hd; d += 4) {
                    const float4 kv = LOADKV4(kr + d);
#pragma unroll
                    for (int i = 0; i < MAXHB; i++) {
                        if (i < nh) s[i] += dot(vload4(0, ql + i * hd + d), kv);
                    }
                }
            }
            for (; d < hd; d++) {
                const float kv = LOADKV(kr, d);
#pragma unroll
                for (int i = 0; i < MAXHB; i++) {
                    if (i < nh) s[i] += ql[i * hd + d] * kv;
                }
            }
            if (softCap > 0.f) {
#pragma unroll
                for (int i = 0; i < MAXHB; i++) s[i] = softCap * tanh(s[i] / softCap);
            }
        }
#ifdef JSGL_NV
#pragma unroll
        for (int i = 0; i < MAXHB; i++) {
            if (i < nh) {
                const float m = warp_max32(s[i]);
                if (lane == 0) wred[wp][i] = m;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (t < nh) {
            float m = wred[0][t];
            for (int q2 = 1; q2 < AW; q2++) m = fmax(m, wred[q2][t]);
            const float mn = fmax(ml[t], m);
            alphal[t] = mn == -INFINITY ? 1.f : exp(ml[t] - mn);
            ml[t] = mn;
        }
#else
#pragma unroll
        for (int i = 0; i < MAXHB; i++) {
            if (i < nh) pl[i][t] = s[i];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (t < nh) {
            float m = -INFINITY;
            for (int j = 0; j < n; j++) m = fmax(m, pl[t][j]);
            const float mn = fmax(ml[t], m);
            alphal[t] = mn == -INFINITY ? 1.f : exp(ml[t] - mn);
            ml[t] = mn;
        }
#endif
        barrier(CLK_LOCAL_MEM_FENCE);
#pragma unroll
        for (int i = 0; i < MAXHB; i++) {
            if (i < nh) pl[i][t] = t < n ? exp(s[i] - ml[i]) : 0.f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
#pragma unroll
        for (int i = 0; i < MAXHB; i++) {
            const float al = i < nh ? alphal[i] : 1.f;
            lsum[i] *= al;
#pragma unroll
            for (int c = 0; c < AWCH; c++) acc[i][c] *= al;
        }
        __global const kv_t* vb = vc + (long)kvh * vd + lane;
#pragma unroll 4
        for (int j = wp; j < n; j += AW) {
            __global const kv_t* vr = vb + (long)sl[j] * vw;
            float vv[AWCH];
#pragma unroll
            for (int c = 0; c < AWCH; c++) vv[c] = lane + 32 * c < vd ? LOADKV(vr, 32 * c) : 0.f;
#pragma unroll
            for (int i = 0; i < MAXHB; i++) {
                if (i < nh) {
                    const float p = pl[i][j];
                    lsum[i] += p;
#pragma unroll
                    for (int c = 0; c < AWCH; c++) acc[i][c] += p * vv[c];
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    // the warps' sums meet: vred[w][i * vd + d], then the sums per head
#pragma unroll
    for (int i = 0; i < MAXHB; i++) {
        if (i < nh) {
#pragma unroll
            for (int c = 0; c < AWCH; c++) {
                const int d = lane + 32 * c;
                if (d < vd) vred[(wp * nh + i) * vd + d] = acc[i][c];
            }
            if (lane == 0) wred[wp][i] = lsum[i];
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int idx = t; idx < nh * vd; idx += AT) {
        const int i = idx / vd;
        const int d = idx - i * vd;
        float a = 0.f;
        float l = 0.f;
        for (int q2 = 0; q2 < AW; q2++) {
            a += vred[(q2 * nh + i) * vd + d];
            l += wred[q2][i];
        }
        const int h = h0 + i;
        if (nsplit == 1) {
            out[oOff + (long)row * oStride + (long)h * vd + d] = a / l;
        } else {
            __global float* pp = part + (((long)row * heads + h) * nsplit + split) * (vd + 2);
            pp[2 + d] = a;
            if (d == 0) {
                pp[0] = ml[i];
                pp[1] = l;
            }
        }
    }
    if (nsplit == 1) return;
    // the partials meet at the barrier; one thread fences them device-wide and counts (CUDA's grid sync)
    barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    if (t == 0) {
        grid_fence();
        last = atomic_inc(counters + gidx) == nsplit - 1;
        if (last) {
            grid_fence();
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    if (!last) return;
    for (int idx = t; idx < nh * vd; idx += AT) {
        const int i = idx / vd;
        const int d = idx - i * vd;
        const int h = h0 + i;
        __global const float* pp = part + ((long)row * heads + h) * nsplit * (vd + 2);
        float m = -INFINITY;
#pragma unroll 8
        for (int s2 = 0; s2 < nsplit; s2++) m = fmax(m, ld_cg(pp + s2 * (vd + 2)));
        float num = 0.f;
        float den = 0.f;
#pragma unroll 8
        for (int s2 = 0; s2 < nsplit; s2++) {
            const float ms = ld_cg(pp + s2 * (vd + 2));
            const float l = ld_cg(pp + s2 * (vd + 2) + 1);
            const float a = ld_cg(pp + s2 * (vd + 2) + 2 + d);
            const float e = ms == -INFINITY ? 0.f : exp(ms - m);
            num += e * a;
            den += e * l;
        }
        out[oOff + (long)row * oStride + (long)h * vd + d] = num / den;
    }
    if (t == 0) counters[gidx] = 0;
}

// ---- Read-bandwidth probe: sums a buffer with 16-byte loads (grid-stride), one value per work-group.
__kernel void read_probe(__global const uint4* restrict src, long n16, __global uint* out) {
    uint4 a = (uint4)(0);
    for (long i = get_global_id(0); i < n16; i += get_global_size(0)) a ^= src[i];
    const uint v = a.x ^ a.y ^ a.z ^ a.w;
    if (v == 0x9e3779b9u) out[get_group_id(0)] = v;
}
