// Linear layers y = x W^T + b, compiled once per weight storage type (-DWT=DT_F32/DT_F16/DT_BF16).
// W is [N, ld] row-major with ld a multiple of 8 and zeros past K (the backend pads at load), so
// every row starts 16-byte aligned and 8-wide loads never leave the row; x and y are f32 views
// (offset, row stride) into activation buffers.

#if WT == DT_F32
typedef float wt_t;
#define LOADW(p, i) ((p)[i])
inline float8 loadw8(__global const float* p) {
    return (float8)(*(__global const float4*)p, *((__global const float4*)p + 1));
}
inline float4 loadw4(__global const float* p) { return *(__global const float4*)p; }
#elif WT == DT_F16
typedef half wt_t;
#define LOADW(p, i) vload_half((size_t)(i), (p))
inline float8 loadw8(__global const half* p) { return vloada_half8(0, p); }
inline float4 loadw4(__global const half* p) { return vloada_half4(0, p); }
#else
typedef ushort wt_t;
#define LOADW(p, i) bf16_to_float((p)[i])
inline float8 loadw8(__global const ushort* p) {
    uint4 u = *(__global const uint4*)p;
    return (float8)(as_float(u.x << 16), as_float(u.x & 0xffff0000u), as_float(u.y << 16), as_float(u.y & 0xffff0000u),
                    as_float(u.z << 16), as_float(u.z & 0xffff0000u), as_float(u.w << 16), as_float(u.w & 0xffff0000u));
}
inline float4 loadw4(__global const ushort* p) {
    uint2 u = *(__global const uint2*)p;
    return (float4)(as_float(u.x << 16), as_float(u.x & 0xffff0000u), as_float(u.y << 16), as_float(u.y & 0xffff0000u));
}
#endif

// a weight chunk of 8 loaded but not yet converted (wraw_t), so a load can be issued well before
// its first use without the conversion making the thread wait for it (bf16: the 16 raw bytes)
#if WT == DT_BF16
typedef uint4 wraw_t;
inline uint4 loadw_raw(__global const ushort* p) { return *(__global const uint4*)p; }
inline float8 cvtw8(uint4 u) {
    return (float8)(as_float(u.x << 16), as_float(u.x & 0xffff0000u), as_float(u.y << 16), as_float(u.y & 0xffff0000u),
                    as_float(u.z << 16), as_float(u.z & 0xffff0000u), as_float(u.w << 16), as_float(u.w & 0xffff0000u));
}
#else
typedef float8 wraw_t;
inline float8 loadw_raw(__global const wt_t* p) { return loadw8(p); }
inline float8 cvtw8(float8 v) { return v; }
#endif

inline float dot8(float8 a, float8 b) { return dot(a.lo, b.lo) + dot(a.hi, b.hi); }

// GEMV shape (gemv.cl): GV_OUT outputs per 256-thread work-group, up to GV_NR activation rows per pass
#ifndef GV_OUT
#define GV_OUT 4
#endif
#define GV_NR 4
#define GV_T 256

// Sums the K-split partials of a GEMM (part[s][M][N], dense) into y and adds the bias.
__kernel void splitk_reduce(__global const float* restrict part, int nsplit, int M, int N,
                            __global const uchar* restrict bias, int biasType, int hasBias,
                            __global float* restrict y, long yOff, int yStride) {
    const int n = get_global_id(0);
    const int m = get_global_id(1);
    if (n >= N || m >= M) return;
    float v = hasBias ? load_any(bias, n, biasType) : 0.f;
    for (int s = 0; s < nsplit; s++) v += part[((long)s * M + m) * N + n];
    y[yOff + (long)m * yStride + n] = v;
}
