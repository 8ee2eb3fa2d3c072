/* ======================================================================
   @json  implementation: arena, strict parser (explicit stack, SWAR
          string scan, table-driven classes), compact writer, values
   Assumes: @config (allocator, dynsess_buf, dynsess__fail). Numbers:
   integers are parsed by hand; doubles take an exact fast path (Clinger)
   or strtod with the locale's decimal point patched in; printing tries an
   exact short form, then %.15g/%.16g/%.17g checked by parsing back.
   ====================================================================== */
#include <float.h>
#include <locale.h>
#include <math.h>

typedef struct dynsess__member {
    const char *key;
    size_t key_len;
    dynsess_value *val;
} dynsess__member;

struct dynsess_value {
    uint32_t type;              /* dynsess_json_type */
    uint32_t cap;               /* containers: allocated slots */
    size_t len;                 /* string bytes / array or object members */
    union {
        int64_t i;              /* BOOL (0/1) and INT */
        double d;               /* REAL */
        const char *s;          /* STRING: len bytes plus a NUL */
        dynsess_value **items;  /* ARRAY */
        dynsess__member *members; /* OBJECT */
    } u;
};

typedef struct dynsess__chunk {
    struct dynsess__chunk *next;
    size_t size;
} dynsess__chunk;

#define DYNSESS__JSON_INLINE 1536 /* first arena bytes live in the doc's own block */
#define DYNSESS__JSON_CHUNK_MAX ((size_t)1 << 20)

struct dynsess_doc {
    dynsess_allocator alloc;
    dynsess__chunk *chunks;     /* heap chunks, newest first */
    char *cur, *end;            /* bump region */
    size_t next_size;
    union { double d; void *p; int64_t i; } inline_[DYNSESS__JSON_INLINE / 8];
};

/* ---- arena ------------------------------------------------------------------ */
static DYNSESS__UNUSED void *dynsess__arena_grow(dynsess_doc *doc, size_t n) {
    size_t size = doc->next_size, hdr = (sizeof(dynsess__chunk) + 15) & ~(size_t)15;
    dynsess__chunk *c;
    if (n > (size_t)-1 - hdr - 16) return 0;
    if (n + hdr > size / 2) {
        /* big block: a chunk of its own; the bump region stays where it is */
        c = (dynsess__chunk *)dynsess__alloc(&doc->alloc, n + hdr);
        if (!c) return 0;
        c->next = doc->chunks;
        c->size = n + hdr;
        doc->chunks = c;
        return (char *)c + hdr;
    }
    c = (dynsess__chunk *)dynsess__alloc(&doc->alloc, size);
    if (!c) return 0;
    c->next = doc->chunks;
    c->size = size;
    doc->chunks = c;
    doc->cur = (char *)c + hdr + n;
    doc->end = (char *)c + size;
    if (doc->next_size < DYNSESS__JSON_CHUNK_MAX) doc->next_size *= 2;
    return (char *)c + hdr;
}

/* 8-byte aligned block of n bytes from the arena, or 0. */
static DYNSESS__UNUSED void *dynsess__arena_alloc(dynsess_doc *doc, size_t n) {
    void *p;
    n = (n + 7) & ~(size_t)7;
    if (DYNSESS__LIKELY((size_t)(doc->end - doc->cur) >= n)) {
        p = doc->cur;
        doc->cur += n;
        return p;
    }
    return dynsess__arena_grow(doc, n);
}

/* Makes sure the arena has n contiguous free bytes (parse pre-sizing). */
static DYNSESS__UNUSED int dynsess__arena_reserve(dynsess_doc *doc, size_t n) {
    char *p;
    if ((size_t)(doc->end - doc->cur) >= n) return 1;
    if (doc->next_size < n) doc->next_size = n;
    p = (char *)dynsess__arena_grow(doc, 0);
    return p != 0;
}

typedef struct dynsess__arena_mark {
    dynsess__chunk *chunks;
    char *cur, *end;
} dynsess__arena_mark;

static DYNSESS__UNUSED void dynsess__arena_rewind(dynsess_doc *doc, const dynsess__arena_mark *m) {
    while (doc->chunks != m->chunks) {
        dynsess__chunk *c = doc->chunks;
        doc->chunks = c->next;
        dynsess__free(&doc->alloc, c);
    }
    doc->cur = m->cur;
    doc->end = m->end;
}

DYNSESS_DEF dynsess_status dynsess_doc_new(const dynsess_allocator *alloc, dynsess_doc **out,
                                           dynsess_error *err) {
    dynsess_doc *doc;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "json: out is null");
    *out = 0;
    if (!dynsess__allocator_valid(alloc))
        return dynsess__fail(err, DYNSESS_E_CONFIG, DYNSESS_NO_OFFSET,
                             "json: allocator needs both alloc and free");
    doc = (dynsess_doc *)dynsess__alloc(alloc, sizeof *doc);
    if (!doc) return dynsess__fail_nomem(err, "json");
    if (alloc) doc->alloc = *alloc;
    else memset(&doc->alloc, 0, sizeof doc->alloc);
    doc->chunks = 0;
    doc->cur = (char *)doc->inline_;
    doc->end = doc->cur + sizeof doc->inline_;
    doc->next_size = 4096;
    *out = doc;
    return DYNSESS_OK;
}

DYNSESS_DEF void dynsess_doc_free(dynsess_doc *doc) {
    dynsess_allocator a;
    if (!doc) return;
    a = doc->alloc;
    while (doc->chunks) {
        dynsess__chunk *c = doc->chunks;
        doc->chunks = c->next;
        dynsess__free(&a, c);
    }
    dynsess__free(&a, doc);
}

/* ---- character classes ------------------------------------------------------- */
/* Checked against its definition by tests/test_json.c (json_char_table):
   bit 1: JSON whitespace; bit 2: needs escaping in output (< 0x20, '"', '\\');
   bit 4: ends a plain run while parsing a string ('"', '\\', < 0x20, >= 0x80). */
static const uint8_t dynsess__json_cls[256] = {
    6,6,6,6,6,6,6,6,6,7,7,6,6,7,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    1,0,6,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,6,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,
    4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,
    4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,
    4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4};
#define DYNSESS__CLS_WS 1
#define DYNSESS__CLS_ESC 2
#define DYNSESS__CLS_STR 4

/* SWAR block scans find the first special byte with a count-trailing-zeros on
   little-endian GCC/clang; elsewhere (or with DYNSESS__JSON_PORTABLE, which a
   test build sets) they stop at the block and a byte loop takes over. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !defined(DYNSESS__JSON_PORTABLE)
#define DYNSESS__CTZ_BYTES(m) ((size_t)__builtin_ctzll(m) >> 3)
#endif
/* With SSE2 (every x86-64) the parser's inline string scan takes 16 bytes at
   a time: one signed compare "< 0x20" flags both control bytes and bytes
   >= 0x80 (negative as int8). The input copy ends in 16 NUL bytes.
   DYNSESS__JSON_SWAR (a test build sets it) keeps the 8-byte path instead. */
#if defined(DYNSESS__CTZ_BYTES) && defined(__SSE2__) && !defined(DYNSESS__JSON_SWAR)
#include <emmintrin.h>
#define DYNSESS__JSON_SSE2 1
#endif
#define DYNSESS__ONES ((uint64_t)0x0101010101010101u)
#define DYNSESS__HIGH ((uint64_t)0x8080808080808080u)
/* Nonzero if one of the 8 bytes in x is '"', '\\', < 0x20 or (if hi) >= 0x80;
   then its lowest set bit (bit 7 of a byte) marks the first such byte exactly:
   below it no byte is special, so no subtraction borrows, and a byte < 0x80
   gets bit 7 from "v - 1" only if v is 0 (from "x - 0x20" only if x < 0x20).
   Bytes >= 0x80 are flagged by "| x", or masked out by "& ~x". */
static DYNSESS__UNUSED uint64_t dynsess__swar_special(uint64_t x, int hi) {
    uint64_t q = x ^ (DYNSESS__ONES * 0x22), b = x ^ (DYNSESS__ONES * 0x5c);
    uint64_t t = (q - DYNSESS__ONES) | (b - DYNSESS__ONES) | (x - DYNSESS__ONES * 0x20);
    return (hi ? (t | x) : (t & ~x)) & DYNSESS__HIGH;
}

/* Length of the valid UTF-8 sequence at p (p < e, *p >= 0x80), or 0 if it is
   invalid: overlong, a UTF-16 surrogate, above U+10FFFF or truncated. */
