// The decode GEMV's instruction mix in C, against the same bandwidth probe as BandwidthProbe.sum,
// on the cpu-avx512 panel layout (32 rows x K columns per panel, one 64-byte bf16 line per column):
// what the hardware gives the Java kernel's loads, shifts, masks and FMAs when no JVM is involved.
// Two threads, each a contiguous half of the panels; probe and kernel passes alternate over two
// buffers of the LM head's size (Qwen2.5-0.5B: 151936 x 896 bf16) on 2 MiB transparent huge pages.
// Weights are 0x3f3f (0.746 as bf16): bytes of 1 would be bf16 values whose products are
// subnormal, and FMA assists on those run at half the speed.
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define K 896
#define PANELS 4748
#define PAIRS 20
#define MODES 4

static uint8_t *weights, *probeBuf;
static float xq[K];
static float out[PANELS * 32];
static const size_t BYTES = (size_t)PANELS * K * 64;
static int mode;
static volatile double sink;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint8_t *hugeAlloc(size_t n) {
    const size_t huge = 2u << 20;
    uint8_t *p = mmap(0, n + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(1); }
    p = (uint8_t *)(((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1));
    madvise(p, n, MADV_HUGEPAGE);
    memset(p, 0x3f, n);
    return p;
}

// With reg set, each line is loaded once into a register, as C2 compiles Gemv's loops; otherwise
// gcc folds the loads into the shift and the AND, so that each line is read twice from L1. The
// empty asm is what keeps gcc from folding; reg is a constant at every call, so it costs nothing.
#define KEEP_IN_REGISTERS(...) if (reg) __asm__ volatile("" : __VA_ARGS__)

// Gemv.bf16Row: four streams, one per quarter of the panel's columns
static inline __attribute__((always_inline)) void fourStreamsLoop(int p, int reg) {
    const uint8_t *b = weights + (size_t)p * K * 64;
    const int q = K / 4;
    const __m512i high = _mm512_set1_epi32((int)0xffff0000);
    __m512 lo0 = _mm512_setzero_ps(), lo1 = lo0, lo2 = lo0, lo3 = lo0, hi0 = lo0, hi1 = lo0, hi2 = lo0, hi3 = lo0;
    for (int c = 0; c < q; c++) {
        __m512i w0 = _mm512_load_si512(b + 64 * c), w1 = _mm512_load_si512(b + 64 * (c + q));
        __m512i w2 = _mm512_load_si512(b + 64 * (c + 2 * q)), w3 = _mm512_load_si512(b + 64 * (c + 3 * q));
        KEEP_IN_REGISTERS("+v"(w0), "+v"(w1), "+v"(w2), "+v"(w3));
        __m512 x0 = _mm512_set1_ps(xq[4 * c]), x1 = _mm512_set1_ps(xq[4 * c + 1]);
        __m512 x2 = _mm512_set1_ps(xq[4 * c + 2]), x3 = _mm512_set1_ps(xq[4 * c + 3]);
        lo0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(w0, 16)), x0, lo0);
        hi0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(w0, high)), x0, hi0);
        lo1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(w1, 16)), x1, lo1);
        hi1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(w1, high)), x1, hi1);
        lo2 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(w2, 16)), x2, lo2);
        hi2 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(w2, high)), x2, hi2);
        lo3 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(w3, 16)), x3, lo3);
        hi3 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(w3, high)), x3, hi3);
    }
    _mm512_storeu_ps(out + 32 * p, _mm512_add_ps(_mm512_add_ps(lo0, lo1), _mm512_add_ps(lo2, lo3)));
    _mm512_storeu_ps(out + 32 * p + 16, _mm512_add_ps(_mm512_add_ps(hi0, hi1), _mm512_add_ps(hi2, hi3)));
}

