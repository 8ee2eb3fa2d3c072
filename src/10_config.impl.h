/* ======================================================================
   @config  implementation: allocator hooks, errors, buffers, wipe,
            constant-time compare, base64url/hex, OS randomness, clock
   Assumes: POSIX (getrandom(2) on Linux/glibc >= 2.25 or /dev/urandom).
   ====================================================================== */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <stdarg.h>
#include <errno.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#if defined(__linux__) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
#include <sys/random.h>
#define DYNSESS__HAVE_GETRANDOM 1
#endif

#if defined(DYNSESS_MALLOC) != defined(DYNSESS_FREE)
#error "dynsess.h: define both DYNSESS_MALLOC and DYNSESS_FREE, or neither"
#endif
#if defined(DYNSESS_REALLOC) && !defined(DYNSESS_MALLOC)
#error "dynsess.h: DYNSESS_REALLOC needs DYNSESS_MALLOC and DYNSESS_FREE too"
#endif
#ifndef DYNSESS_MALLOC
#define DYNSESS_MALLOC(size, user) ((void)(user), malloc(size))
#define DYNSESS_FREE(ptr, user) ((void)(user), free(ptr))
#ifndef DYNSESS_REALLOC
#define DYNSESS_REALLOC(ptr, size, user) ((void)(user), realloc(ptr, size))
#endif
#endif
#ifndef DYNSESS_ASSERT
#include <assert.h>
#define DYNSESS_ASSERT(x) assert(x)
#endif

#if defined(__GNUC__) || defined(__clang__)
#define DYNSESS__LIKELY(x) __builtin_expect(!!(x), 1)
#define DYNSESS__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define DYNSESS__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DYNSESS__LIKELY(x) (x)
#define DYNSESS__UNLIKELY(x) (x)
#define DYNSESS__PRINTF(a, b)
#endif

/* Fills zero fields of a desc with their defaults. */
#define DYNSESS__DEF(v, dflt) ((v) = ((v) ? (v) : (dflt)))

/* ---- status strings ------------------------------------------------------ */
DYNSESS_DEF const char *dynsess_strerror(dynsess_status code) {
    static const char *const texts[] = {
#define DYNSESS__STATUS_TEXT(name, text) text,
        DYNSESS__STATUS_LIST(DYNSESS__STATUS_TEXT)
#undef DYNSESS__STATUS_TEXT
    };
    if ((int)code < 0 || (int)code >= (int)DYNSESS__STATUS_COUNT) return "unknown status";
    return texts[code];
}

DYNSESS_DEF void dynsess_error_clear(dynsess_error *err) {
    if (!err) return;
    err->code = DYNSESS_OK;
    err->offset = DYNSESS_NO_OFFSET;
    err->msg[0] = 0;
}

/* Records a failure in err (if any) and returns code. fmt never carries
   secrets: callers pass section names, offsets and field names only. */