static DYNSESS__UNUSED size_t dynsess__utf8_seq(const unsigned char *p, const unsigned char *e) {
    unsigned c = p[0];
    if (c < 0xC2) return 0;
    if (c < 0xE0) return (e - p >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c < 0xF0) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (e - p < 3 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80) return 0;
        return 3;
    }
    if (c < 0xF5) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (e - p < 4 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

/* Offset of the first invalid UTF-8 byte in s, or (size_t)-1 if all valid. */
static DYNSESS__UNUSED size_t dynsess__utf8_check(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s, *e;
    if (!len) return (size_t)-1;
    e = p + len;
    while (p < e) {
        size_t n;
        while (e - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            if (x & DYNSESS__HIGH) break;
            p += 8;
        }
        if (p == e) break;
        if (*p < 0x80) { p++; continue; }
        n = dynsess__utf8_seq(p, e);
        if (!n) return (size_t)(p - (const unsigned char *)s);
        p += n;
    }
    return (size_t)-1;
}

/* ---- numbers ------------------------------------------------------------------- */
/* The C library's decimal point for the current locale (',' in de_DE). */
static DYNSESS__UNUSED char dynsess__locale_point(void) {
    const struct lconv *lc = localeconv();
    return (lc && lc->decimal_point && lc->decimal_point[0]) ? lc->decimal_point[0] : '.';
}

/* strtod over n bytes of JSON number text, independent of the locale.
   Returns 1 ok, 0 out of memory, -1 overflow to infinity. */
static DYNSESS__UNUSED int dynsess__strtod(const dynsess_allocator *a, const char *s, size_t n,
                                           double *out) {
    char local[128], *buf = local, *dot, point = dynsess__locale_point();
    double d;
    if (n >= sizeof local) {
        buf = (char *)dynsess__alloc(a, n + 1);
        if (!buf) return 0;
    }
    memcpy(buf, s, n);
    buf[n] = 0;
    dot = (char *)memchr(buf, '.', n);
    if (dot) *dot = point;
    d = strtod(buf, 0);
    if (buf != local) dynsess__free(a, buf);
    if (d == HUGE_VAL || d == -HUGE_VAL) return -1;
    *out = d;
    return 1;
}

static const double dynsess__pow10[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Exact double for w * 10^e10 when Clinger's fast path applies: w and 10^|e|
   are exact doubles, so one IEEE multiply/divide rounds correctly. */
static DYNSESS__UNUSED int dynsess__fast_double(uint64_t w, int e10, double *out) {
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    if (w > ((uint64_t)1 << 53) || e10 < -22 || e10 > 22) return 0;
    *out = e10 < 0 ? (double)w / dynsess__pow10[-e10] : (double)w * dynsess__pow10[e10];
    return 1;
#else
    (void)w; (void)e10; (void)out;
    return 0;
#endif
}

static const char dynsess__digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Decimal digits of v into the end of buf; returns the start. */
static DYNSESS__UNUSED char *dynsess__u64_digits(uint64_t v, char *end) {
    char *p = end;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, dynsess__digits2 + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, dynsess__digits2 + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return p;
}

/* Writes i in decimal to out (>= 21 bytes); returns the length. */
static DYNSESS__UNUSED size_t dynsess__i64_text(int64_t i, char *out) {
    char tmp[24], *p;
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    size_t n;
    p = dynsess__u64_digits(u, tmp + sizeof tmp);
    if (i < 0) *--p = '-';
    n = (size_t)(tmp + sizeof tmp - p);
    memcpy(out, p, n);
    return n;
}

/* Writes finite d to out (>= 32 bytes) so that it parses back to exactly d
   and reads as a number with a fraction or exponent; returns the length. */
static DYNSESS__UNUSED size_t dynsess__double_text(double d, char *out) {
    char tmp[40];
    int prec, k;
    size_t n, i;
    char point;
    if (d == 0) {
        if (signbit(d)) { memcpy(out, "-0.0", 4); return 4; }
        memcpy(out, "0.0", 3);
        return 3;
    }
    /* exact short form: d == m / 10^k with m integral, |m| < 10^15 (so never
       longer than %.15g, and the smallest k gives the fewest digits), k <= 15 */
    for (k = 0; k <= 15; k++) {
        double m = d * dynsess__pow10[k];
        if (m >= 1e15 || m <= -1e15) break;
        if (m == (double)(int64_t)m) {
            int64_t im = (int64_t)m;
            double back;
            uint64_t um = im < 0 ? (uint64_t)0 - (uint64_t)im : (uint64_t)im;
            if (!dynsess__fast_double(um, -k, &back)) break;
            if (im < 0) back = -back;
            if (back == d) {
                char digits[24], *p, *o = out;
                size_t nd;
                while (k > 0 && um % 10 == 0) { um /= 10; k--; }
                p = dynsess__u64_digits(um, digits + sizeof digits);
                nd = (size_t)(digits + sizeof digits - p);
                if (im < 0) *o++ = '-';
                if (k == 0) {
                    memcpy(o, p, nd);
                    o += nd;
                    memcpy(o, ".0", 2);
                    o += 2;
                } else if ((size_t)k >= nd) {
                    *o++ = '0';
                    *o++ = '.';
                    for (i = nd; i < (size_t)k; i++) *o++ = '0';
                    memcpy(o, p, nd);
                    o += nd;
                } else {
                    memcpy(o, p, nd - (size_t)k);
                    o += nd - (size_t)k;
                    *o++ = '.';
                    memcpy(o, p + nd - (size_t)k, (size_t)k);
                    o += k;
                }
                return (size_t)(o - out);
            }
        }
    }
    /* general: shortest of %.15g..%.17g that strtod (same locale) reads back */
    point = dynsess__locale_point();
    for (prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (prec == 17 || strtod(tmp, 0) == d) break;
    }
    n = strlen(tmp);
    for (i = 0; i < n; i++) {
        if (tmp[i] == point) tmp[i] = '.';
    }
    memcpy(out, tmp, n);
    if (!memchr(out, '.', n) && !memchr(out, 'e', n) && !memchr(out, 'E', n)) {
        memcpy(out + n, ".0", 2);
        n += 2;
    }
    return n;
}

/* ---- parser -------------------------------------------------------------------- */
typedef struct dynsess__pframe {
    size_t start;           /* first scratch slot of this container */
    uint64_t seen;          /* object: filter of key hashes (see dynsess__key_bit) */
    int is_obj;
    uint64_t dup;           /* object: nonzero if two keys hit the same filter bit */
} dynsess__pframe;

/* One of 64 filter bits for a key, from its length, first and last byte:
   different bits mean different keys, so objects whose keys never share a
   bit skip the duplicate-key pass. */
/* k always points into the parser's input copy, just past an opening quote:
   for an empty key k[0] is the NUL written over the closing quote and k[-1]
   is the opening quote, so no test for kl == 0 is needed. */
#define DYNSESS__KEY_BIT(k, kl) \
    ((uint64_t)1 << (((unsigned)(kl) * 7u + (unsigned char)(k)[0] * 3u + \
                      (unsigned char)((k) + (kl))[-1]) & 63u))

typedef struct dynsess__parser {
    dynsess_doc *doc;
    const unsigned char *src, *p, *end; /* over the doc's copy of the input */
    dynsess_error *err;
    dynsess__member *scratch;
    size_t nscratch, cap_scratch;
    dynsess__pframe *frames;
    size_t nframes, cap_frames;
    int heap_scratch, heap_frames;
} dynsess__parser;

static DYNSESS__UNUSED dynsess_status dynsess__json_unexpected(dynsess__parser *ps,
                                                               const unsigned char *at) {
    size_t off = (size_t)(at - ps->src);
    if (at >= ps->end)
        return dynsess__fail(ps->err, DYNSESS_E_JSON, off, "json: unexpected end of input at offset %lu",
                             (unsigned long)off);
    if (*at > 0x20 && *at < 0x7f)
        return dynsess__fail(ps->err, DYNSESS_E_JSON, off, "json: unexpected '%c' at offset %lu", *at,
                             (unsigned long)off);
    return dynsess__fail(ps->err, DYNSESS_E_JSON, off, "json: unexpected byte 0x%02x at offset %lu",
                         (unsigned)*at, (unsigned long)off);
}

static DYNSESS__UNUSED dynsess_status dynsess__json_err(dynsess__parser *ps, const unsigned char *at,
                                                        const char *what) {
    size_t off = (size_t)(at - ps->src);
    return dynsess__fail(ps->err, DYNSESS_E_JSON, off, "json: %s at offset %lu", what,
                         (unsigned long)off);
}

static DYNSESS__UNUSED int dynsess__hex4(const unsigned char *p, unsigned *out) {
    unsigned v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') d = (c | 0x20) - 'a' + 10;
        else return 0;
        v = v << 4 | d;
    }
    *out = v;
    return 1;
}

/* Parses the string whose opening quote is at ps->p. The parser runs over the
   doc's own copy of the input, so the string stays where it is: without escapes
   *s points into the copy; with escapes it is unescaped in place (never longer).
   The closing quote (or the byte after the unescaped text) becomes a NUL.
   On success ps->p is past the closing quote. */
static DYNSESS__UNUSED dynsess_status dynsess__parse_string(dynsess__parser *ps, const char **s,
                                                            size_t *n) {
    unsigned char *start = (unsigned char *)ps->p + 1, *p = start;
    const unsigned char *e = ps->end;
    int has_esc = 0;
    /* pass 1: find the closing quote, validate UTF-8 and control bytes */
    for (;;) {
        unsigned c;
        uint64_t x, m;
        /* p <= e: the 8 NUL bytes after the input copy make the load safe and
           stop the scan (NUL is special) */
        memcpy(&x, p, 8);
        m = dynsess__swar_special(x, 1);
        if (!m) {
            p += 8;
            continue;
        }
#ifdef DYNSESS__CTZ_BYTES
        p += DYNSESS__CTZ_BYTES(m);
#else
        while (!(dynsess__json_cls[*p] & DYNSESS__CLS_STR)) p++;
#endif
        if (p >= e) return dynsess__json_err(ps, e, "unterminated string");
        c = *p;
        if (c == '"') break;
        if (c == '\\') {
            has_esc = 1;
            p = e - p < 2 ? (unsigned char *)e : p + 2;
            continue;
        }
        if (c < 0x20) return dynsess__json_err(ps, p, "control character in string");
        {
            size_t k = dynsess__utf8_seq(p, e);
            if (!k) return dynsess__json_err(ps, p, "invalid utf-8 in string");
            p += k;
        }
    }
    ps->p = p + 1;
    *s = (const char *)start;
    if (!has_esc) {
        *p = 0;
        *n = (size_t)(p - start);
        return DYNSESS_OK;
    }
    /* pass 2: unescape in place; o never passes q */
    {
        unsigned char *q = start, *qe = p, *o = start;
        while (q < qe) {
            unsigned char *r = (unsigned char *)memchr(q, '\\', (size_t)(qe - q));
            unsigned cp, lo;
            if (!r) r = qe;
            if (o != q) memmove(o, q, (size_t)(r - q));
            o += r - q;
            q = r;
            if (q == qe) break;
            if (qe - q < 2) return dynsess__json_err(ps, q, "invalid escape");
            switch (q[1]) {
            case '"': *o++ = '"'; q += 2; continue;
            case '\\': *o++ = '\\'; q += 2; continue;
            case '/': *o++ = '/'; q += 2; continue;
            case 'b': *o++ = '\b'; q += 2; continue;
            case 'f': *o++ = '\f'; q += 2; continue;
            case 'n': *o++ = '\n'; q += 2; continue;
            case 'r': *o++ = '\r'; q += 2; continue;
            case 't': *o++ = '\t'; q += 2; continue;
            case 'u': break;
            default: return dynsess__json_err(ps, q, "invalid escape");
            }
            if (qe - q < 6 || !dynsess__hex4(q + 2, &cp))
                return dynsess__json_err(ps, q, "invalid \\u escape");
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return dynsess__json_err(ps, q, "lone low surrogate escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (qe - q < 12 || q[6] != '\\' || q[7] != 'u' || !dynsess__hex4(q + 8, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return dynsess__json_err(ps, q, "lone high surrogate escape");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                q += 6;
            }
            q += 6;
            if (cp < 0x80) {
                *o++ = (unsigned char)cp;
            } else if (cp < 0x800) {
                *o++ = (unsigned char)(0xC0 | (cp >> 6));
                *o++ = (unsigned char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (unsigned char)(0xE0 | (cp >> 12));
                *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (unsigned char)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (unsigned char)(0xF0 | (cp >> 18));
                *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
                *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (unsigned char)(0x80 | (cp & 0x3F));
            }
        }
        *o = 0;
        *n = (size_t)(o - start);
    }
    return DYNSESS_OK;
}

/* Parses the number at ps->p into v (INT or REAL). Reads may stop on the NUL
   bytes that follow the doc's copy of the input (see dynsess_json_parse). */
static DYNSESS__UNUSED dynsess_status dynsess__parse_number(dynsess__parser *ps, dynsess_value *v) {
    const unsigned char *p = ps->p, *start = p, *int_start;
    uint64_t w = 0;
    int neg = 0, is_real = 0, r;
    size_t nd, frac = 0;
    long ex = 0;
    double d;
    /* every digit goes into w: with at most 19 digits in all (nd) w is exact;
       longer literals take the strtod path, where w is not used */
    if (*p == '-') { neg = 1; p++; }
    int_start = p;
    if (*p == '0') {
        p++;
        if ((unsigned)(*p - '0') < 10u)
            return dynsess__json_err(ps, int_start, "leading zero in number");
    } else if (DYNSESS__LIKELY((unsigned)(*p - '0') < 10u)) {
        do {
            w = w * 10 + (uint64_t)(*p - '0');
            p++;
        } while ((unsigned)(*p - '0') < 10u);
    } else {
        return dynsess__json_err(ps, p, "invalid number");
    }
    nd = (size_t)(p - int_start);
    if (*p == '.') {
        const unsigned char *fs = ++p;
        if ((unsigned)(*p - '0') >= 10u) return dynsess__json_err(ps, p, "digit expected after '.'");
        do {
            w = w * 10 + (uint64_t)(*p - '0');
            p++;
        } while ((unsigned)(*p - '0') < 10u);
        frac = (size_t)(p - fs);
        nd += frac;
        is_real = 1;
    }
    if ((*p == 'e' || *p == 'E')) {
        int eneg = 0;
        p++;
        if ((*p == '+' || *p == '-')) { eneg = *p == '-'; p++; }
        if (*p < '0' || *p > '9') return dynsess__json_err(ps, p, "digit expected in exponent");
        while (*p >= '0' && *p <= '9') {
            if (ex < 100000000L) ex = ex * 10 + (*p - '0');
            p++;
        }
        if (eneg) ex = -ex;
        is_real = 1;
    }
    ps->p = p;
    if (!is_real && nd <= 19) {
        /* integer literal: exact when it fits int64 (19 digits fit uint64) */
        if (!neg && w <= (uint64_t)INT64_MAX) {
            v->type = DYNSESS_JSON_INT;
            v->u.i = (int64_t)w;
            return DYNSESS_OK;
        }
        if (neg && w <= (uint64_t)INT64_MAX + 1) {
            v->type = DYNSESS_JSON_INT;
            v->u.i = w == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)w;
            return DYNSESS_OK;
        }
    }
    v->type = DYNSESS_JSON_REAL;
    if (nd <= 19 && dynsess__fast_double(w, (int)(ex - (long)frac), &d)) {
        v->u.d = neg ? -d : d;
        return DYNSESS_OK;
    }
    r = dynsess__strtod(&ps->doc->alloc, (const char *)start, (size_t)(p - start), &d);
    if (r == 0) return dynsess__fail_nomem(ps->err, "json");
    if (r < 0) return dynsess__json_err(ps, start, "number out of double range");
    v->u.d = d;
    return DYNSESS_OK;
}

static DYNSESS__UNUSED int dynsess__key_cmp(const dynsess__member *a, const dynsess__member *b) {
    size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = n ? memcmp(a->key, b->key, n) : 0;
    if (c) return c;
    return a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
}

/* Drops duplicate keys from m[0..*n): each key keeps its first position and
   its last value (like Python's dict). O(n log n) via a merge sort of indices.
   Returns 0 on out of memory. */
static DYNSESS__UNUSED int dynsess__dedup(dynsess_doc *doc, dynsess__member *m, size_t *n) {
    size_t cnt = *n, i, j, out, width;
    size_t *idx, *tmp;
    if (cnt < 2) return 1;
    if (cnt <= 16) {
        /* a 64-bit filter on (length, first, last byte) skips most comparisons */
        uint64_t seen = 0;
        out = 0;
        for (i = 0; i < cnt; i++) {
            uint64_t bit = DYNSESS__KEY_BIT(m[i].key, m[i].key_len);
            if (!(seen & bit)) {
                seen |= bit;
                if (out != i) m[out] = m[i];
                out++;
                continue;
            }
            for (j = 0; j < out; j++) {
                if (m[j].key_len == m[i].key_len &&
                    (!m[i].key_len || (m[j].key[0] == m[i].key[0] &&
                                       m[j].key[m[i].key_len - 1] == m[i].key[m[i].key_len - 1] &&
                                       !memcmp(m[j].key, m[i].key, m[i].key_len)))) {
                    m[j].val = m[i].val;
                    break;
                }
            }
            if (j == out) m[out++] = m[i];
        }
        *n = out;
        return 1;
    }
    idx = (size_t *)dynsess__alloc(&doc->alloc, 2 * cnt * sizeof(size_t));
    if (!idx) return 0;
    tmp = idx + cnt;
    for (i = 0; i < cnt; i++) idx[i] = i;
    for (width = 1; width < cnt; width *= 2) {
        size_t lo;
        for (lo = 0; lo < cnt; lo += 2 * width) {
            size_t mid = lo + width < cnt ? lo + width : cnt;
            size_t hi = lo + 2 * width < cnt ? lo + 2 * width : cnt, a = lo, b = mid, k = lo;
            while (a < mid && b < hi) {
                if (dynsess__key_cmp(&m[idx[b]], &m[idx[a]]) < 0) tmp[k++] = idx[b++];
                else tmp[k++] = idx[a++];
            }
            while (a < mid) tmp[k++] = idx[a++];
            while (b < hi) tmp[k++] = idx[b++];
        }
        memcpy(idx, tmp, cnt * sizeof(size_t));
    }
    /* stable: within a group indices ascend; first keeps the last value */
    for (i = 0; i < cnt; i = j) {
        for (j = i + 1; j < cnt && !dynsess__key_cmp(&m[idx[i]], &m[idx[j]]); j++) {}
        if (j - i > 1) {
            size_t t;
            m[idx[i]].val = m[idx[j - 1]].val;
            for (t = i + 1; t < j; t++) m[idx[t]].key = 0;
        }
    }
    dynsess__free(&doc->alloc, idx);
    out = 0;
    for (i = 0; i < cnt; i++)
        if (m[i].key) m[out++] = m[i];
    *n = out;
    return 1;
}

/* Doubles the scratch stack (out of line: the push below is the hot path). */
static DYNSESS__UNUSED int dynsess__ps_grow_scratch(dynsess__parser *ps) {
    size_t nc = ps->cap_scratch * 2;
    dynsess__member *m = (dynsess__member *)dynsess__alloc(&ps->doc->alloc, nc * sizeof *m);
    if (!m) return 0;
    memcpy(m, ps->scratch, ps->nscratch * sizeof *m);
    if (ps->heap_scratch) dynsess__free(&ps->doc->alloc, ps->scratch);
    ps->scratch = m;
    ps->cap_scratch = nc;
    ps->heap_scratch = 1;
    return 1;
}
static DYNSESS__UNUSED int dynsess__ps_push_frame(dynsess__parser *ps, int is_obj, size_t start) {
    dynsess__pframe *f;
    if (DYNSESS__UNLIKELY(ps->nframes == ps->cap_frames)) {
        size_t nc = ps->cap_frames * 2;
        dynsess__pframe *m = (dynsess__pframe *)dynsess__alloc(&ps->doc->alloc, nc * sizeof *m);
        if (!m) return 0;
        memcpy(m, ps->frames, ps->nframes * sizeof *m);
        if (ps->heap_frames) dynsess__free(&ps->doc->alloc, ps->frames);
        ps->frames = m;
        ps->cap_frames = nc;
        ps->heap_frames = 1;
    }
    f = &ps->frames[ps->nframes++];
    f->start = start;
    f->is_obj = is_obj;
    f->seen = 0;
    f->dup = 0;
    return 1;
}

/* The doc's input copy ends in NUL bytes, which are neither whitespace nor
   any token: scans stop there without bounds checks, and a NUL at p == e is
   reported as the end of input. */
#define DYNSESS__SKIP_WS(p, e) \
    while (*(p) <= 0x20 && (dynsess__json_cls[*(p)] & DYNSESS__CLS_WS)) (p)++

/* The parse loop: a state machine over an explicit stack of open containers
   (ps->frames) and of their finished members (ps->scratch); no recursion. An
   object member is pushed when its key is read and gets its value later. */
static DYNSESS__UNUSED dynsess_status dynsess__parse_run(dynsess__parser *ps, uint32_t max_depth,
                                                         dynsess_value **root) {
    const unsigned char *p = ps->p, *e = ps->end;
    dynsess_value *v;
    dynsess_status rc;
    int is_obj = 0;
    uint64_t seen = 0, dup = 0;
    dynsess__member *sc = ps->scratch; /* scratch stack: ps->scratch, ps->nscratch */
    size_t ns = ps->nscratch;
    /* the open frames and the arena's bump region are kept in locals: the NUL
       bytes written over closing quotes may alias anything, and would force
       reloads of ps->... and doc->... on every value otherwise */
    dynsess_doc *doc = ps->doc;
    char *acur = doc->cur, *aend = doc->end;
    dynsess__pframe *fr = ps->frames;
    size_t nf = ps->nframes;
#ifdef DYNSESS__JSON_SSE2
    const __m128i sse_quote = _mm_set1_epi8('"'), sse_bslash = _mm_set1_epi8('\\'),
                  sse_space = _mm_set1_epi8(0x20);
#endif
/* Plain ASCII strings (no escape, no byte >= 0x80) are read inline: on success
   sp/sn are set and p is past the closing quote; anything else goes on to
   dynsess__parse_string, which starts over at the opening quote. */
#if defined(DYNSESS__JSON_SSE2)
#define DYNSESS__SHORT_STRING(sp, sn, done)                                        \
    do {                                                                            \
        unsigned char *q_ = (unsigned char *)p + 1;                                 \
        for (;;) {                                                                  \
            __m128i x_ = _mm_loadu_si128((const __m128i *)(const void *)q_);        \
            unsigned m_ = (unsigned)_mm_movemask_epi8(_mm_or_si128(                 \
                _mm_or_si128(_mm_cmpeq_epi8(x_, sse_quote), _mm_cmpeq_epi8(x_, sse_bslash)), \
                _mm_cmplt_epi8(x_, sse_space)));                                    \
            if (!m_) { q_ += 16; continue; }                                        \
            q_ += __builtin_ctz(m_);                                                \
            if (*q_ == '"') {                                                       \
                (sp) = (const char *)p + 1;                                         \
                (sn) = (size_t)(q_ - p - 1);                                        \
                *q_ = 0;                                                            \
                p = q_ + 1;                                                         \
                goto done;                                                          \
            }                                                                       \
            break;                                                                  \
        }                                                                           \
    } while (0)
#elif defined(DYNSESS__CTZ_BYTES)
#define DYNSESS__SHORT_STRING(sp, sn, done)                                        \
    do {                                                                            \
        unsigned char *q_ = (unsigned char *)p + 1;                                 \
        for (;;) {                                                                  \
            uint64_t x_, m_;                                                        \
            memcpy(&x_, q_, 8);                                                     \
            m_ = dynsess__swar_special(x_, 1);                         \
            if (!m_) { q_ += 8; continue; }                                         \
            q_ += DYNSESS__CTZ_BYTES(m_);                                           \
            if (*q_ == '"') {                                                       \
                (sp) = (const char *)p + 1;                                         \
                (sn) = (size_t)(q_ - p - 1);                                        \
                *q_ = 0;                                                            \
                p = q_ + 1;                                                         \
                goto done;                                                          \
            }                                                                       \
            break;                                                                  \
        }                                                                           \
    } while (0)
#else
#define DYNSESS__SHORT_STRING(sp, sn, done) do { if (0) goto done; } while (0)
#endif
/* ptr = n bytes (a multiple of 8) from the arena held in acur / aend */
#define DYNSESS__ARENA_GET(ptr, type, n)                                         \
    do {                                                                         \
        if (DYNSESS__LIKELY((size_t)(aend - acur) >= (n))) {                    \
            (ptr) = (type)(void *)acur;                                          \
            acur += (n);                                                         \
        } else {                                                                 \
            doc->cur = acur;                                                     \
            (ptr) = (type)dynsess__arena_grow(doc, (n));                        \
            acur = doc->cur;                                                     \
            aend = doc->end;                                                     \
            if (!(ptr)) return dynsess__fail_nomem(ps->err, "json");            \
        }                                                                        \
    } while (0)
#define DYNSESS__NEW_VALUE() DYNSESS__ARENA_GET(v, dynsess_value *, sizeof *v)

/* Compact JSON has no white space: each step first tests for the byte it
   expects and skips white space only when that test fails. */
value:
    switch (*p) { /* the NUL at p == e lands in default: "unexpected end of input" */
    case ' ':
    case '\t':
    case '\n':
    case '\r':
        p++;
        DYNSESS__SKIP_WS(p, e);
        goto value;
    case '"':
        DYNSESS__NEW_VALUE();
        v->type = DYNSESS_JSON_STRING;
        v->cap = 0;
        DYNSESS__SHORT_STRING(v->u.s, v->len, got);
        ps->p = p;
        rc = dynsess__parse_string(ps, &v->u.s, &v->len);
        if (rc) return rc;
        p = ps->p;
        goto got;
    case '{':
    case '[':
        if (nf >= max_depth)
            return dynsess__fail(ps->err, DYNSESS_E_DEPTH, (size_t)(p - ps->src),
                                 "json: nesting deeper than %lu at offset %lu",
                                 (unsigned long)max_depth, (unsigned long)(p - ps->src));
        if (nf) {
            fr[nf - 1].seen = seen;
            fr[nf - 1].dup = dup;
        }
        seen = 0;
        dup = 0;
        is_obj = *p == '{';
        if (DYNSESS__LIKELY(nf < ps->cap_frames)) {
            fr[nf].start = ns;
            fr[nf].is_obj = is_obj;
            nf++;
        } else {
            ps->nframes = nf;
            if (!dynsess__ps_push_frame(ps, is_obj, ns)) return dynsess__fail_nomem(ps->err, "json");
            fr = ps->frames;
            nf = ps->nframes;
        }
        p++;
        DYNSESS__SKIP_WS(p, e);
        if (*p == (is_obj ? '}' : ']')) {
            p++;
            goto close;
        }
        if (is_obj) goto key;
        goto value;
    case 't':
        if (memcmp(p, "true", 4)) goto bad_word;
        DYNSESS__NEW_VALUE();
        v->type = DYNSESS_JSON_BOOL;
        v->u.i = 1;
        p += 4;
        goto got_word;
    case 'f':
        if (memcmp(p, "false", 5)) goto bad_word;
        DYNSESS__NEW_VALUE();
        v->type = DYNSESS_JSON_BOOL;
        v->u.i = 0;
        p += 5;
        goto got_word;
    case 'n':
        if (memcmp(p, "null", 4)) goto bad_word;
        DYNSESS__NEW_VALUE();
        v->type = DYNSESS_JSON_NULL;
        v->u.i = 0;
        p += 4;
    got_word:
        v->len = 0;
        v->cap = 0;
        goto got;
    bad_word: {
        const char *w = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
        size_t i;
        for (i = 0; w[i] && p + i < e && p[i] == (unsigned char)w[i]; i++) {}
        return dynsess__json_unexpected(ps, p + i);
    }
    default:
        if (*p == '-' || (*p >= '0' && *p <= '9')) {
            DYNSESS__NEW_VALUE();
            v->len = 0;
            v->cap = 0;
            ps->p = p;
            rc = dynsess__parse_number(ps, v);
            if (rc) return rc;
            p = ps->p;
            goto got;
        }
        return dynsess__json_unexpected(ps, p);
    }

key:
    /* where an object key must start (after '{' and white space, or after ',') */
    if (DYNSESS__UNLIKELY(*p != '"')) {
        DYNSESS__SKIP_WS(p, e);
        if (*p == '}') return dynsess__json_err(ps, p, "trailing comma");
        if (*p != '"') return dynsess__json_unexpected(ps, p);
    }
    {
        const char *key, *ks;
        size_t key_len, kn;
        DYNSESS__SHORT_STRING(key, key_len, have_key);
        ps->p = p;
        rc = dynsess__parse_string(ps, &ks, &kn); /* key stays out of memory */
        if (rc) return rc;
        key = ks;
        key_len = kn;
        p = ps->p;
    have_key:
        /* the member's .val is set when its value is complete (got:) */
        if (DYNSESS__UNLIKELY(ns == ps->cap_scratch)) {
            ps->nscratch = ns;
            if (!dynsess__ps_grow_scratch(ps)) return dynsess__fail_nomem(ps->err, "json");
            sc = ps->scratch;
        }
        sc[ns].key = key;
        sc[ns].key_len = key_len;
        ns++;
        {
            uint64_t bit = DYNSESS__KEY_BIT(key, key_len);
            dup |= seen & bit;
            seen |= bit;
        }
    }
    if (DYNSESS__UNLIKELY(*p != ':')) {
        DYNSESS__SKIP_WS(p, e);
        if (*p != ':') return dynsess__json_unexpected(ps, p);
    }
    p++;
    goto value;

close: {
    /* the container on top of the frame stack is complete */
    dynsess__pframe *f = &fr[nf - 1];
    size_t n = ns - f->start;
    dynsess__member *m = sc + f->start;
    if (n > 0xFFFFFFFFu)
        return dynsess__fail(ps->err, DYNSESS_E_LIMIT, (size_t)(p - ps->src),
                             "json: more than 4294967295 members at offset %lu",
                             (unsigned long)(p - ps->src));
    DYNSESS__NEW_VALUE();
    if (is_obj) {
        dynsess__member *dst = 0;
        v->type = DYNSESS_JSON_OBJECT;
        if (dup && !dynsess__dedup(doc, m, &n)) return dynsess__fail_nomem(ps->err, "json");
        if (n) {
            DYNSESS__ARENA_GET(dst, dynsess__member *, n * sizeof *dst);
            memcpy(dst, m, n * sizeof *dst);
        }
        v->u.members = dst;
    } else {
        dynsess_value **dst = 0;
        size_t i;
        v->type = DYNSESS_JSON_ARRAY;
        if (n) {
            DYNSESS__ARENA_GET(dst, dynsess_value **, n * sizeof *dst);
            for (i = 0; i < n; i++) dst[i] = m[i].val;
        }
        v->u.items = dst;
    }
    v->len = n;
    v->cap = (uint32_t)n;
    ns = f->start;
    nf--;
    if (nf) {
        is_obj = fr[nf - 1].is_obj;
        seen = fr[nf - 1].seen;
        dup = fr[nf - 1].dup;
    }
}

got:
    /* v is a complete value */
    if (DYNSESS__UNLIKELY(!nf)) {
        DYNSESS__SKIP_WS(p, e);
        if (p < e) return dynsess__json_err(ps, p, "unexpected data after the document");
        doc->cur = acur;
        ps->nframes = 0;
        *root = v;
        return DYNSESS_OK;
    }
    if (is_obj) sc[ns - 1].val = v;
    else {
        /* array element: only .val of the slot is used */
        if (DYNSESS__UNLIKELY(ns == (ps)->cap_scratch)) {
            ps->nscratch = ns;
            if (!dynsess__ps_grow_scratch(ps)) return dynsess__fail_nomem(ps->err, "json");
            sc = ps->scratch;
        }
        sc[ns++].val = v;
    }
sep:
    if (DYNSESS__LIKELY(*p == ',')) {
        p++;
        if (is_obj) goto key;
        DYNSESS__SKIP_WS(p, e);
        if (*p == ']') return dynsess__json_err(ps, p, "trailing comma");
        goto value;
    }
    if (*p == (is_obj ? '}' : ']')) {
        p++;
        goto close;
    }
    if (*p <= 0x20 && (dynsess__json_cls[*p] & DYNSESS__CLS_WS)) {
        p++;
        DYNSESS__SKIP_WS(p, e);
        goto sep;
    }
    return dynsess__json_unexpected(ps, p);
#undef DYNSESS__NEW_VALUE
#undef DYNSESS__ARENA_GET
#undef DYNSESS__SHORT_STRING
}
#undef DYNSESS__SKIP_WS

DYNSESS_DEF dynsess_status dynsess_json_parse(dynsess_doc *doc, const char *src, size_t len,
                                              const dynsess_json_opts *opts, dynsess_value **root,
                                              dynsess_error *err) {
    dynsess__member scratch[256]; /* 6 KB: arrays of up to 256 items need no heap */
    dynsess__pframe frames[32];
    dynsess__parser ps;
    dynsess__arena_mark mark;
    dynsess_status rc;
    char *copy;
    uint32_t max_depth = opts ? opts->max_depth : 0;
    size_t max_len = opts ? opts->max_len : 0, want;
    if (root) *root = 0;
    if (!doc || !root || (!src && len))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "json: doc, src or root is null");
    DYNSESS__DEF(max_depth, 128);
    DYNSESS__DEF(max_len, (size_t)1 << 20);
    if (len > max_len)
        return dynsess__fail(err, DYNSESS_E_LIMIT, max_len,
                             "json: input of %lu bytes exceeds the limit of %lu",
                             (unsigned long)len, (unsigned long)max_len);
    if (len > (size_t)-1 - 64)
        return dynsess__fail(err, DYNSESS_E_LIMIT, DYNSESS_NO_OFFSET, "json: input size overflows");
    mark.chunks = doc->chunks;
    mark.cur = doc->cur;
    mark.end = doc->end;
    /* pre-size the arena: the input copy plus the values of typical documents */
    want = len < ((size_t)-1) / 4 ? 2 * len + 512 : 0;
    if ((size_t)(doc->end - doc->cur) < want && !dynsess__arena_reserve(doc, want))
        return dynsess__fail_nomem(err, "json");
    /* strings live in this copy; 16 zero bytes after it let the parser and the
       writer read whole 16- or 8-byte blocks of any string in it (and stop the
       parser's scans at the end of the input) */
    copy = (char *)dynsess__arena_alloc(doc, len + 16);
    if (!copy) {
        dynsess__arena_rewind(doc, &mark);
        return dynsess__fail_nomem(err, "json");
    }
    if (len) memcpy(copy, src, len);
    memset(copy + len, 0, 16);
    ps.doc = doc;
    ps.src = ps.p = (const unsigned char *)copy;
    ps.end = ps.src + len;
    ps.err = err;
    ps.scratch = scratch;
    ps.nscratch = 0;
    ps.cap_scratch = sizeof scratch / sizeof scratch[0];
    ps.frames = frames;
    ps.nframes = 0;
    ps.cap_frames = sizeof frames / sizeof frames[0];
    ps.heap_scratch = ps.heap_frames = 0;
    rc = dynsess__parse_run(&ps, max_depth, root);
    if (ps.heap_scratch) dynsess__free(&doc->alloc, ps.scratch);
    if (ps.heap_frames) dynsess__free(&doc->alloc, ps.frames);
    if (rc) {
        *root = 0;
        dynsess__arena_rewind(doc, &mark);
    }
    return rc;
}