// one sequential stream, two lines per step (the Java version of this ran at 0.69-0.76 of the probe,
// as oneStreamReg does; only when C2 unrolled it eight times did it read 0.96-0.99)
static inline __attribute__((always_inline)) void oneStreamLoop(int p, int reg) {
    const uint8_t *b = weights + (size_t)p * K * 64;
    const __m512i high = _mm512_set1_epi32((int)0xffff0000);
    __m512 lo0 = _mm512_setzero_ps(), lo1 = lo0, hi0 = lo0, hi1 = lo0;
    for (int c = 0; c < K; c += 2) {
        __m512i w0 = _mm512_load_si512(b + 64 * c), w1 = _mm512_load_si512(b + 64 * c + 64);
        KEEP_IN_REGISTERS("+v"(w0), "+v"(w1));
        __m512 x0 = _mm512_set1_ps(xq[c]), x1 = _mm512_set1_ps(xq[c + 1]);
        lo0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(w0, 16)), x0, lo0);
        hi0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(w0, high)), x0, hi0);
        lo1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(w1, 16)), x1, lo1);
        hi1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(w1, high)), x1, hi1);
    }
    _mm512_storeu_ps(out + 32 * p, _mm512_add_ps(lo0, lo1));
    _mm512_storeu_ps(out + 32 * p + 16, _mm512_add_ps(hi0, hi1));
}

static void fourStreams(int p) { fourStreamsLoop(p, 0); }
static void fourStreamsReg(int p) { fourStreamsLoop(p, 1); }
static void oneStream(int p) { oneStreamLoop(p, 0); }
static void oneStreamReg(int p) { oneStreamLoop(p, 1); }

// BandwidthProbe.sum
static float probeSum(size_t from, size_t to) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t o = from; o < to; o += 256) {
        a0 = _mm512_add_ps(a0, _mm512_load_ps(probeBuf + o));
        a1 = _mm512_add_ps(a1, _mm512_load_ps(probeBuf + o + 64));
        a2 = _mm512_add_ps(a2, _mm512_load_ps(probeBuf + o + 128));
        a3 = _mm512_add_ps(a3, _mm512_load_ps(probeBuf + o + 192));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

static void *work(void *arg) {
    long t = (long)arg;
    if (mode == 0) {
        sink += probeSum(t * (BYTES / 2), (t + 1) * (BYTES / 2));
        return 0;
    }
    for (int p = t * PANELS / 2; p < (t + 1) * PANELS / 2; p++) {
        if (mode == 1) fourStreams(p);
        else if (mode == 2) oneStream(p);
        else if (mode == 3) fourStreamsReg(p);
        else oneStreamReg(p);
    }
    return 0;
}

static double pass(int m) {
    mode = m;
    pthread_t th;
    double t0 = now();
    pthread_create(&th, 0, work, (void *)1L);
    work((void *)0L);
    pthread_join(th, 0);
    return BYTES / (now() - t0) / 1e9;
}

static int byValue(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void) {
    weights = hugeAlloc(BYTES);
    probeBuf = hugeAlloc(BYTES);
    for (int i = 0; i < K; i++) xq[i] = 0.001f * i;
    const char *names[] = {"probe", "four quarter streams", "one stream", "four streams, reg", "one stream, reg"};
    for (int i = 0; i < 5; i++) for (int m = 0; m <= MODES; m++) pass(m);
    for (int m = 1; m <= MODES; m++) {
        double ratio[PAIRS], kernel[PAIRS], probe[PAIRS];
        for (int i = 0; i < PAIRS; i++) {
            kernel[i] = pass(m);
            probe[i] = pass(0);
            ratio[i] = kernel[i] / probe[i];
        }
        qsort(ratio, PAIRS, sizeof(double), byValue);
        qsort(kernel, PAIRS, sizeof(double), byValue);
        qsort(probe, PAIRS, sizeof(double), byValue);
        printf("%-21s %5.1f GB/s | probe %5.1f GB/s | paired ratio median %.2f (p25 %.2f, p75 %.2f)\n", names[m],
               kernel[PAIRS / 2], probe[PAIRS / 2], ratio[PAIRS / 2], ratio[PAIRS / 4], ratio[3 * PAIRS / 4]);
    }
    return 0;
}