static DYNSESS__UNUSED DYNSESS__PRINTF(4, 5) dynsess_status dynsess__fail(dynsess_error *err, dynsess_status code,
                                                         size_t offset, const char *fmt, ...) {
    va_list ap;
    if (!err) return code;
    err->code = code;
    err->offset = offset;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

/* Keeps a callee's error but prefixes context: "dynamodb: " + msg. */
static DYNSESS__UNUSED dynsess_status dynsess__fail_nomem(dynsess_error *err, const char *section) {
    return dynsess__fail(err, DYNSESS_E_NOMEM, DYNSESS_NO_OFFSET, "%s: out of memory", section);
}

DYNSESS_DEF dynsess_str dynsess_cstr(const char *s) {
    dynsess_str r;
    r.ptr = s;
    r.len = s ? strlen(s) : 0;
    return r;
}

/* ---- allocation ----------------------------------------------------------- */
static DYNSESS__UNUSED int dynsess__size_add(size_t a, size_t b, size_t *out) {
    if (a > (size_t)-1 - b) return 0;
    *out = a + b;
    return 1;
}
static DYNSESS__UNUSED int dynsess__size_mul(size_t a, size_t b, size_t *out) {
    if (b && a > (size_t)-1 / b) return 0;
    *out = a * b;
    return 1;
}

static DYNSESS__UNUSED void *dynsess__alloc(const dynsess_allocator *a, size_t n) {
    if (n == 0) n = 1;
    if (a && a->alloc) return a->alloc(a->user, n);
    return DYNSESS_MALLOC(n, a ? a->user : 0);
}
static DYNSESS__UNUSED void dynsess__free(const dynsess_allocator *a, void *p) {
    if (!p) return;
    if (a && a->free) { a->free(a->user, p); return; }
    DYNSESS_FREE(p, a ? a->user : 0);
}
/* On failure returns 0 and leaves p allocated and unchanged. */
static DYNSESS__UNUSED void *dynsess__realloc(const dynsess_allocator *a, void *p, size_t old_n, size_t n) {
    void *q;
    if (!p) return dynsess__alloc(a, n);
    if (n == 0) n = 1;
    if (a && a->alloc) {
        if (a->realloc) return a->realloc(a->user, p, old_n, n);
        q = a->alloc(a->user, n);
        if (!q) return 0;
        memcpy(q, p, old_n < n ? old_n : n);
        a->free(a->user, p);
        return q;
    }
#ifdef DYNSESS_REALLOC
    (void)old_n;
    return DYNSESS_REALLOC(p, n, a ? a->user : 0);
#else
    q = DYNSESS_MALLOC(n, a ? a->user : 0);
    if (!q) return 0;
    memcpy(q, p, old_n < n ? old_n : n);
    DYNSESS_FREE(p, a ? a->user : 0);
    return q;
#endif
}
/* 1 if the allocator is usable: {0}, or alloc and free both set. */
static DYNSESS__UNUSED int dynsess__allocator_valid(const dynsess_allocator *a) {
    return !a || (!a->alloc == !a->free && (a->alloc || !a->realloc));
}

DYNSESS_DEF void dynsess_free(const dynsess_allocator *a, void *p) { dynsess__free(a, p); }

/* ---- wipe and compare ----------------------------------------------------- */
/* memset, then an empty asm that claims to read the memory: the compiler
   must assume the zeroes are observed, so it cannot drop the memset.
   Elsewhere a loop of volatile stores. */
DYNSESS_DEF void dynsess_wipe(void *p, size_t n) {
#if defined(__GNUC__) || defined(__clang__)
    if (!n) return;
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
#else
    volatile unsigned char *v = (volatile unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++) v[i] = 0;
#endif
}

/* CT: time depends on n only. */
DYNSESS_DEF int dynsess_ct_equal(const void *a, const void *b, size_t n) {
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    unsigned diff = 0;
    size_t i;
    for (i = 0; i < n; i++) diff |= (unsigned)(x[i] ^ y[i]);
    return (int)(1 & ((diff - 1) >> 8));
}

/* ---- buffers ---------------------------------------------------------------- */
DYNSESS_DEF void dynsess_buf_init(dynsess_buf *b, const dynsess_allocator *alloc) {
    b->ptr = 0;
    b->len = b->cap = b->limit = 0;
    if (alloc) b->alloc = *alloc;
    else memset(&b->alloc, 0, sizeof b->alloc);
}

DYNSESS_DEF dynsess_status dynsess_buf_reserve(dynsess_buf *b, size_t n, dynsess_error *err) {
    size_t need, cap;
    char *p;
    if (!dynsess__size_add(b->len, n, &need) || !dynsess__size_add(need, 1, &need))
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "buf: size overflow");
    if (b->limit && need - 1 > b->limit)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET,
                             "buf: %lu bytes exceed the limit of %lu", (unsigned long)(need - 1),
                             (unsigned long)b->limit);
    if (need <= b->cap) return DYNSESS_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > (size_t)-1 / 2) { cap = need; break; }
        cap *= 2;
    }
    p = (char *)dynsess__realloc(&b->alloc, b->ptr, b->cap, cap);
    if (!p) return dynsess__fail_nomem(err, "buf");
    b->ptr = p;
    b->cap = cap;
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_buf_append(dynsess_buf *b, const void *p, size_t n,
                                              dynsess_error *err) {
    dynsess_status rc = dynsess_buf_reserve(b, n, err);
    if (rc) return rc;
    if (n) memcpy(b->ptr + b->len, p, n);
    b->len += n;
    b->ptr[b->len] = 0;
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_buf_appendz(dynsess_buf *b, const char *s, dynsess_error *err) {
    return dynsess_buf_append(b, s, strlen(s), err);
}

DYNSESS_DEF void dynsess_buf_reset(dynsess_buf *b) {
    b->len = 0;
    if (b->ptr) b->ptr[0] = 0;
}

DYNSESS_DEF void dynsess_buf_free(dynsess_buf *b) {
    dynsess_allocator a = b->alloc;
    size_t limit = b->limit;
    if (b->ptr) {
        dynsess_wipe(b->ptr, b->cap);
        dynsess__free(&a, b->ptr);
    }
    dynsess_buf_init(b, &a);
    b->limit = limit;
}

DYNSESS_DEF char *dynsess_buf_take(dynsess_buf *b, size_t *len) {
    char *p = b->ptr;
    if (len) *len = b->len;
    b->ptr = 0;
    b->len = b->cap = 0;
    return p;
}

/* ---- base64url and hex --------------------------------------------------- */
static const char dynsess__b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

DYNSESS_DEF size_t dynsess_base64url_encode(const void *in, size_t n, char *out, size_t cap) {
    const uint8_t *s = (const uint8_t *)in;
    size_t olen = DYNSESS_BASE64URL_LEN(n), i = 0, o = 0;
    if (n > ((size_t)-1 / 4) * 3 - 3 || cap < olen + 1) return (size_t)-1;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)s[i] << 16) | ((uint32_t)s[i + 1] << 8) | s[i + 2];
        out[o++] = dynsess__b64url_alphabet[(v >> 18) & 63];
        out[o++] = dynsess__b64url_alphabet[(v >> 12) & 63];
        out[o++] = dynsess__b64url_alphabet[(v >> 6) & 63];
        out[o++] = dynsess__b64url_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        out[o++] = dynsess__b64url_alphabet[(v >> 18) & 63];
        out[o++] = dynsess__b64url_alphabet[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)s[i] << 16) | ((uint32_t)s[i + 1] << 8);
        out[o++] = dynsess__b64url_alphabet[(v >> 18) & 63];
        out[o++] = dynsess__b64url_alphabet[(v >> 12) & 63];
        out[o++] = dynsess__b64url_alphabet[(v >> 6) & 63];
    }
    out[o] = 0;
    return o;
}