/* ---- writer -------------------------------------------------------------------- */
typedef struct dynsess__wframe {
    const dynsess_value *c;
    size_t i;
} dynsess__wframe;

/* Writer state: p..wend is room that needs no reserve (respects out->limit). */
typedef struct dynsess__writer {
    dynsess_buf *b;
    char *p, *wend;
    char *pend;   /* physical end (cap - 1): scratch bytes past p..wend are harmless */
    dynsess_error *err;
} dynsess__writer;

static DYNSESS__UNUSED void dynsess__w_sync(dynsess__writer *w) {
    size_t room;
    if (!w->b->ptr) { w->p = w->wend = w->pend = 0; return; }
    w->p = w->b->ptr + w->b->len;
    room = w->b->cap - w->b->len - 1;
    w->pend = w->p + room;
    if (w->b->limit) {
        size_t lim = w->b->limit > w->b->len ? w->b->limit - w->b->len : 0;
        if (lim < room) room = lim;
    }
    w->wend = w->p + room;
}

static DYNSESS__UNUSED dynsess_status dynsess__w_more(dynsess__writer *w, size_t n) {
    dynsess_status rc;
    size_t want;
    if (w->b->ptr) w->b->len = (size_t)(w->p - w->b->ptr);
    /* grow at least by half again so small writes do not reserve one by one */
    want = n < w->b->len / 2 + 64 ? w->b->len / 2 + 64 : n;
    if (w->b->limit && w->b->len + want > w->b->limit && w->b->len + n <= w->b->limit)
        want = w->b->limit - w->b->len;
    rc = dynsess_buf_reserve(w->b, want, w->err);
    if (rc && want != n) rc = dynsess_buf_reserve(w->b, n, w->err);
    if (rc) return rc;
    dynsess__w_sync(w);
    return DYNSESS_OK;
}

