// The FP32 FMA peak of one core, written in C, to check the Java probe (FmaPeakBench.fmaLoop) against:
// independent chains of 512-bit FMAs with register operands, for 8 to 30 chains (FMA latency 4 x 2
// ports needs 8). Run one copy per core at once (taskset) for the machine's figure.
//   gcc -O3 -march=native -o fma-peak fma-peak.c && ./fma-peak [rounds]
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

#define PEAK(N) __attribute__((noinline)) static float peak##N(long iters) { \
    __m512 c[N]; for (int i = 0; i < N; i++) c[i] = _mm512_set1_ps(i * 1e-3f); \
    __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-6f); \
    for (long it = 0; it < iters; it++) { _Pragma("GCC unroll 32") for (int i = 0; i < N; i++) c[i] = _mm512_fmadd_ps(c[i], a, b); } \
    __m512 s = c[0]; for (int i = 1; i < N; i++) s = _mm512_add_ps(s, c[i]); return _mm512_reduce_add_ps(s); }
PEAK(8) PEAK(12) PEAK(16) PEAK(24) PEAK(30)

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    float sink = 0; // printed, so that no call is dropped as dead code
    for (int r = 0; r < rounds; r++) {
        long it = 4000000; double t;
        t = now(); sink += peak8(it * 3);      printf("chains 8: %.1f", it * 3 * 8 * 32.0 / (now() - t) / 1e9);
        t = now(); sink += peak12(it * 2);     printf("  12: %.1f", it * 2 * 12 * 32.0 / (now() - t) / 1e9);
        t = now(); sink += peak16(it * 3 / 2); printf("  16: %.1f", it * 3 / 2 * 16 * 32.0 / (now() - t) / 1e9);
        t = now(); sink += peak24(it);         printf("  24: %.1f", it * 24 * 32.0 / (now() - t) / 1e9);
        t = now(); sink += peak30(it * 4 / 5); printf("  30: %.1f GFLOP/s\n", it * 4 / 5 * 30 * 32.0 / (now() - t) / 1e9);
    }
    printf("(sink %g)\n", sink);
    return 0;
}
