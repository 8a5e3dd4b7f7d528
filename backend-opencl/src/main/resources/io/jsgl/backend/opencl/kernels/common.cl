// Shared by every jsgl OpenCL program. OpenCL C 1.2; no cl_khr_fp16 needed: f16 is read and
// written through vload_half / vstore_half, bf16 through bit shifts.
#ifdef cl_khr_fp64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#define JSGL_FP64 1
#endif

#define DT_F32 0
#define DT_F16 1
#define DT_BF16 2

inline float bf16_to_float(ushort b) { return as_float(((uint)b) << 16); }

// round to nearest even, NaN kept quiet: what PyTorch and io.jsgl.spi.host.Numerics do
inline ushort float_to_bf16(float f) {
    uint u = as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort)0x7fc0;
    u += 0x7fffu + ((u >> 16) & 1u);
    return (ushort)(u >> 16);
}

// element i of a buffer whose dtype is only known at run time (norm weights, biases, tables)
inline float load_any(__global const uchar* p, long i, int dt) {
    if (dt == DT_F32) return ((__global const float*)p)[i];
    if (dt == DT_F16) return vload_half((size_t)i, (__global const half*)p);
    return bf16_to_float(((__global const ushort*)p)[i]);
}

// sum over the 32 lanes of a warp: PTX shuffles on NVIDIA (built with -DJSGL_NV), else local memory
#ifdef JSGL_NV
inline float warp_sum32(float v) {
    float t;
    asm volatile("shfl.sync.bfly.b32 %0, %1, 16, 0x1f, 0xffffffff;" : "=f"(t) : "f"(v)); v += t;
    asm volatile("shfl.sync.bfly.b32 %0, %1, 8, 0x1f, 0xffffffff;" : "=f"(t) : "f"(v)); v += t;
    asm volatile("shfl.sync.bfly.b32 %0, %1, 4, 0x1f, 0xffffffff;" : "=f"(t) : "f"(v)); v += t;
    asm volatile("shfl.sync.bfly.b32 %0, %1, 2, 0x1f, 0xffffffff;" : "=f"(t) : "f"(v)); v += t;
    asm volatile("shfl.sync.bfly.b32 %0, %1, 1, 0x1f, 0xffffffff;" : "=f"(t) : "f"(v)); v += t;
    return v;
}

// max over the 32 lanes of a warp (NVIDIA only; the kernels that call it are NVIDIA paths)
inline float warp_max32(float v) {
    float t;
    asm volatile("shfl.sync.bfly.b32 %0, %1, 16, 0x1f, 0xffffffff;" : "=f"(t) : "f"(v)); v = fmax(v, t);
    asm volatile("shfl.sync.bfly.b32 %0, %1, 8, 0x1f, 0xffffffff;" : "=f"(t) : "f"(v)); v = fmax(v, t);
    asm volatile("shfl.sync.bfly.b32 %0, %1, 4, 0x1f, 0xffffffff;" : "=f"(t) : "f"(v)); v = fmax(v, t);
    asm volatile("shfl.sync.bfly.b32 %0, %1, 2, 0x1f, 0xffffffff;" : "=f"(t) : "f"(v)); v = fmax(v, t);
    asm volatile("shfl.sync.bfly.b32 %0, %1, 1, 0x1f, 0xffffffff;" : "=f"(t) : "f"(v)); v = fmax(v, t);
    return v;
}
#endif

// the fence of the last-arriving work-group pattern: before a work-group counts itself done (its
// partials must be visible device-wide), and in the last one before it reads the others' partials;
// PTX membar.gl on NVIDIA, then the OpenCL fence
inline void grid_fence(void) {
#ifdef JSGL_NV
    asm volatile("membar.gl;" ::: "memory");
#endif
    mem_fence(CLK_GLOBAL_MEM_FENCE);
}

// a load that bypasses the (non-coherent) L1 cache: reads what other work-groups wrote before a
// device-wide counter said they were done; kept in program order (volatile asm)
inline float ld_cg(__global const float* p) {
#ifdef JSGL_NV
    float v;
    asm volatile("ld.global.cg.f32 %0, [%1];" : "=f"(v) : "l"(p));
    return v;
#else
    return *(volatile __global const float*)p;
#endif
}

// two floats at an 8-byte aligned address, as ld_cg
inline float2 ld_cg2(__global const float* p) {
#ifdef JSGL_NV
    float2 v;
    asm volatile("ld.global.cg.v2.f32 {%0, %1}, [%2];" : "=f"(v.x), "=f"(v.y) : "l"(p));
    return v;
#else
    return (float2)(*(volatile __global const float*)p, *(volatile __global const float*)(p + 1));
#endif
}