#define DYNSESS__W_NEED(w, n) \
    do { if (DYNSESS__UNLIKELY((size_t)((w)->wend - (w)->p) < (size_t)(n))) { \
        dynsess_status rc_ = dynsess__w_more((w), (n)); if (rc_) return rc_; } } while (0)

static DYNSESS__UNUSED dynsess_status dynsess__w_bytes(dynsess__writer *w, const void *s, size_t n) {
    DYNSESS__W_NEED(w, n);
    memcpy(w->p, s, n);
    w->p += n;
    return DYNSESS_OK;
}

/* Writes the escaped body of s[0..n) (no quotes). */
static DYNSESS__UNUSED dynsess_status dynsess__w_body(dynsess__writer *w, const unsigned char *p,
                                                     const unsigned char *e) {
    static const char hex[] = "0123456789abcdef";
    for (;;) {
        const unsigned char *r = p;
        size_t run;
        while (e - r >= 8) {
            uint64_t x, m;
            memcpy(&x, r, 8);
            m = dynsess__swar_special(x, 0);
            if (m) {
#ifdef DYNSESS__CTZ_BYTES
                r += DYNSESS__CTZ_BYTES(m);
#endif
                break;
            }
            r += 8;
        }
        while (r < e && !(dynsess__json_cls[*r] & DYNSESS__CLS_ESC)) r++;
        run = (size_t)(r - p);
        DYNSESS__W_NEED(w, run + 1);
        memcpy(w->p, p, run);
        w->p += run;
        p = r;
        if (p == e) return DYNSESS_OK;
        {
            char esc = 0;
            switch (*p) {
            case '"': esc = '"'; break;
            case '\\': esc = '\\'; break;
            case '\b': esc = 'b'; break;
            case '\f': esc = 'f'; break;
            case '\n': esc = 'n'; break;
            case '\r': esc = 'r'; break;
            case '\t': esc = 't'; break;
            default: break;
            }
            if (esc) {
                DYNSESS__W_NEED(w, 2);
                w->p[0] = '\\';
                w->p[1] = esc;
                w->p += 2;
            } else {
                DYNSESS__W_NEED(w, 6);
                memcpy(w->p, "\\u00", 4);
                w->p[4] = hex[*p >> 4];
                w->p[5] = hex[*p & 15];
                w->p += 6;
            }
            p++;
        }
    }
}

