/* tests/tt.h - the tiny test harness used by every tests/test_*.c
   - TT_TEST(name) defines a test; list them in an explicit table:
         static const tt_case tt_cases[] = { TT_CASE(name), ... };
         int main(int argc, char **argv) { return tt_main(argc, argv, tt_cases, TT_COUNT(tt_cases)); }
   - EXPECT*(...) records a failure and goes on; ASSERT*(...) records and returns from the test.
   - Each failure prints file:line and both values. One line per test.
   - Flags: --list, --filter=SUBSTRING. The last line is "<binary>: N passed, N failed".
   - tt_alloc: a dynsess_allocator that can fail the Nth allocation (OOM loops) and counts
     live blocks (leak check without ASan). */
#ifndef TT_H
#define TT_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define TT_UNUSED __attribute__((unused))
#else
#define TT_UNUSED
#endif

typedef struct tt_case { const char *name; void (*fn)(void); } tt_case;
#define TT_TEST(name) static void name(void)
#define TT_CASE(name) { #name, name }
#define TT_COUNT(a) (sizeof(a) / sizeof((a)[0]))

TT_UNUSED static int tt_failures_in_test;
TT_UNUSED static const char *tt_current;

TT_UNUSED static void tt_fail_at(const char *file, int line, const char *what) {
    tt_failures_in_test++;
    printf("  %s:%d: %s: %s\n", file, line, tt_current, what);
}
#define TT__FAIL(...) do { char tt__m[1024]; snprintf(tt__m, sizeof tt__m, __VA_ARGS__); \
                           tt_fail_at(__FILE__, __LINE__, tt__m); } while (0)
#define EXPECT(c) do { if (!(c)) TT__FAIL("expected %s", #c); } while (0)
#define ASSERT(c) do { if (!(c)) { TT__FAIL("required %s", #c); return; } } while (0)
#define EXPECT_EQ_INT(a, b) do { long long tt__a = (long long)(a), tt__b = (long long)(b); \
    if (tt__a != tt__b) TT__FAIL("%s == %s: %lld != %lld", #a, #b, tt__a, tt__b); } while (0)
#define ASSERT_EQ_INT(a, b) do { long long tt__a = (long long)(a), tt__b = (long long)(b); \
    if (tt__a != tt__b) { TT__FAIL("%s == %s: %lld != %lld", #a, #b, tt__a, tt__b); return; } } while (0)
#define EXPECT_EQ_STR(a, b) do { const char *tt__a = (a), *tt__b = (b); \
    if (!tt__a || !tt__b || strcmp(tt__a, tt__b)) \
        TT__FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b, tt__a ? tt__a : "(null)", tt__b ? tt__b : "(null)"); } while (0)
#define EXPECT_EQ_MEM(a, b, n) do { if (memcmp((a), (b), (n))) TT__FAIL("%s == %s (%lu bytes)", #a, #b, (unsigned long)(n)); } while (0)
/* status helpers: print the error message on failure */
/* (include dynsess.h before tt.h for these) */
#define EXPECT_OK(call, errp) do { int tt__rc = (int)(call); if (tt__rc != 0) \
    TT__FAIL("%s -> %d (%s)", #call, tt__rc, tt_msg(errp)); } while (0)
#define ASSERT_OK(call, errp) do { int tt__rc = (int)(call); if (tt__rc != 0) { \
    TT__FAIL("%s -> %d (%s)", #call, tt__rc, tt_msg(errp)); return; } } while (0)
#ifdef DYNSESS_H
TT_UNUSED static const char *tt_msg(const dynsess_error *e) { return e ? e->msg : ""; }
/* A store write request (tests that drive a store's vtable directly). */
TT_UNUSED static dynsess_write tt_write(const char *token, const char *data, int64_t created_at,
                                        int64_t expires_at, int64_t version, int is_new) {
    dynsess_write w;
    memset(&w, 0, sizeof w);
    w.token = dynsess_cstr(token);
    w.data = dynsess_cstr(data);
    w.created_at = created_at;
    w.expires_at = expires_at;
    w.version = version;
    w.is_new = is_new;
    return w;
}
#endif

/* ---- failing / counting allocator -------------------------------------- */
typedef struct tt_alloc_state {
    long fail_at;      /* 0: never fail; N: fail the Nth allocation */
    int fail_after;    /* 1: also fail every allocation after the Nth */
    long count;        /* allocations attempted */
    long live;         /* blocks currently allocated */
} tt_alloc_state;
TT_UNUSED static void *tt_alloc_fn(void *user, size_t n) {
    tt_alloc_state *s = (tt_alloc_state *)user;
    s->count++;
    if (s->fail_at && (s->count == s->fail_at || (s->fail_after && s->count > s->fail_at))) return 0;
    s->live++;
    return malloc(n);
}
TT_UNUSED static void tt_free_fn(void *user, void *p) {
    tt_alloc_state *s = (tt_alloc_state *)user;
    if (p) s->live--;
    free(p);
}
TT_UNUSED static void *tt_realloc_fn(void *user, void *p, size_t old_n, size_t n) {
    tt_alloc_state *s = (tt_alloc_state *)user;
    void *q;
    (void)old_n;
    if (!p) return tt_alloc_fn(user, n);
    s->count++;
    if (s->fail_at && (s->count == s->fail_at || (s->fail_after && s->count > s->fail_at))) return 0;
    q = realloc(p, n);
    return q;
}
/* Fills a dynsess_allocator-compatible struct (alloc, realloc, free, user). */
#define TT_ALLOCATOR(state) { tt_alloc_fn, tt_realloc_fn, tt_free_fn, (void *)(state) }

/* ---- file helpers -------------------------------------------------------- */
/* Reads a whole file; caller frees. Returns 0 if it cannot be read. */
TT_UNUSED static char *tt_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *p = 0;
    long n;
    if (!f) return 0;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        p = (char *)malloc((size_t)n + 1);
        if (p && fread(p, 1, (size_t)n, f) != (size_t)n) { free(p); p = 0; }
        if (p) { p[n] = 0; if (len) *len = (size_t)n; }
    }
    fclose(f);
    return p;
}

TT_UNUSED static int tt_main(int argc, char **argv, const tt_case *cases, size_t n) {
    const char *filter = 0, *prog = strrchr(argv[0], '/');
    size_t i;
    int passed = 0, failed = 0;
    prog = prog ? prog + 1 : argv[0];
    for (i = 1; i < (size_t)argc; i++) {
        if (!strcmp(argv[i], "--list")) {
            size_t j;
            for (j = 0; j < n; j++) printf("%s\n", cases[j].name);
            return 0;
        }
        if (!strncmp(argv[i], "--filter=", 9)) filter = argv[i] + 9;
    }
    setvbuf(stdout, 0, _IOLBF, 0);
    for (i = 0; i < n; i++) {
        if (filter && !strstr(cases[i].name, filter)) continue;
        tt_current = cases[i].name;
        tt_failures_in_test = 0;
        cases[i].fn();
        if (tt_failures_in_test) { failed++; printf("FAIL %s\n", cases[i].name); }
        else { passed++; printf("ok   %s\n", cases[i].name); }
    }
    printf("%s: %d passed, %d failed\n", prog, passed, failed);
    return failed ? 1 : 0;
}
#endif
