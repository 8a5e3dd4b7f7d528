// Warp-per-row GEMV template for decode-sized batches (x rows 16-byte aligned), instantiated
// with GWNAME and GW_EPI: 0 plain, 1 with an RMSNorm epilogue (the last work-group to finish
// adds the residual and normalizes whole rows), 2 for a fused gate|up weight with the gated
// activation in the epilogue (each warp computes gate row u and up row half + u), 3 with RoPE on
// q and k and the KV store of the new rows in the epilogue (the last work-group to finish does what
// attention.cl's rope_kv_store does; needs kv.cl; opencl.fuseRope, off by default: slower on the H100),
// 4 with the residual add of the RMSNorm that follows (y = xW^T + b, residual += y, element by element:
// no device-wide sync; the norm itself runs in the next GEMV's prologue). GW_PN 1 adds that prologue:
// every work-group normalizes the activation rows itself (RMSNorm of nx, whose residual add already
// happened) into local memory and reads x from there; work-group 0 also writes them to nout, so the
// norm's output tensor holds what the op-by-op semantics say. (opencl.normPrologue)
// A work-group is GW_T threads = GW_T/32 warps; a warp owns GW_R weight rows, each lane loads
// 16 bytes of each row per step (a warp covers 256 elements a step), partial sums stay in
// registers and are reduced within the warp only (shuffles on NVIDIA): no work-group barrier on
// the streaming path, so a warp starts its next loads while others reduce.
// linear.cl supplies wt_t, loadw8, LOADW, dot8 and GV_NR.

#define GW_T 128
#define GW_W (GW_T / 32)
#if GW_EPI == 2 || !defined(GW_ROWS)
#define GW_R 2
#else
#define GW_R GW_ROWS   // rows a warp owns (opencl.gemvRows: 2 or 4); gate|up pairs keep 2
#endif
#define GW_NV 16   // normalized values a thread keeps in registers (N <= 2048 in one pass)
#define GW_XL8(p) ((float8)(*(__global const float4*)(p), *((__global const float4*)(p) + 1)))

#if GW_EPI == 1
#define GW_EXTRA , __global float* res, long rOff, int rStride, int hasRes, __global const uchar* nw, int nwType, \
    float eps, float wOffset, __global float* nout, long nOff, int nStride, __global int* counters, int counter
#elif GW_EPI == 2
#define GW_EXTRA , __global float* aout, long aOff, int aStride, int act
#elif GW_EPI == 3
#define GW_EXTRA , __global float* rq, long qOff, int qStride, int qHeads, __global float* rk, long kOff, int kStride, \
    int kHeads, __global const float* rv, long vOff, int vStride, __global const int* pos, long pOff, int pStride, \
    __global const rfreq_t* invFreq, float attnScale, int nPairs, int headDim, int interleaved, \
    __global kv_t* kc, __global kv_t* vc, __global const int* tab, int newSlotsOff, int vw, __global int* counters, int counter
#define GW_MAXP 256  // rotated pairs a head may have (host checks)
#elif GW_EPI == 4
#define GW_EXTRA , __global float* res, long rOff, int rStride
#else
#define GW_EXTRA
#endif
#ifndef GW_PN
#define GW_PN 0
#endif
#if GW_PN
#define GW_PEXTRA , __global const float* nx, long nxOff, int nxStride, __global const uchar* nw, int nwType, \
    float eps, float wOffset, __global float* nout, long noOff, int noStride, __local float4* xl4
#define GW_XQ __local
#ifndef GW_PNV
#define GW_PNV 32   // values of a row a thread of the prologue keeps in registers (K <= 4096 in one pass)
#endif
#ifndef GW_PFC
#define GW_PFC 0    // 16-byte weight chunks a lane loads before the prologue (opencl.gemvPrefetch)
#endif
#undef GW_PF
#define GW_PF (GW_PFC / GW_R)   // as K steps of the warp's GW_R rows
#undef GW_XL8
#define GW_XL8(p) ((float8)(*(__local const float4*)(p), *((__local const float4*)(p) + 1)))
#else
#define GW_PEXTRA
#define GW_XQ __global
#endif