/* Writes s[0..n) as a JSON string. padded: s is an arena string (8-byte aligned,
   its block rounded up past the NUL to a multiple of 8), so whole 8-byte blocks
   from s can be read; bytes past n are masked out and overwritten. */
static DYNSESS__UNUSED dynsess_status dynsess__w_string(dynsess__writer *w, const char *s, size_t n,
                                                       int padded) {
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    dynsess_status rc;
    DYNSESS__W_NEED(w, n + 2);
    *w->p++ = '"';
#ifdef DYNSESS__CTZ_BYTES
    if (padded && (size_t)(w->pend - w->p) >= n + 9) {
        char *o = w->p;
        for (;;) {
            uint64_t x, m;
            size_t rem = (size_t)(e - p);
            memcpy(&x, p, 8);
            m = dynsess__swar_special(x, 0);
            if (rem < 8) m &= ((uint64_t)1 << (rem * 8)) - 1;
            memcpy(o, &x, 8);
            if (m) {
                size_t k = DYNSESS__CTZ_BYTES(m);
                p += k;
                o += k;
                break;
            }
            if (rem <= 8) {
                o += rem;
                p = e;
                break;
            }
            p += 8;
            o += 8;
        }
        w->p = o;
    }
#else
    (void)padded;
#endif
    if (p < e) {
        rc = dynsess__w_body(w, p, e);
        if (rc) return rc;
    }
    DYNSESS__W_NEED(w, 1);
    *w->p++ = '"';
    return DYNSESS_OK;
}

