// OpenBLAS's sgemm against the FMA peak in alternating ~50 ms windows, the way PairedRatios pairs
// Gemm with FmaPeakBench: out = x W^T, x m x k row-major, W n x k row-major (a linear layer), on
// two threads. Links the OpenBLAS that numpy's wheel bundles (scipy-openblas, 64-bit ints):
//   L=$(python3 -c 'import numpy,os;print(os.path.join(os.path.dirname(numpy.__file__),"..","numpy.libs"))')
//   gcc -O3 -mavx512f -o openblas-paired openblas-paired.c $L/libscipy_openblas64_*.so -Wl,-rpath,$L -lpthread
//   OPENBLAS_THREAD_TIMEOUT=4 ./openblas-paired 512 896 9728 15
// OPENBLAS_THREAD_TIMEOUT=4 stops OpenBLAS's idle threads from spinning through the peak windows
// (without it the two-thread peak read as one core's).
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef long long i64;
extern void scipy_cblas_sgemm64_(int order, int ta, int tb, i64 m, i64 n, i64 k, float alpha, const float *a, i64 lda,
                                 const float *b, i64 ldb, float beta, float *c, i64 ldc);
extern void scipy_openblas_set_num_threads64_(int);

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static volatile float sink;

__attribute__((noinline)) static float peak(long iters) {
    __m512 c[16]; for (int i = 0; i < 16; i++) c[i] = _mm512_set1_ps(i * 1e-3f);
    __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-6f);
    for (long it = 0; it < iters; it++) { _Pragma("GCC unroll 16") for (int i = 0; i < 16; i++) c[i] = _mm512_fmadd_ps(c[i], a, b); }
    __m512 s = c[0]; for (int i = 1; i < 16; i++) s = _mm512_add_ps(s, c[i]); return _mm512_reduce_add_ps(s);
}
static void *peakThread(void *p) { sink += peak((long) p); return 0; }
static double peakWindow(int threads, long iters) {
    pthread_t t[64]; double t0 = now();
    for (int i = 0; i < threads; i++) pthread_create(&t[i], 0, peakThread, (void *) iters);
    for (int i = 0; i < threads; i++) pthread_join(t[i], 0);
    return (double) threads * iters * 16 * 32 / (now() - t0) / 1e9;
}
static int cmp(const void *a, const void *b) { double x = *(const double *) a, y = *(const double *) b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: openblas-paired M K N PAIRS [THREADS]\n"); return 2; }
    i64 m = atol(argv[1]), k = atol(argv[2]), n = atol(argv[3]);
    int pairs = atoi(argv[4]), threads = argc > 5 ? atoi(argv[5]) : 2;
    if (pairs > 200) pairs = 200;
    scipy_openblas_set_num_threads64_(threads);
    float *a = malloc(4 * m * k), *b = malloc(4 * k * n), *c = malloc(4 * m * n);
    for (i64 i = 0; i < m * k; i++) a[i] = (i % 7) * 1e-2f;
    for (i64 i = 0; i < k * n; i++) b[i] = (i % 5) * 1e-2f;
    double flops = 2.0 * m * n * k, g[200], p[200], r[200];
    for (int i = 0; i < 3; i++) { scipy_cblas_sgemm64_(101, 111, 112, m, n, k, 1, a, k, b, k, 0, c, n); peakWindow(threads, 10000000); }
    for (int i = 0; i < pairs; i++) {
        double t0 = now(); int calls = 0;
        while (now() - t0 < 0.05) { scipy_cblas_sgemm64_(101, 111, 112, m, n, k, 1, a, k, b, k, 0, c, n); calls++; }
        g[i] = calls * flops / (now() - t0) / 1e9;
        p[i] = peakWindow(threads, 3000000);
        r[i] = g[i] / p[i];
    }
    qsort(g, pairs, 8, cmp); qsort(p, pairs, 8, cmp); qsort(r, pairs, 8, cmp);
    printf("OpenBLAS sgemm %lldx%lldx%lld, %d threads: %.0f GFLOP/s median, FMA peak %.0f median, paired ratio median %.2f (p25 %.2f, p75 %.2f)\n",
           m, k, n, threads, g[pairs / 2], p[pairs / 2], r[pairs / 2], r[pairs / 4], r[3 * pairs / 4]);
    return 0;
}