__kernel __attribute__((reqd_work_group_size(GW_T, 1, 1)))
void GWNAME(__global const wt_t* restrict w, int ld, int K, int N,
            __global const float* restrict x, long xOff, int xStride,
            __global const uchar* restrict bias, int biasType, int hasBias,
            __global float* y, long yOff, int yStride, int rows, int ks GW_PEXTRA GW_EXTRA) {
#ifndef JSGL_NV
    __local float red[GW_W][GW_R * GV_NR][32];
#endif
    __local float kred[GW_W][GW_R * GV_NR];
#if GW_PN
    __local float pred[GW_T];
#endif
    const int t = get_local_id(0);
    const int lane = t & 31;
    const int warp = t >> 5;
    // ks warps share a unit of rows, each taking every ks-th 256-element step of K
    const int kpart = warp % ks;
    const int u = get_group_id(0) * (GW_W / ks) + warp / ks;
#if GW_EPI == 2
    const int hn = N >> 1;
    const bool valid = u < hn;
    int orow[GW_R];
    orow[0] = min(u, hn - 1);
    orow[1] = hn + orow[0];
#else
    int orow[GW_R];
#pragma unroll
    for (int j = 0; j < GW_R; j++) orow[j] = u * GW_R + j;
#endif
    __global const wt_t* wr[GW_R];
#pragma unroll
    for (int j = 0; j < GW_R; j++) wr[j] = w + (size_t)min(orow[j], N - 1) * ld;
    const int K8 = K & ~7;
#if GW_PN && GW_PF > 0
    // the first GW_PF K steps of this warp's weight rows, issued before the norm prologue so the
    // weight stream overlaps it (raw: nothing waits for them until the main loop)
    wraw_t wpf[GW_PF][GW_R];
#pragma unroll
    for (int s = 0; s < GW_PF; s++) {
        const int kk = max(0, min(kpart * 256 + lane * 8 + s * 256 * ks, K8 - 8));
#pragma unroll
        for (int j = 0; j < GW_R; j++) wpf[s][j] = loadw_raw(wr[j] + kk);
    }
#endif
#if GW_PN
    // typed float4 so the buffer is 16-byte aligned for the float4 loads below
    __local float* xl = (__local float*)xl4;
    {
        // the RMSNorm of each activation row into local memory (host: K % 4 == 0, rows * K fits)
        // every load of a row (x and the norm weight) in flight at once: one memory round trip
        // (a loop of 4-load batches cost ~6 us a launch on the H100)
        for (int r = 0; r < rows; r++) {
            __global const float* xs = nx + nxOff + (long)r * nxStride;
            float xv[GW_PNV];
            float wv[GW_PNV];
#pragma unroll
            for (int i = 0; i < GW_PNV; i++) {
                const int c = t + i * GW_T;
                xv[i] = c < K ? xs[c] : 0.f;
                wv[i] = c < K ? wOffset + load_any(nw, c, nwType) : 0.f;
            }
            float ss = 0.f;
#pragma unroll
            for (int i = 0; i < GW_PNV; i++) ss += xv[i] * xv[i];
            for (int c = t + GW_PNV * GW_T; c < K; c += GW_T) {
                const float a = xs[c];
                ss += a * a;
            }
#ifdef JSGL_NV
            ss = warp_sum32(ss);
            if (lane == 0) pred[warp] = ss;
            barrier(CLK_LOCAL_MEM_FENCE);
            ss = 0.f;
            for (int q = 0; q < GW_W; q++) ss += pred[q];
#else
            pred[t] = ss;
            barrier(CLK_LOCAL_MEM_FENCE);
            for (int st = GW_T / 2; st > 0; st >>= 1) {
                if (t < st) pred[t] += pred[t + st];
                barrier(CLK_LOCAL_MEM_FENCE);
            }
            ss = pred[0];
#endif
            const float inv = 1.0f / sqrt(ss / (float)K + eps);
            __global float* no = nout + noOff + (long)r * noStride;
            const bool first = get_group_id(0) == 0;
#pragma unroll
            for (int i = 0; i < GW_PNV; i++) {
                const int c = t + i * GW_T;
                if (c < K) {
                    const float a = xv[i] * inv * wv[i];
                    xl[r * K + c] = a;
                    if (first) no[c] = a;
                }
            }
            for (int c = t + GW_PNV * GW_T; c < K; c += GW_T) {
                const float a = xs[c] * inv * (wOffset + load_any(nw, c, nwType));
                xl[r * K + c] = a;
                if (first) no[c] = a;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
    }
#endif
    for (int r0 = 0; r0 < rows; r0 += GV_NR) {
        const int nr = min(GV_NR, rows - r0);
        GW_XQ const float* xr[GV_NR];
#if GW_PN
#pragma unroll
        for (int i = 0; i < GV_NR; i++) xr[i] = xl + (r0 + min(i, nr - 1)) * K;
#else
#pragma unroll
        for (int i = 0; i < GV_NR; i++) xr[i] = x + xOff + (long)(r0 + min(i, nr - 1)) * xStride;
#endif
        float acc[GW_R][GV_NR];
#pragma unroll
        for (int j = 0; j < GW_R; j++)
#pragma unroll
            for (int i = 0; i < GV_NR; i++) acc[j][i] = 0.f;
        if (nr == 1) {
            int k = kpart * 256 + lane * 8;
#if GW_PN && GW_PF > 0
            if (r0 == 0) {
#pragma unroll
                for (int s = 0; s < GW_PF; s++, k += 256 * ks) {
                    if (k < K8) {
                        const float8 xv = GW_XL8(xr[0] + k);
#pragma unroll
                        for (int j = 0; j < GW_R; j++) acc[j][0] += dot8(cvtw8(wpf[s][j]), xv);
                    }
                }
            }
#endif
#pragma unroll GW_UNROLL
            for (; k < K8; k += 256 * ks) {
                const float8 xv = GW_XL8(xr[0] + k);
#pragma unroll
                for (int j = 0; j < GW_R; j++) acc[j][0] += dot8(loadw8(wr[j] + k), xv);
            }
        } else {
#pragma unroll 2
            for (int k = kpart * 256 + lane * 8; k < K8; k += 256 * ks) {
                float8 wv[GW_R];
#pragma unroll
                for (int j = 0; j < GW_R; j++) wv[j] = loadw8(wr[j] + k);
#pragma unroll
                for (int i = 0; i < GV_NR; i++) {
                    if (i < nr) {
                        const float8 xv = GW_XL8(xr[i] + k);
#pragma unroll
                        for (int j = 0; j < GW_R; j++) acc[j][i] += dot8(wv[j], xv);
                    }
                }
            }
        }
        for (int k = K8 + kpart * 32 + lane; k < K; k += 32 * ks) {
#pragma unroll
            for (int j = 0; j < GW_R; j++) {
                const float wv = LOADW(wr[j], k);
#pragma unroll
                for (int i = 0; i < GV_NR; i++) acc[j][i] += wv * xr[i][k];
            }
        }
#ifdef JSGL_NV
#pragma unroll
        for (int j = 0; j < GW_R; j++)
#pragma unroll
            for (int i = 0; i < GV_NR; i++) acc[j][i] = warp_sum32(acc[j][i]);
#else
#pragma unroll
        for (int j = 0; j < GW_R; j++)
#pragma unroll
            for (int i = 0; i < GV_NR; i++) red[warp][j * GV_NR + i][lane] = acc[j][i];
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lane == 0) {
            for (int j = 0; j < GW_R; j++)
                for (int i = 0; i < GV_NR; i++) {
                    float v = 0.f;
                    for (int q = 0; q < 32; q++) v += red[warp][j * GV_NR + i][q];
                    acc[j][i] = v;
                }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
#endif
        if (ks > 1) {
            if (lane == 0) {
#pragma unroll
                for (int j = 0; j < GW_R; j++)
#pragma unroll
                    for (int i = 0; i < GV_NR; i++) kred[warp][j * GV_NR + i] = acc[j][i];
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            if (lane == 0 && kpart == 0) {
                for (int q = 1; q < ks; q++)
#pragma unroll
                    for (int j = 0; j < GW_R; j++)
#pragma unroll
                        for (int i = 0; i < GV_NR; i++) acc[j][i] += kred[warp + q][j * GV_NR + i];
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (lane == 0 && kpart == 0) {
#pragma unroll
            for (int i = 0; i < GV_NR; i++) {
                if (i < nr) {
                    __global float* yr = y + yOff + (long)(r0 + i) * yStride;
#if GW_EPI == 2
                    if (valid) {
                        const float g = acc[0][i] + (hasBias ? load_any(bias, orow[0], biasType) : 0.f);
                        const float up = acc[1][i] + (hasBias ? load_any(bias, orow[1], biasType) : 0.f);
                        yr[orow[0]] = g;
                        yr[orow[1]] = up;
                        float a;
                        if (act == 0) {
                            a = g / (1.0f + exp(-g));
                        } else {
                            a = 0.5f * g * (1.0f + tanh(0.7978845608028654f * (g + 0.044715f * g * g * g)));
                        }
                        aout[aOff + (long)(r0 + i) * aStride + u] = a * up;
                    }
#elif GW_EPI == 4
                    __global float* rr = res + rOff + (long)(r0 + i) * rStride;
#pragma unroll
                    for (int j = 0; j < GW_R; j++) {
                        if (orow[j] < N) {
                            const float val = acc[j][i] + (hasBias ? load_any(bias, orow[j], biasType) : 0.f);
                            yr[orow[j]] = val;
                            rr[orow[j]] += val;
                        }
                    }
#else
#pragma unroll
                    for (int j = 0; j < GW_R; j++) {
                        if (orow[j] < N) yr[orow[j]] = acc[j][i] + (hasBias ? load_any(bias, orow[j], biasType) : 0.f);
                    }
#endif
                }
            }
        }
    }
#if GW_EPI == 1 || GW_EPI == 3
    // the last work-group to finish (a device-wide counter) runs the epilogue over the finished rows
    // (the work-group's writes meet at the barrier; one thread fences them device-wide and counts,
    // as CUDA's grid sync does; measured no faster than a fence in every warp, but fewer fences)
    __local int last;
    barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    if (t == 0) {
        grid_fence();
        last = atomic_inc(counters + counter) == (int)get_num_groups(0) - 1;
        if (last) {
            grid_fence();
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
    if (!last) return;
#endif
#if GW_EPI == 3
    // RoPE + KV store: the angles of a row once per pair (local), then one item per rotated
    // (pair, q head), per (pair or unrotated channel, k head) and per v channel; every value this
    // launch wrote is read through L2 (ld_cg)
    __local float csl[GW_MAXP];
    __local float snl[GW_MAXP];
    const int qItems = nPairs * qHeads;
    const int kPer = headDim - nPairs;
    const int kItems = kPer * kHeads;
    for (int r = 0; r < rows; r++) {
        for (int i = t; i < nPairs; i += GW_T) {
            const rfreq_t angle = (rfreq_t)pos[pOff + (long)r * pStride] * invFreq[i];
            csl[i] = (float)(cos(angle) * (rfreq_t)attnScale);
            snl[i] = (float)(sin(angle) * (rfreq_t)attnScale);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        const long slot = tab[newSlotsOff + r];
        // (a version that issued 16 items' loads before any store was slower on the H100: 37 vs 22 us)
        for (int idx = t; idx < qItems + kItems + vw; idx += GW_T) {
            if (idx >= qItems + kItems) {
                const int c = idx - qItems - kItems;
                STOREKV(vc, slot * vw + c, ld_cg(rv + vOff + (long)r * vStride + c));
                continue;
            }
            int i;
            int h;
            __global float* p;
            if (idx < qItems) {
                i = idx % nPairs;
                h = idx / nPairs;
                p = rq + qOff + (long)r * qStride + h * headDim;
            } else {
                const int e = idx - qItems;
                i = e % kPer;
                h = e / kPer;
                p = rk + kOff + (long)r * kStride + h * headDim;
                if (i >= nPairs) {
                    const int c = 2 * nPairs + (i - nPairs);
                    STOREKV(kc, slot * (long)(kHeads * headDim) + h * headDim + c, ld_cg(p + c));
                    continue;
                }
            }
            const float cs = csl[i];
            const float sn = snl[i];
            const int c0 = interleaved ? 2 * i : i;
            const int c1 = interleaved ? 2 * i + 1 : i + nPairs;
            const float x0 = ld_cg(p + c0);
            const float x1 = ld_cg(p + c1);
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
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (t == 0) counters[counter] = 0;
#endif
#if GW_EPI == 1
    __local float nred[GW_T];
    for (int r = 0; r < rows; r++) {
        __global const float* yr = y + yOff + (long)r * yStride;
        __global float* rr = res + rOff + (long)r * rStride;
        // every load of the row issued before any store (a store may alias a later load for the
        // compiler, which would otherwise serialize one round trip per element)
        float v[GW_NV];
        float rv[GW_NV];
        float wv[GW_NV];
        float ss = 0.f;
#pragma unroll
        for (int i = 0; i < GW_NV; i++) {
            const int c = t + i * GW_T;
            v[i] = c < N ? ld_cg(yr + c) : 0.f;
            rv[i] = c < N && hasRes ? rr[c] : 0.f;
            wv[i] = c < N ? wOffset + load_any(nw, c, nwType) : 0.f;
        }
#pragma unroll
        for (int i = 0; i < GW_NV; i++) {
            v[i] += rv[i];
            ss += v[i] * v[i];
        }
        if (hasRes) {
#pragma unroll
            for (int i = 0; i < GW_NV; i++) {
                const int c = t + i * GW_T;
                if (c < N) rr[c] = v[i];
            }
        }
        for (int c = t + GW_NV * GW_T; c < N; c += GW_T) {
            float a = ld_cg(yr + c);
            if (hasRes) {
                a += rr[c];
                rr[c] = a;
            }
            ss += a * a;
        }
        nred[t] = ss;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int st = GW_T / 2; st > 0; st >>= 1) {
            if (t < st) nred[t] += nred[t + st];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        const float inv = 1.0f / sqrt(nred[0] / (float)N + eps);
        __global float* orow2 = nout + nOff + (long)r * nStride;
#pragma unroll
        for (int i = 0; i < GW_NV; i++) {
            const int c = t + i * GW_T;
            if (c < N) orow2[c] = v[i] * inv * wv[i];
        }
        for (int c = t + GW_NV * GW_T; c < N; c += GW_T) {
            const float a = hasRes ? rr[c] : ld_cg(yr + c);
            orow2[c] = a * inv * (wOffset + load_any(nw, c, nwType));
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (t == 0) counters[counter] = 0;
#endif
}

#undef GW_EXTRA
#undef GW_PEXTRA
#undef GW_PN
#undef GW_XQ
#undef GWNAME
#undef GW_EPI
#undef GW_XL8
#undef GW_T
#undef GW_W
#undef GW_R
#undef GW_NV
#undef GW_MAXP
#undef GW_PF