/* Copies the plain prefix of the arena string s[0..n) (see dynsess__w_string:
   whole 8-byte blocks are readable) to o in 8-byte blocks and returns its
   length: n, or the offset of the first byte that needs escaping. o must have
   n + 8 bytes of physical room. */
static DYNSESS__UNUSED size_t dynsess__w_plain_blocks(const unsigned char *s, size_t n, char *o) {
#ifdef DYNSESS__CTZ_BYTES
    size_t done = 0;
    for (;;) {
        uint64_t x, m;
        size_t rem = n - done;
        memcpy(&x, s + done, 8);
        m = dynsess__swar_special(x, 0);
        if (rem < 8) m &= ((uint64_t)1 << (rem * 8)) - 1;
        memcpy(o + done, &x, 8);
        if (m) return done + DYNSESS__CTZ_BYTES(m);
        if (rem <= 8) return n;
        done += 8;
    }
#else
    (void)s; (void)n; (void)o;
    return 0;
#endif
}

/* Number of decimal digits of u. */
static DYNSESS__UNUSED size_t dynsess__u64_len(uint64_t u) {
    size_t n = 1;
    while (u >= 10000) { u /= 10000; n += 4; }
    if (u >= 1000) return n + 3;
    if (u >= 100) return n + 2;
    if (u >= 10) return n + 1;
    return n;
}

/* The tree walk: an explicit stack of open containers, no recursion. The
   write position lives in locals (p, wend: logical end within out->limit,
   pend: physical end of the buffer) and is synced with w around calls. */
static DYNSESS__UNUSED dynsess_status dynsess__w_tree(dynsess__writer *w, const dynsess_value *v,
                                                      dynsess__wframe **stackp, size_t *capp,
                                                      int *heap) {
    size_t sp = 0;
    dynsess_status rc;
    dynsess__wframe *st = *stackp;
    char *p = w->p, *wend = w->wend, *pend = w->pend;
    const char *s;
    size_t n;
    char tail;
#define DYNSESS__ROOM(k)                                                         \
    do {                                                                         \
        if (DYNSESS__UNLIKELY((size_t)(wend - p) < (size_t)(k))) {              \
            w->p = p;                                                            \
            rc = dynsess__w_more(w, (k));                                        \
            if (rc) return rc;                                                   \
            p = w->p; wend = w->wend; pend = w->pend;                            \
        }                                                                        \
    } while (0)
    for (;;) {
        /* write v */
        switch (v ? (dynsess_json_type)v->type : DYNSESS_JSON_NULL) {
        case DYNSESS_JSON_STRING:
            s = v->u.s;
            n = v->len;
            tail = 0;
            goto string;
        case DYNSESS_JSON_INT: {
            uint64_t u = v->u.i < 0 ? (uint64_t)0 - (uint64_t)v->u.i : (uint64_t)v->u.i;
            size_t nd = dynsess__u64_len(u), neg = v->u.i < 0;
            char *q;
            DYNSESS__ROOM(nd + neg);
            if (neg) *p++ = '-';
            q = p + nd;
            while (u >= 100) {
                unsigned r = (unsigned)(u % 100);
                u /= 100;
                q -= 2;
                q[0] = dynsess__digits2[2 * r];
                q[1] = dynsess__digits2[2 * r + 1];
            }
            if (u >= 10) {
                q[-2] = dynsess__digits2[2 * u];
                q[-1] = dynsess__digits2[2 * u + 1];
            } else {
                q[-1] = (char)('0' + u);
            }
            p += nd;
            break;
        }
        case DYNSESS_JSON_REAL: {
            char tmp[40];
            size_t k = dynsess__double_text(v->u.d, tmp);
            DYNSESS__ROOM(k);
            memcpy(p, tmp, k);
            p += k;
            break;
        }
        case DYNSESS_JSON_BOOL:
            if (v->u.i) {
                DYNSESS__ROOM(4);
                memcpy(p, "true", 4);
                p += 4;
            } else {
                DYNSESS__ROOM(5);
                memcpy(p, "false", 5);
                p += 5;
            }
            break;
        case DYNSESS_JSON_ARRAY:
        case DYNSESS_JSON_OBJECT:
            DYNSESS__ROOM(2);
            if (!v->len) {
                p[0] = v->type == DYNSESS_JSON_ARRAY ? '[' : '{';
                p[1] = v->type == DYNSESS_JSON_ARRAY ? ']' : '}';
                p += 2;
                break;
            }
            if (sp == *capp) {
                size_t nc = *capp * 2;
                dynsess__wframe *ns = (dynsess__wframe *)dynsess__alloc(&w->b->alloc, nc * sizeof *ns);
                if (!ns) return dynsess__fail_nomem(w->err, "json");
                memcpy(ns, st, sp * sizeof *ns);
                if (*heap) dynsess__free(&w->b->alloc, st);
                *stackp = st = ns;
                *capp = nc;
                *heap = 1;
            }
            st[sp].c = v;
            st[sp].i = 0;
            sp++;
            *p++ = v->type == DYNSESS_JSON_ARRAY ? '[' : '{';
            break;
        default:
            DYNSESS__ROOM(4);
            memcpy(p, "null", 4);
            p += 4;
            break;
        }
    next:
        /* find the next value to write, closing finished containers */
        for (;;) {
            dynsess__wframe *f;
            if (!sp) {
                w->p = p;
                return DYNSESS_OK;
            }
            f = &st[sp - 1];
            if (f->i == f->c->len) {
                DYNSESS__ROOM(1);
                *p++ = f->c->type == DYNSESS_JSON_ARRAY ? ']' : '}';
                sp--;
                continue;
            }
            if (f->i) {
                DYNSESS__ROOM(1);
                *p++ = ',';
            }
            if (f->c->type == DYNSESS_JSON_OBJECT) {
                const dynsess__member *m = &f->c->u.members[f->i++];
                v = m->val;
                s = m->key;
                n = m->key_len;
                tail = ':';
                goto string;
            }
            v = f->c->u.items[f->i++];
            break;
        }
        continue;
    string:
        /* s[0..n) is an arena string; tail (':' after a key, or 0) follows it */
        DYNSESS__ROOM(n + 2 + (tail != 0));
        *p++ = '"';
        {
            size_t k = (size_t)(pend - p) >= n + 9 ? dynsess__w_plain_blocks((const unsigned char *)s, n, p) : 0;
            p += k;
            if (k < n) {
                w->p = p;
                rc = dynsess__w_body(w, (const unsigned char *)s + k, (const unsigned char *)s + n);
                if (rc) return rc;
                p = w->p; wend = w->wend; pend = w->pend;
                DYNSESS__ROOM(1 + (tail != 0));
            }
        }
        *p++ = '"';
        if (tail) {
            *p++ = tail;
            continue; /* now write the member's value, v */
        }
        goto next;
    }
#undef DYNSESS__ROOM
}