/* Value of each byte as a base64url digit, or -1 (RFC 4648 §5 alphabet). */
static const signed char dynsess__b64url_values[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
    -1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

DYNSESS_DEF dynsess_status dynsess_base64url_decode(const char *in, size_t n, uint8_t *out,
                                                    size_t cap, size_t *out_len,
                                                    dynsess_error *err) {
    size_t i, o = 0, need = (n / 4) * 3 + (n % 4 ? n % 4 - 1 : 0);
    uint32_t acc = 0;
    int bits = 0;
    if (n % 4 == 1)
        return dynsess__fail(err, DYNSESS_E_COOKIE, n - 1,
                             "base64url: impossible length %lu", (unsigned long)n);
    if (need > cap)
        return dynsess__fail(err, DYNSESS_E_BUFFER, DYNSESS_NO_OFFSET,
                             "base64url: output needs %lu bytes, buffer has %lu",
                             (unsigned long)need, (unsigned long)cap);
    for (i = 0; i < n; i++) {
        int v = dynsess__b64url_values[(unsigned char)in[i]];
        if (v < 0)
            return dynsess__fail(err, DYNSESS_E_COOKIE, i,
                                 "base64url: invalid character at offset %lu", (unsigned long)i);
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* RFC 4648 §3.5: pad bits must be zero (canonical encoding) */
        return dynsess__fail(err, DYNSESS_E_COOKIE, n - 1,
                             "base64url: non-canonical trailing bits at offset %lu",
                             (unsigned long)(n - 1));
    if (out_len) *out_len = o;
    return DYNSESS_OK;
}

DYNSESS_DEF void dynsess_hex_encode(const void *in, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    const uint8_t *s = (const uint8_t *)in;
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[s[i] >> 4];
        out[2 * i + 1] = digits[s[i] & 15];
    }
    out[2 * n] = 0;
}

static DYNSESS__UNUSED int dynsess__hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

DYNSESS_DEF dynsess_status dynsess_hex_decode(const char *in, size_t n, uint8_t *out, size_t cap,
                                              size_t *out_len, dynsess_error *err) {
    size_t i;
    if (n % 2)
        return dynsess__fail(err, DYNSESS_E_ARG, n, "hex: odd length %lu", (unsigned long)n);
    if (n / 2 > cap)
        return dynsess__fail(err, DYNSESS_E_BUFFER, DYNSESS_NO_OFFSET, "hex: output buffer too small");
    for (i = 0; i < n; i += 2) {
        int hi = dynsess__hex_value((unsigned char)in[i]);
        int lo = dynsess__hex_value((unsigned char)in[i + 1]);
        if (hi < 0 || lo < 0)
            return dynsess__fail(err, DYNSESS_E_ARG, hi < 0 ? i : i + 1,
                                 "hex: invalid digit at offset %lu",
                                 (unsigned long)(hi < 0 ? i : i + 1));
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    if (out_len) *out_len = n / 2;
    return DYNSESS_OK;
}

/* ---- OS randomness --------------------------------------------------------- */
static DYNSESS__UNUSED int dynsess__urandom(void *buf, size_t n) {
    unsigned char *p = (unsigned char *)buf;
    int fd;
    do fd = open("/dev/urandom", O_RDONLY);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return 0;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) { close(fd); return 0; }
        p += r;
        n -= (size_t)r;
    }
    close(fd);
    return 1;
}

