/* tools/bench/bench.h - helpers shared by the benchmarks in tools/bench/:
   a monotonic clock in ns, a qsort comparator for medians, and (glibc, no ASan) a
   heap-allocation counter made by interposing malloc/calloc/realloc/free, so a
   benchmark can report allocations per operation. Include after dynsess.h; the
   benchmark defines _POSIX_C_SOURCE 200809L first (clock_gettime). A benchmark that
   times other libraries' allocations (bench_json, ref_yyjson) defines
   BENCH_NO_ALLOC_COUNT first, so that no peer pays for the counter. */
#ifndef DYNSESS_BENCH_H
#define DYNSESS_BENCH_H
#if defined(__GNUC__) || defined(__clang__)
#define BENCH_UNUSED __attribute__((unused))
#else
#define BENCH_UNUSED
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

BENCH_UNUSED static long bench_allocs; /* allocations since start; read it around a timed loop */
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(BENCH_NO_ALLOC_COUNT)
#define BENCH_COUNTS_ALLOCS 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
void *malloc(size_t n);
void *calloc(size_t a, size_t b);
void *realloc(void *p, size_t n);
void free(void *p);
void *malloc(size_t n) { bench_allocs++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { bench_allocs++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { bench_allocs++; return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
#endif

BENCH_UNUSED static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* CPU time of this thread in ns: steadier than wall time on a busy machine */
BENCH_UNUSED static double cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* qsort comparator for doubles (medians of repeated runs) */
BENCH_UNUSED static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
#endif