DYNSESS_DEF dynsess_status dynsess_json_write(const dynsess_value *v, dynsess_buf *out,
                                              dynsess_error *err) {
    dynsess__wframe local[32], *st = local;
    size_t cap = sizeof local / sizeof local[0], start;
    int heap = 0;
    dynsess__writer w;
    dynsess_status rc;
    if (!out) return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "json: out is null");
    start = out->len;
    w.b = out;
    w.err = err;
    dynsess__w_sync(&w);
    rc = dynsess__w_tree(&w, v, &st, &cap, &heap);
    if (heap) dynsess__free(&out->alloc, st);
    if (rc) {
        out->len = start;
    } else {
        out->len = (size_t)(w.p - out->ptr);
    }
    if (out->ptr) out->ptr[out->len] = 0;
    return rc;
}

DYNSESS_DEF dynsess_status dynsess_json_write_string(dynsess_buf *out, const char *s, size_t len,
                                                     dynsess_error *err) {
    dynsess__writer w;
    dynsess_status rc;
    size_t bad, start;
    if (!out || (!s && len))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET, "json: out or s is null");
    bad = dynsess__utf8_check(s, len);
    if (bad != (size_t)-1)
        return dynsess__fail(err, DYNSESS_E_ARG, bad, "json: invalid utf-8 at offset %lu",
                             (unsigned long)bad);
    start = out->len;
    w.b = out;
    w.err = err;
    dynsess__w_sync(&w);
    rc = dynsess__w_string(&w, s ? s : "", len, 0);
    out->len = rc ? start : (size_t)(w.p - out->ptr);
    if (out->ptr) out->ptr[out->len] = 0;
    return rc;
}
#undef DYNSESS__W_NEED

/* ---- reading values --------------------------------------------------------------- */
DYNSESS_DEF dynsess_json_type dynsess_value_type(const dynsess_value *v) {
    return v ? (dynsess_json_type)v->type : DYNSESS_JSON_NULL;
}
DYNSESS_DEF int dynsess_value_bool(const dynsess_value *v) {
    return v && v->type == DYNSESS_JSON_BOOL && v->u.i;
}
DYNSESS_DEF int64_t dynsess_value_int(const dynsess_value *v) {
    if (!v) return 0;
    if (v->type == DYNSESS_JSON_INT) return v->u.i;
    if (v->type == DYNSESS_JSON_REAL) {
        /* truncate toward zero, saturating outside the int64 range */
        if (v->u.d != v->u.d) return 0;
        if (v->u.d >= 9223372036854775807.0) return INT64_MAX;
        if (v->u.d <= -9223372036854775808.0) return INT64_MIN;
        return (int64_t)v->u.d;
    }
    return 0;
}
DYNSESS_DEF double dynsess_value_real(const dynsess_value *v) {
    if (!v) return 0;
    if (v->type == DYNSESS_JSON_REAL) return v->u.d;
    if (v->type == DYNSESS_JSON_INT) return (double)v->u.i;
    return 0;
}
DYNSESS_DEF dynsess_str dynsess_value_str(const dynsess_value *v) {
    dynsess_str s;
    if (v && v->type == DYNSESS_JSON_STRING) {
        s.ptr = v->u.s;
        s.len = v->len;
    } else {
        s.ptr = "";
        s.len = 0;
    }
    return s;
}
DYNSESS_DEF size_t dynsess_value_len(const dynsess_value *v) {
    return (v && (v->type == DYNSESS_JSON_ARRAY || v->type == DYNSESS_JSON_OBJECT)) ? v->len : 0;
}
DYNSESS_DEF const dynsess_value *dynsess_array_at(const dynsess_value *arr, size_t i) {
    if (!arr || arr->type != DYNSESS_JSON_ARRAY || i >= arr->len) return 0;
    return arr->u.items[i];
}
DYNSESS_DEF dynsess_str dynsess_object_key_at(const dynsess_value *obj, size_t i) {
    dynsess_str s;
    if (!obj || obj->type != DYNSESS_JSON_OBJECT || i >= obj->len) {
        s.ptr = "";
        s.len = 0;
    } else {
        s.ptr = obj->u.members[i].key;
        s.len = obj->u.members[i].key_len;
    }
    return s;
}
DYNSESS_DEF const dynsess_value *dynsess_object_value_at(const dynsess_value *obj, size_t i) {
    if (!obj || obj->type != DYNSESS_JSON_OBJECT || i >= obj->len) return 0;
    return obj->u.members[i].val;
}
static DYNSESS__UNUSED size_t dynsess__object_find(const dynsess_value *obj, const char *key,
                                                    size_t key_len) {
    size_t i;
    for (i = 0; i < obj->len; i++) {
        const dynsess__member *m = &obj->u.members[i];
        if (m->key_len == key_len && (!key_len || !memcmp(m->key, key, key_len))) return i;
    }
    return (size_t)-1;
}
DYNSESS_DEF const dynsess_value *dynsess_object_get(const dynsess_value *obj, const char *key,
                                                    size_t key_len) {
    size_t i;
    if (!obj || obj->type != DYNSESS_JSON_OBJECT || (!key && key_len)) return 0;
    i = dynsess__object_find(obj, key, key_len);
    return i == (size_t)-1 ? 0 : obj->u.members[i].val;
}

/* Walk stack shared by equal and copy: a local array that spills to the heap. */
typedef struct dynsess__cframe {
    const dynsess_value *a;
    const dynsess_value *b;   /* equal: the other side */
    dynsess_value *c;         /* copy: the destination container */
    size_t i;
} dynsess__cframe;

typedef struct dynsess__cstack {
    dynsess__cframe local[32];
    dynsess__cframe *f;
    size_t n, cap;
    const dynsess_allocator *alloc;
} dynsess__cstack;

static DYNSESS__UNUSED void dynsess__cstack_init(dynsess__cstack *s, const dynsess_allocator *a) {
    s->f = s->local;
    s->n = 0;
    s->cap = sizeof s->local / sizeof s->local[0];
    s->alloc = a;
}
static DYNSESS__UNUSED dynsess__cframe *dynsess__cstack_push(dynsess__cstack *s) {
    if (s->n == s->cap) {
        size_t nc = s->cap * 2;
        dynsess__cframe *m = (dynsess__cframe *)dynsess__alloc(s->alloc, nc * sizeof *m);
        if (!m) return 0;
        memcpy(m, s->f, s->n * sizeof *m);
        if (s->f != s->local) dynsess__free(s->alloc, s->f);
        s->f = m;
        s->cap = nc;
    }
    return &s->f[s->n++];
}
static DYNSESS__UNUSED void dynsess__cstack_free(dynsess__cstack *s) {
    if (s->f != s->local) dynsess__free(s->alloc, s->f);
}

/* Compares scalars (and container kind and size); 1 if equal so far. */
static DYNSESS__UNUSED int dynsess__shallow_equal(const dynsess_value *a, const dynsess_value *b) {
    dynsess_json_type ta = dynsess_value_type(a), tb = dynsess_value_type(b);
    if (ta != tb) return 0;
    switch (ta) {
    case DYNSESS_JSON_NULL: return 1;
    case DYNSESS_JSON_BOOL: return !a->u.i == !b->u.i;
    case DYNSESS_JSON_INT: return a->u.i == b->u.i;
    case DYNSESS_JSON_REAL: return a->u.d == b->u.d;
    case DYNSESS_JSON_STRING: return a->len == b->len && (!a->len || !memcmp(a->u.s, b->u.s, a->len));
    default: return a->len == b->len;
    }
}

DYNSESS_DEF int dynsess_value_equal(const dynsess_value *a, const dynsess_value *b) {
    dynsess__cstack s;
    int eq = 1;
    if (!dynsess__shallow_equal(a, b)) return 0;
    if (!a || (a->type != DYNSESS_JSON_ARRAY && a->type != DYNSESS_JSON_OBJECT) || !a->len) return 1;
    dynsess__cstack_init(&s, 0);
    {
        dynsess__cframe *f = dynsess__cstack_push(&s);
        f->a = a;
        f->b = b;
        f->i = 0;
    }
    while (eq && s.n) {
        dynsess__cframe *f = &s.f[s.n - 1];
        const dynsess_value *x, *y;
        if (f->i == f->a->len) { s.n--; continue; }
        if (f->a->type == DYNSESS_JSON_ARRAY) {
            x = f->a->u.items[f->i];
            y = f->b->u.items[f->i];
        } else {
            const dynsess__member *m = &f->a->u.members[f->i];
            x = m->val;
            y = dynsess_object_get(f->b, m->key, m->key_len);
            if (!y) { eq = 0; break; }
        }
        f->i++;
        if (!dynsess__shallow_equal(x, y)) { eq = 0; break; }
        if ((x->type == DYNSESS_JSON_ARRAY || x->type == DYNSESS_JSON_OBJECT) && x->len) {
            dynsess__cframe *g = dynsess__cstack_push(&s);
            if (!g) { eq = 0; break; } /* out of memory: documented as "not equal" */
            g->a = x;
            g->b = y;
            g->i = 0;
        }
    }
    dynsess__cstack_free(&s);
    return eq;
}

