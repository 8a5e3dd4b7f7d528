// KV pool storage type (-DKVT=DT_F32/DT_F16/DT_BF16): kv_t and its loads and stores; the RoPE
// frequency type. Shared by attention.cl and the warp GEMV with the RoPE + KV-store epilogue.

#if KVT == DT_F32
typedef float kv_t;
#define LOADKV(p, i) ((p)[i])
#define LOADKV4(p) vload4(0, (p))
#define LOADKV8(p) vload8(0, (p))
#define STOREKV(p, i, v) ((p)[i] = (v))
#elif KVT == DT_F16
typedef half kv_t;
#define LOADKV(p, i) vload_half((size_t)(i), (p))
#define LOADKV4(p) vload_half4(0, (p))
#define LOADKV8(p) vload_half8(0, (p))
#define STOREKV(p, i, v) vstore_half_rte((v), (size_t)(i), (p))
#else
typedef ushort kv_t;
#define LOADKV(p, i) bf16_to_float((p)[i])
inline float4 loadkv4_bf16(__global const ushort* p) {
    ushort4 u = vload4(0, p);
    return (float4)(bf16_to_float(u.x), bf16_to_float(u.y), bf16_to_float(u.z), bf16_to_float(u.w));
}
#define LOADKV4(p) loadkv4_bf16(p)
inline float8 loadkv8_bf16(__global const ushort* p) {
    const uint4 u = *(__global const uint4*)p;
    return (float8)(as_float(u.x << 16), as_float(u.x & 0xffff0000u), as_float(u.y << 16), as_float(u.y & 0xffff0000u),
                    as_float(u.z << 16), as_float(u.z & 0xffff0000u), as_float(u.w << 16), as_float(u.w & 0xffff0000u));
}
#define LOADKV8(p) loadkv8_bf16(p)
#define STOREKV(p, i, v) ((p)[i] = float_to_bf16(v))
#endif

#ifdef JSGL_FP64
typedef double rfreq_t;
#else
typedef float rfreq_t;
#endif
