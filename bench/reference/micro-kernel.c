// What a GEMM micro-kernel can reach on one core with everything in cache, written in C, to set
// Gemm's 12 x 32 Java kernel against: MR x NR blocks of f32 accumulators (24 zmm for most shapes),
// one packed KC x NR weight block (L2 at KC 1024) and packed x tiles (MR values per k side by
// side), each as a ratio to an FMA-peak loop timed just before it on the same core.
//   gcc -O3 -march=native -o micro-kernel micro-kernel.c && ./micro-kernel KC TILES [rounds]
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

__attribute__((noinline)) static float peak(long iters) {
    __m512 c[24]; for (int i = 0; i < 24; i++) c[i] = _mm512_set1_ps(i * 1e-3f);
    __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-6f);
    for (long it = 0; it < iters; it++) { _Pragma("GCC unroll 24") for (int i = 0; i < 24; i++) c[i] = _mm512_fmadd_ps(c[i], a, b); }
    __m512 s = c[0]; for (int i = 1; i < 24; i++) s = _mm512_add_ps(s, c[i]); return _mm512_reduce_add_ps(s);
}

#define KER(MR, NV) __attribute__((noinline)) static void k##MR##x##NV(const float *w, const float *x, int kc, float *out) { \
    __m512 c[MR * NV]; for (int i = 0; i < MR * NV; i++) c[i] = _mm512_setzero_ps(); \
    for (int k = 0; k < kc; k++) { \
        __m512 wv[NV]; _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) wv[v] = _mm512_load_ps(w + 16 * NV * k + 16 * v); \
        _Pragma("GCC unroll 32") for (int r = 0; r < MR; r++) { \
            __m512 xb = _mm512_set1_ps(x[MR * k + r]); \
            _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) c[r * NV + v] = _mm512_fmadd_ps(wv[v], xb, c[r * NV + v]); } } \
    for (int i = 0; i < MR * NV; i++) _mm512_storeu_ps(out + 16 * i, c[i]); }
KER(12, 2) KER(14, 2) KER(8, 3) KER(6, 4) KER(4, 6) KER(9, 3)

typedef void (*kernel)(const float *, const float *, int, float *);

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: micro-kernel KC TILES [rounds]\n"); return 2; }
    int kc = atoi(argv[1]), tiles = atoi(argv[2]), rounds = argc > 3 ? atoi(argv[3]) : 3;
    float *w = aligned_alloc(64, 4L * kc * 96), *x = aligned_alloc(64, 4L * tiles * 14 * kc + 64);
    for (long i = 0; i < (long) kc * 96; i++) w[i] = 1e-3f * (i % 7);
    for (long i = 0; i < (long) tiles * 14 * kc; i++) x[i] = 1e-3f * (i % 5);
    static float out[2000];
    float sink = 0;
    kernel ks[] = {k12x2, k14x2, k8x3, k6x4, k4x6, k9x3};
    int mr[] = {12, 14, 8, 6, 4, 9}, nv[] = {2, 2, 3, 4, 6, 3};
    for (int r = 0; r < rounds; r++) {
        long it = 10000000; double t = now(); sink += peak(it);
        double gp = it * 24.0 * 32 / (now() - t) / 1e9;
        printf("peak %.0f GFLOP/s, kernel / peak:", gp);
        for (int f = 0; f < 6; f++) {
            double fl = 2.0 * 16 * nv[f] * mr[f] * kc * tiles; long reps = (long) (3e9 / fl) + 1; t = now();
            for (long q = 0; q < reps; q++) for (int ti = 0; ti < tiles; ti++) ks[f](w, x + (long) ti * mr[f] * kc, kc, out);
            printf("  %dx%d %.3f", mr[f], 16 * nv[f], reps * fl / (now() - t) / 1e9 / gp);
        }
        printf("\n");
    }
    printf("(sink %g %g)\n", sink, out[0]);
    return 0;
}