/* ---- building values ---------------------------------------------------------------- */
static DYNSESS__UNUSED dynsess_value *dynsess__value_new(dynsess_doc *doc, dynsess_json_type t) {
    dynsess_value *v;
    if (!doc) return 0;
    v = (dynsess_value *)dynsess__arena_alloc(doc, sizeof *v);
    if (!v) return 0;
    v->type = (uint32_t)t;
    v->cap = 0;
    v->len = 0;
    v->u.i = 0;
    return v;
}
DYNSESS_DEF dynsess_value *dynsess_value_new_null(dynsess_doc *doc) {
    return dynsess__value_new(doc, DYNSESS_JSON_NULL);
}
DYNSESS_DEF dynsess_value *dynsess_value_new_bool(dynsess_doc *doc, int b) {
    dynsess_value *v = dynsess__value_new(doc, DYNSESS_JSON_BOOL);
    if (v) v->u.i = b != 0;
    return v;
}
DYNSESS_DEF dynsess_value *dynsess_value_new_int(dynsess_doc *doc, int64_t i) {
    dynsess_value *v = dynsess__value_new(doc, DYNSESS_JSON_INT);
    if (v) v->u.i = i;
    return v;
}
DYNSESS_DEF dynsess_value *dynsess_value_new_real(dynsess_doc *doc, double d) {
    dynsess_value *v;
    if (d != d || d > DBL_MAX || d < -DBL_MAX) return 0;
    v = dynsess__value_new(doc, DYNSESS_JSON_REAL);
    if (v) v->u.d = d;
    return v;
}
static DYNSESS__UNUSED const char *dynsess__arena_strdup(dynsess_doc *doc, const char *s, size_t len) {
    char *p;
    if (len == (size_t)-1) return 0;
    p = (char *)dynsess__arena_alloc(doc, len + 1);
    if (!p) return 0;
    if (len) memcpy(p, s, len);
    p[len] = 0;
    return p;
}
DYNSESS_DEF dynsess_value *dynsess_value_new_string(dynsess_doc *doc, const char *s, size_t len) {
    dynsess_value *v;
    if (!doc || (!s && len) || dynsess__utf8_check(s, len) != (size_t)-1) return 0;
    v = dynsess__value_new(doc, DYNSESS_JSON_STRING);
    if (!v) return 0;
    v->u.s = dynsess__arena_strdup(doc, s ? s : "", len);
    if (!v->u.s) return 0;
    v->len = len;
    return v;
}
DYNSESS_DEF dynsess_value *dynsess_value_new_array(dynsess_doc *doc) {
    return dynsess__value_new(doc, DYNSESS_JSON_ARRAY);
}
DYNSESS_DEF dynsess_value *dynsess_value_new_object(dynsess_doc *doc) {
    return dynsess__value_new(doc, DYNSESS_JSON_OBJECT);
}

/* Makes room for one more slot in a container (old slots are left in the arena). */
static DYNSESS__UNUSED int dynsess__container_grow(dynsess_doc *doc, dynsess_value *c) {
    size_t esz = c->type == DYNSESS_JSON_OBJECT ? sizeof(dynsess__member) : sizeof(dynsess_value *);
    size_t nc = c->cap ? (size_t)c->cap * 2 : 4, bytes;
    void *p;
    if (c->len < c->cap) return 1;
    if (nc > 0xFFFFFFFFu) nc = 0xFFFFFFFFu;
    if (nc <= c->len || !dynsess__size_mul(nc, esz, &bytes)) return 0;
    p = dynsess__arena_alloc(doc, bytes);
    if (!p) return 0;
    if (c->len) {
        if (c->type == DYNSESS_JSON_OBJECT) memcpy(p, c->u.members, c->len * esz);
        else memcpy(p, c->u.items, c->len * esz);
    }
    if (c->type == DYNSESS_JSON_OBJECT) c->u.members = (dynsess__member *)p;
    else c->u.items = (dynsess_value **)p;
    c->cap = (uint32_t)nc;
    return 1;
}

DYNSESS_DEF dynsess_status dynsess_array_push(dynsess_doc *doc, dynsess_value *arr,
                                              dynsess_value *val, dynsess_error *err) {
    if (!doc || !arr || !val || arr->type != DYNSESS_JSON_ARRAY)
        return dynsess__fail(err, !doc || !arr || !val ? DYNSESS_E_ARG : DYNSESS_E_TYPE,
                             DYNSESS_NO_OFFSET, "json: array_push needs a doc, an array and a value");
    if (!dynsess__container_grow(doc, arr)) return dynsess__fail_nomem(err, "json");
    arr->u.items[arr->len++] = val;
    return DYNSESS_OK;
}

DYNSESS_DEF dynsess_status dynsess_object_set(dynsess_doc *doc, dynsess_value *obj, const char *key,
                                              size_t key_len, dynsess_value *val,
                                              dynsess_error *err) {
    size_t i, bad;
    const char *k;
    if (!doc || !obj || !val || (!key && key_len))
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "json: object_set needs a doc, an object, a key and a value");
    if (obj->type != DYNSESS_JSON_OBJECT)
        return dynsess__fail(err, DYNSESS_E_TYPE, DYNSESS_NO_OFFSET, "json: object_set on a non-object");
    i = dynsess__object_find(obj, key, key_len);
    if (i != (size_t)-1) {
        obj->u.members[i].val = val;
        return DYNSESS_OK;
    }
    bad = dynsess__utf8_check(key, key_len);
    if (bad != (size_t)-1)
        return dynsess__fail(err, DYNSESS_E_ARG, bad, "json: key is not valid utf-8 at offset %lu",
                             (unsigned long)bad);
    if (!dynsess__container_grow(doc, obj)) return dynsess__fail_nomem(err, "json");
    k = dynsess__arena_strdup(doc, key ? key : "", key_len);
    if (!k) return dynsess__fail_nomem(err, "json");
    obj->u.members[obj->len].key = k;
    obj->u.members[obj->len].key_len = key_len;
    obj->u.members[obj->len].val = val;
    obj->len++;
    return DYNSESS_OK;
}

DYNSESS_DEF int dynsess_object_remove(dynsess_value *obj, const char *key, size_t key_len) {
    size_t i;
    if (!obj || obj->type != DYNSESS_JSON_OBJECT || (!key && key_len)) return 0;
    i = dynsess__object_find(obj, key, key_len);
    if (i == (size_t)-1) return 0;
    memmove(&obj->u.members[i], &obj->u.members[i + 1], (obj->len - i - 1) * sizeof(dynsess__member));
    obj->len--;
    return 1;
}

DYNSESS_DEF void dynsess_value_clear(dynsess_value *v) {
    if (v && (v->type == DYNSESS_JSON_ARRAY || v->type == DYNSESS_JSON_OBJECT)) v->len = 0;
}

/* Copies a scalar, or makes an empty container of the right size. */
static DYNSESS__UNUSED dynsess_value *dynsess__copy_shallow(dynsess_doc *doc, const dynsess_value *v) {
    dynsess_value *c = dynsess__value_new(doc, dynsess_value_type(v));
    if (!c || !v) return c;
    switch (v->type) {
    case DYNSESS_JSON_STRING:
        c->u.s = dynsess__arena_strdup(doc, v->u.s, v->len);
        if (!c->u.s) return 0;
        c->len = v->len;
        break;
    case DYNSESS_JSON_ARRAY:
    case DYNSESS_JSON_OBJECT:
        if (v->len) {
            size_t esz = v->type == DYNSESS_JSON_OBJECT ? sizeof(dynsess__member) : sizeof(dynsess_value *);
            void *p = dynsess__arena_alloc(doc, v->len * esz);
            if (!p) return 0;
            if (v->type == DYNSESS_JSON_OBJECT) c->u.members = (dynsess__member *)p;
            else c->u.items = (dynsess_value **)p;
            c->cap = (uint32_t)v->len;
        }
        break;
    default:
        c->u = v->u;
        break;
    }
    return c;
}

DYNSESS_DEF dynsess_value *dynsess_value_copy(dynsess_doc *doc, const dynsess_value *v) {
    dynsess__cstack s;
    dynsess_value *root;
    if (!doc) return 0;
    root = dynsess__copy_shallow(doc, v);
    if (!root || !v || (v->type != DYNSESS_JSON_ARRAY && v->type != DYNSESS_JSON_OBJECT) || !v->len)
        return root;
    dynsess__cstack_init(&s, &doc->alloc);
    {
        dynsess__cframe *f = dynsess__cstack_push(&s);
        f->a = v;
        f->c = root;
        f->i = 0;
    }
    while (s.n) {
        dynsess__cframe *f = &s.f[s.n - 1];
        const dynsess_value *x;
        dynsess_value *y;
        if (f->i == f->a->len) { s.n--; continue; }
        x = f->a->type == DYNSESS_JSON_ARRAY ? f->a->u.items[f->i] : f->a->u.members[f->i].val;
        y = dynsess__copy_shallow(doc, x);
        if (!y) { root = 0; break; }
        if (f->a->type == DYNSESS_JSON_ARRAY) {
            f->c->u.items[f->i] = y;
        } else {
            const dynsess__member *m = &f->a->u.members[f->i];
            dynsess__member *d = &f->c->u.members[f->i];
            d->key = dynsess__arena_strdup(doc, m->key, m->key_len);
            if (!d->key) { root = 0; break; }
            d->key_len = m->key_len;
            d->val = y;
        }
        f->i++;
        f->c->len = f->i;
        if ((x->type == DYNSESS_JSON_ARRAY || x->type == DYNSESS_JSON_OBJECT) && x->len) {
            dynsess__cframe *g = dynsess__cstack_push(&s);
            if (!g) { root = 0; break; }
            g->a = x;
            g->c = y;
            g->i = 0;
        }
    }
    dynsess__cstack_free(&s);
    return root;
}
#undef DYNSESS__ONES
#ifdef DYNSESS__JSON_SSE2
#undef DYNSESS__JSON_SSE2
#endif
#ifdef DYNSESS__CTZ_BYTES
#undef DYNSESS__CTZ_BYTES
#endif
#undef DYNSESS__HIGH
#undef DYNSESS__CLS_WS
#undef DYNSESS__CLS_ESC
#undef DYNSESS__CLS_STR
#undef DYNSESS__JSON_INLINE
#undef DYNSESS__JSON_CHUNK_MAX
#undef DYNSESS__KEY_BIT