DYNSESS_DEF dynsess_status dynsess_random_bytes(void *buf, size_t n, dynsess_error *err) {
#ifdef DYNSESS__HAVE_GETRANDOM
    unsigned char *p = (unsigned char *)buf;
    size_t left = n;
    while (left) {
        ssize_t r = getrandom(p, left, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break; /* ENOSYS (old kernel) or EPERM (seccomp): try the device */
        p += r;
        left -= (size_t)r;
    }
    if (!left) return DYNSESS_OK;
#endif
    if (dynsess__urandom(buf, n)) return DYNSESS_OK;
    dynsess_wipe(buf, n);
    return dynsess__fail(err, DYNSESS_E_RANDOM, DYNSESS_NO_OFFSET,
                         "random: neither getrandom(2) nor /dev/urandom is available");
}

/* Draws from the hook if set, else from the OS. */
static DYNSESS__UNUSED dynsess_status dynsess__rng_fill(const dynsess_rng *rng, void *buf, size_t n,
                                        dynsess_error *err) {
    dynsess_status rc;
    if (!rng || !rng->fill) return dynsess_random_bytes(buf, n, err);
    rc = rng->fill(rng->user, buf, n);
    if (rc) return dynsess__fail(err, DYNSESS_E_RANDOM, DYNSESS_NO_OFFSET,
                                 "random: the rng hook failed (%s)", dynsess_strerror(rc));
    return DYNSESS_OK;
}

/* ---- clock -------------------------------------------------------------------- */
DYNSESS_DEF int64_t dynsess_time_now(void) { return (int64_t)time(0); }

static DYNSESS__UNUSED int64_t dynsess__clock_now(const dynsess_clock *c) {
    return (c && c->now) ? c->now(c->user) : dynsess_time_now();
}

/* ---- logging ------------------------------------------------------------------ */
static DYNSESS__UNUSED DYNSESS__PRINTF(3, 4) void dynsess__log(const dynsess_logger *lg, dynsess_log_level level,
                                               const char *fmt, ...) {
    char msg[256];
    va_list ap;
    if (!lg || !lg->func) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lg->func(lg->user, level, msg);
}
