/* ======================================================================
   @crypto  implementation
   CT: no branch or index depends on key, nonce, message or tag bytes;
   choices on secrets use masks. Every buffer that held a key, keystream or
   plaintext is wiped before return. SHA-NI / SSE2 / AVX2 paths are picked
   once from cpuid (cached atomically) and produce the same bytes as the
   portable code (tests run the vectors through both).
   ====================================================================== */
#if !defined(DYNSESS_CRYPTO_PORTABLE) && defined(__x86_64__) && \
    (defined(__GNUC__) || defined(__clang__))
#define DYNSESS__X86_SIMD 1
#include <immintrin.h>
#include <cpuid.h>
#endif

#define DYNSESS__CPU_INIT 1u
#define DYNSESS__CPU_SHANI 2u  /* SHA extensions + SSE4.1 */
#define DYNSESS__CPU_AVX2 4u   /* AVX2 with OS support for YMM state */
#define DYNSESS__CPU_SSE2 8u   /* always on x86-64 */

static unsigned dynsess__cpu_cached;

/* CPU features, detected once. CT: not secret. */
static DYNSESS__UNUSED unsigned dynsess__cpu_features(void) {
#ifdef DYNSESS__X86_SIMD
    unsigned f = __atomic_load_n(&dynsess__cpu_cached, __ATOMIC_RELAXED);
    unsigned a, b, c, d, lo, hi;
    if (f) return f;
    f = DYNSESS__CPU_INIT | DYNSESS__CPU_SSE2;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        int sse41 = (c >> 19) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
        if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
            if (sse41 && ((b >> 29) & 1)) f |= DYNSESS__CPU_SHANI;
            if (osxsave && avx && ((b >> 5) & 1)) {
                __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
                (void)hi;
                if ((lo & 6) == 6) f |= DYNSESS__CPU_AVX2;
            }
        }
    }
    __atomic_store_n(&dynsess__cpu_cached, f, __ATOMIC_RELAXED);
    return f;
#else
    return DYNSESS__CPU_INIT;
#endif
}
/* Tests only: restrict the accelerated paths (0 -> portable everywhere). */
static DYNSESS__UNUSED void dynsess__cpu_restrict(unsigned mask) {
    unsigned f;
    dynsess__cpu_cached = 0;
    f = dynsess__cpu_features() & (mask | DYNSESS__CPU_INIT);
#ifdef DYNSESS__X86_SIMD
    __atomic_store_n(&dynsess__cpu_cached, f, __ATOMIC_RELAXED);
#else
    dynsess__cpu_cached = f;
#endif
}

static DYNSESS__UNUSED uint32_t dynsess__load32_le(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static DYNSESS__UNUSED void dynsess__store32_le(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static DYNSESS__UNUSED void dynsess__store64_le(uint8_t *p, uint64_t v) {
    dynsess__store32_le(p, (uint32_t)v);
    dynsess__store32_le(p + 4, (uint32_t)(v >> 32));
}

/* ---- SHA-256 --------------------------------------------------------------- */
static const uint32_t dynsess__sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static DYNSESS__UNUSED uint32_t dynsess__load32_be(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static DYNSESS__UNUSED void dynsess__store32_be(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
#define DYNSESS__ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* Portable compression of nblocks 64-byte blocks. CT: data-independent. */
static DYNSESS__UNUSED void dynsess__sha256_blocks_portable(uint32_t st[8], const uint8_t *p, size_t nblocks) {
    uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
    int i;
    while (nblocks--) {
        for (i = 0; i < 16; i++) w[i] = dynsess__load32_be(p + 4 * i);
        for (i = 16; i < 64; i++) {
            uint32_t s0 = DYNSESS__ROR32(w[i - 15], 7) ^ DYNSESS__ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = DYNSESS__ROR32(w[i - 2], 17) ^ DYNSESS__ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        a = st[0]; b = st[1]; c = st[2]; d = st[3]; e = st[4]; f = st[5]; g = st[6]; h = st[7];
        for (i = 0; i < 64; i++) {
            t1 = h + (DYNSESS__ROR32(e, 6) ^ DYNSESS__ROR32(e, 11) ^ DYNSESS__ROR32(e, 25)) +
                 ((e & f) ^ (~e & g)) + dynsess__sha256_k[i] + w[i];
            t2 = (DYNSESS__ROR32(a, 2) ^ DYNSESS__ROR32(a, 13) ^ DYNSESS__ROR32(a, 22)) +
                 ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        st[0] += a; st[1] += b; st[2] += c; st[3] += d;
        st[4] += e; st[5] += f; st[6] += g; st[7] += h;
        p += 64;
    }
    dynsess_wipe(w, sizeof w);
}


#ifdef DYNSESS__X86_SIMD
/* x86 SHA-NI compression (Intel SHA extensions). CT: data-independent. */
#define DYNSESS__SHANI_ROUNDS(cur, prev, next, i, do2, do1)                                  \
    do {                                                                               \
        msg = _mm_add_epi32(cur, _mm_loadu_si128((const __m128i *)&dynsess__sha256_k[4 * (i)])); \
        s1 = _mm_sha256rnds2_epu32(s1, s0, msg);                                       \
        if (do2) {                                                                     \
            tmp = _mm_alignr_epi8(cur, prev, 4);                                       \
            next = _mm_add_epi32(next, tmp);                                           \
            next = _mm_sha256msg2_epu32(next, cur);                                    \
        }                                                                              \
        msg = _mm_shuffle_epi32(msg, 0x0E);                                            \
        s0 = _mm_sha256rnds2_epu32(s0, s1, msg);                                       \
        if (do1) prev = _mm_sha256msg1_epu32(prev, cur);                               \
    } while (0)
__attribute__((target("sha,sse4.1"))) static DYNSESS__UNUSED void
dynsess__sha256_blocks_shani(uint32_t st[8], const uint8_t *p, size_t nblocks) {
    __m128i s0, s1, msg, tmp, m0, m1, m2, m3, abef, cdgh;
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    tmp = _mm_loadu_si128((const __m128i *)&st[0]);
    s1 = _mm_loadu_si128((const __m128i *)&st[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);       /* CDAB */
    s1 = _mm_shuffle_epi32(s1, 0x1B);         /* EFGH */
    s0 = _mm_alignr_epi8(tmp, s1, 8);         /* ABEF */
    s1 = _mm_blend_epi16(s1, tmp, 0xF0);      /* CDGH */
    while (nblocks--) {
        abef = s0;
        cdgh = s1;
        m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
        m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
        m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
        m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
        DYNSESS__SHANI_ROUNDS(m0, m3, m1, 0, 0, 0);
        DYNSESS__SHANI_ROUNDS(m1, m0, m2, 1, 0, 1);
        DYNSESS__SHANI_ROUNDS(m2, m1, m3, 2, 0, 1);
        DYNSESS__SHANI_ROUNDS(m3, m2, m0, 3, 1, 1);
        DYNSESS__SHANI_ROUNDS(m0, m3, m1, 4, 1, 1);
        DYNSESS__SHANI_ROUNDS(m1, m0, m2, 5, 1, 1);
        DYNSESS__SHANI_ROUNDS(m2, m1, m3, 6, 1, 1);
        DYNSESS__SHANI_ROUNDS(m3, m2, m0, 7, 1, 1);
        DYNSESS__SHANI_ROUNDS(m0, m3, m1, 8, 1, 1);
        DYNSESS__SHANI_ROUNDS(m1, m0, m2, 9, 1, 1);
        DYNSESS__SHANI_ROUNDS(m2, m1, m3, 10, 1, 1);
        DYNSESS__SHANI_ROUNDS(m3, m2, m0, 11, 1, 1);
        DYNSESS__SHANI_ROUNDS(m0, m3, m1, 12, 1, 1);
        DYNSESS__SHANI_ROUNDS(m1, m0, m2, 13, 1, 0);
        DYNSESS__SHANI_ROUNDS(m2, m1, m3, 14, 1, 0);
        DYNSESS__SHANI_ROUNDS(m3, m2, m0, 15, 0, 0);
        s0 = _mm_add_epi32(s0, abef);
        s1 = _mm_add_epi32(s1, cdgh);
        p += 64;
    }
    tmp = _mm_shuffle_epi32(s0, 0x1B);        /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xB1);         /* DCHG */
    s0 = _mm_blend_epi16(tmp, s1, 0xF0);      /* DCBA */
    s1 = _mm_alignr_epi8(s1, tmp, 8);         /* HGFE */
    _mm_storeu_si128((__m128i *)&st[0], s0);
    _mm_storeu_si128((__m128i *)&st[4], s1);
    /* the message words live in registers only; clear them */
    m0 = m1 = m2 = m3 = msg = tmp = _mm_setzero_si128();
    (void)m0; (void)m1; (void)m2; (void)m3; (void)msg; (void)tmp;
}
#undef DYNSESS__SHANI_ROUNDS
#endif

/* Compresses nblocks blocks with the best code path. CT: data-independent. */
static DYNSESS__UNUSED void dynsess__sha256_blocks(uint32_t st[8], const uint8_t *p, size_t nblocks) {
#ifdef DYNSESS__X86_SIMD
    if (dynsess__cpu_features() & DYNSESS__CPU_SHANI) {
        dynsess__sha256_blocks_shani(st, p, nblocks);
        return;
    }
#endif
    dynsess__sha256_blocks_portable(st, p, nblocks);
}

#ifndef DYNSESS_USE_BEARSSL
/* CT: depends on the length only. */
DYNSESS_DEF void dynsess_sha256_init(dynsess_sha256_ctx *c) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->state, iv, sizeof iv);
    c->count = 0;
}

/* CT: depends on n and the running length only. */
DYNSESS_DEF void dynsess_sha256_update(dynsess_sha256_ctx *c, const void *data, size_t n) {
    const uint8_t *p = (const uint8_t *)data;
    size_t used = (size_t)(c->count & 63);
    c->count += n;
    if (used) {
        size_t take = 64 - used < n ? 64 - used : n;
        memcpy(c->buf + used, p, take);
        p += take; n -= take; used += take;
        if (used < 64) return;
        dynsess__sha256_blocks(c->state, c->buf, 1);
    }
    if (n >= 64) {
        dynsess__sha256_blocks(c->state, p, n / 64);
        p += n & ~(size_t)63;
        n &= 63;
    }
    if (n) memcpy(c->buf, p, n);
}

/* CT: depends on the length only. */
DYNSESS_DEF void dynsess_sha256_final(const dynsess_sha256_ctx *c, uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_sha256_ctx t = *c;
    size_t used = (size_t)(t.count & 63);
    uint64_t bits = t.count * 8;
    int i;
    t.buf[used++] = 0x80;
    if (used > 56) {
        memset(t.buf + used, 0, 64 - used);
        dynsess__sha256_blocks(t.state, t.buf, 1);
        used = 0;
    }
    memset(t.buf + used, 0, 56 - used);
    dynsess__store32_be(t.buf + 56, (uint32_t)(bits >> 32));
    dynsess__store32_be(t.buf + 60, (uint32_t)bits);
    dynsess__sha256_blocks(t.state, t.buf, 1);
    for (i = 0; i < 8; i++) dynsess__store32_be(out + 4 * i, t.state[i]);
    dynsess_wipe(&t, sizeof t);
}
#else
/* BearSSL br_sha256 (constant-time). CT: depends on lengths only. */
DYNSESS_DEF void dynsess_sha256_init(dynsess_sha256_ctx *c) { br_sha256_init(&c->br); }
DYNSESS_DEF void dynsess_sha256_update(dynsess_sha256_ctx *c, const void *p, size_t n) {
    br_sha256_update(&c->br, p, n);
}
DYNSESS_DEF void dynsess_sha256_final(const dynsess_sha256_ctx *c, uint8_t out[DYNSESS_SHA256_SIZE]) {
    br_sha256_out(&c->br, out);
}
#endif

/* CT: depends on n only. */
DYNSESS_DEF void dynsess_sha256(const void *p, size_t n, uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_sha256_ctx c;
    dynsess_sha256_init(&c);
    dynsess_sha256_update(&c, p, n);
    dynsess_sha256_final(&c, out);
    dynsess_wipe(&c, sizeof c);
}

/* ---- HMAC-SHA256 (RFC 2104) ------------------------------------------------- */
#ifndef DYNSESS_USE_BEARSSL
/* CT: depends on key_len only. */
DYNSESS_DEF void dynsess_hmac_sha256_init(dynsess_hmac_sha256_ctx *c, const void *key, size_t key_len) {
    uint8_t k[DYNSESS_SHA256_BLOCK], pad[DYNSESS_SHA256_BLOCK];
    int i;
    memset(k, 0, sizeof k);
    if (key_len > DYNSESS_SHA256_BLOCK) dynsess_sha256(key, key_len, k);
    else if (key_len) memcpy(k, key, key_len);
    for (i = 0; i < DYNSESS_SHA256_BLOCK; i++) pad[i] = (uint8_t)(k[i] ^ 0x36);
    dynsess_sha256_init(&c->inner);
    dynsess_sha256_update(&c->inner, pad, sizeof pad);
    for (i = 0; i < DYNSESS_SHA256_BLOCK; i++) pad[i] = (uint8_t)(k[i] ^ 0x5c);
    dynsess_sha256_init(&c->outer);
    dynsess_sha256_update(&c->outer, pad, sizeof pad);
    dynsess_wipe(k, sizeof k);
    dynsess_wipe(pad, sizeof pad);
}

/* CT: depends on n only. */
DYNSESS_DEF void dynsess_hmac_sha256_update(dynsess_hmac_sha256_ctx *c, const void *p, size_t n) {
    dynsess_sha256_update(&c->inner, p, n);
}

/* CT: depends on the length only. */
DYNSESS_DEF void dynsess_hmac_sha256_final(const dynsess_hmac_sha256_ctx *c,
                                           uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_sha256_ctx o = c->outer;
    uint8_t ih[DYNSESS_SHA256_SIZE];
    dynsess_sha256_final(&c->inner, ih);
    dynsess_sha256_update(&o, ih, sizeof ih);
    dynsess_sha256_final(&o, out);
    dynsess_wipe(ih, sizeof ih);
    dynsess_wipe(&o, sizeof o);
}
#else
/* BearSSL br_hmac over br_sha256. CT: depends on lengths only. */
DYNSESS_DEF void dynsess_hmac_sha256_init(dynsess_hmac_sha256_ctx *c, const void *key, size_t key_len) {
    br_hmac_key_context kc;
    br_hmac_key_init(&kc, &br_sha256_vtable, key, key_len);
    br_hmac_init(&c->br, &kc, 0);
    dynsess_wipe(&kc, sizeof kc);
}
DYNSESS_DEF void dynsess_hmac_sha256_update(dynsess_hmac_sha256_ctx *c, const void *p, size_t n) {
    br_hmac_update(&c->br, p, n);
}
DYNSESS_DEF void dynsess_hmac_sha256_final(const dynsess_hmac_sha256_ctx *c,
                                           uint8_t out[DYNSESS_SHA256_SIZE]) {
    br_hmac_out(&c->br, out);
}
#endif

/* CT: depends on key_len and n only. */
DYNSESS_DEF void dynsess_hmac_sha256(const void *key, size_t key_len, const void *p, size_t n,
                                     uint8_t out[DYNSESS_SHA256_SIZE]) {
    dynsess_hmac_sha256_ctx c;
    dynsess_hmac_sha256_init(&c, key, key_len);
    dynsess_hmac_sha256_update(&c, p, n);
    dynsess_hmac_sha256_final(&c, out);
    dynsess_wipe(&c, sizeof c);
}

/* ---- HKDF-SHA256 (RFC 5869) -------------------------------------------------- */
/* CT: depends on the lengths only. */
DYNSESS_DEF void dynsess_hkdf_sha256_extract(const void *salt, size_t salt_len, const void *ikm,
                                             size_t ikm_len, uint8_t prk[DYNSESS_SHA256_SIZE]) {
    static const uint8_t zero[DYNSESS_SHA256_SIZE] = {0};
    if (!salt || !salt_len) { salt = zero; salt_len = sizeof zero; } /* §2.2 */
    dynsess_hmac_sha256(salt, salt_len, ikm, ikm_len, prk);
}

/* CT: depends on info_len and out_len only. */
DYNSESS_DEF dynsess_status dynsess_hkdf_sha256_expand(const uint8_t prk[DYNSESS_SHA256_SIZE],
                                                      const void *info, size_t info_len,
                                                      uint8_t *out, size_t out_len,
                                                      dynsess_error *err) {
    dynsess_hmac_sha256_ctx base, c;
    uint8_t t[DYNSESS_SHA256_SIZE];
    size_t done = 0, take;
    uint8_t counter = 1;
    if (out_len > DYNSESS_HKDF_MAX_LEN)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "hkdf: output length %lu exceeds 255*32 bytes", (unsigned long)out_len);
    dynsess_hmac_sha256_init(&base, prk, DYNSESS_SHA256_SIZE);
    while (done < out_len) {           /* T(i) = HMAC(PRK, T(i-1) | info | i) */
        c = base;
        if (done) dynsess_hmac_sha256_update(&c, t, sizeof t);
        if (info_len) dynsess_hmac_sha256_update(&c, info, info_len);
        dynsess_hmac_sha256_update(&c, &counter, 1);
        dynsess_hmac_sha256_final(&c, t);
        take = out_len - done < sizeof t ? out_len - done : sizeof t;
        memcpy(out + done, t, take);
        done += take;
        counter++;
    }
    dynsess_wipe(&base, sizeof base);
    dynsess_wipe(&c, sizeof c);
    dynsess_wipe(t, sizeof t);
    return DYNSESS_OK;
}

/* CT: depends on the lengths only. */
DYNSESS_DEF dynsess_status dynsess_hkdf_sha256(const void *salt, size_t salt_len, const void *ikm,
                                               size_t ikm_len, const void *info, size_t info_len,
                                               uint8_t *out, size_t out_len, dynsess_error *err) {
    uint8_t prk[DYNSESS_SHA256_SIZE];
    dynsess_status rc;
    if (out_len > DYNSESS_HKDF_MAX_LEN)
        return dynsess__fail(err, DYNSESS_E_ARG, DYNSESS_NO_OFFSET,
                             "hkdf: output length %lu exceeds 255*32 bytes", (unsigned long)out_len);
    dynsess_hkdf_sha256_extract(salt, salt_len, ikm, ikm_len, prk);
    rc = dynsess_hkdf_sha256_expand(prk, info, info_len, out, out_len, err);
    dynsess_wipe(prk, sizeof prk);
    return rc;
}

/* ---- ChaCha20 (RFC 8439 §2.3) ------------------------------------------------- */
#define DYNSESS__ROL32(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define DYNSESS__QR(a, b, c, d)                        \
    a += b; d ^= a; d = DYNSESS__ROL32(d, 16);        \
    c += d; b ^= c; b = DYNSESS__ROL32(b, 12);        \
    a += b; d ^= a; d = DYNSESS__ROL32(d, 8);         \
    c += d; b ^= c; b = DYNSESS__ROL32(b, 7)

/* 20 rounds on x (no final addition). CT: data-independent. */
static DYNSESS__UNUSED void dynsess__chacha20_rounds(uint32_t x[16]) {
    uint32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3], x4 = x[4], x5 = x[5], x6 = x[6],
             x7 = x[7], x8 = x[8], x9 = x[9], x10 = x[10], x11 = x[11], x12 = x[12],
             x13 = x[13], x14 = x[14], x15 = x[15];
    int i;
    for (i = 0; i < 10; i++) {
        DYNSESS__QR(x0, x4, x8, x12); DYNSESS__QR(x1, x5, x9, x13);
        DYNSESS__QR(x2, x6, x10, x14); DYNSESS__QR(x3, x7, x11, x15);
        DYNSESS__QR(x0, x5, x10, x15); DYNSESS__QR(x1, x6, x11, x12);
        DYNSESS__QR(x2, x7, x8, x13); DYNSESS__QR(x3, x4, x9, x14);
    }
    x[0] = x0; x[1] = x1; x[2] = x2; x[3] = x3; x[4] = x4; x[5] = x5; x[6] = x6; x[7] = x7;
    x[8] = x8; x[9] = x9; x[10] = x10; x[11] = x11; x[12] = x12; x[13] = x13; x[14] = x14;
    x[15] = x15;
}
/* One quarter round on state words a, b, c, d (tests use it for RFC 8439 §2.1/2.2). */
static DYNSESS__UNUSED void dynsess__chacha20_qr(uint32_t x[16], int a, int b, int c, int d) {
    DYNSESS__QR(x[a], x[b], x[c], x[d]);
}
#undef DYNSESS__QR

/* State: constants, key, counter, nonce (RFC 8439 §2.3). CT: data-independent. */
static DYNSESS__UNUSED void dynsess__chacha20_setup(uint32_t s[16], const uint8_t key[32], const uint8_t nonce[12],
                                    uint32_t counter) {
    int i;
    s[0] = 0x61707865; s[1] = 0x3320646e; s[2] = 0x79622d32; s[3] = 0x6b206574;
    for (i = 0; i < 8; i++) s[4 + i] = dynsess__load32_le(key + 4 * i);
    s[12] = counter;
    for (i = 0; i < 3; i++) s[13 + i] = dynsess__load32_le(nonce + 4 * i);
}

/* XORs n bytes with the keystream of state s, advancing s[12].
   CT: depends on n only. */
static DYNSESS__UNUSED void dynsess__chacha20_xor_portable(uint32_t s[16], const uint8_t *in, uint8_t *out, size_t n) {
    uint32_t x[16];
    uint8_t ks[64];
    size_t i;
    while (n) {
        memcpy(x, s, sizeof x);
        dynsess__chacha20_rounds(x);
        for (i = 0; i < 16; i++) x[i] += s[i];
        s[12]++;
        if (n >= 64) {
            for (i = 0; i < 16; i++)
                dynsess__store32_le(out + 4 * i, dynsess__load32_le(in + 4 * i) ^ x[i]);
            in += 64; out += 64; n -= 64;
        } else {
            for (i = 0; i < 16; i++) dynsess__store32_le(ks + 4 * i, x[i]);
            for (i = 0; i < n; i++) out[i] = (uint8_t)(in[i] ^ ks[i]);
            n = 0;
        }
    }
    dynsess_wipe(x, sizeof x);
    dynsess_wipe(ks, sizeof ks);
}

#ifdef DYNSESS__X86_SIMD
/* 4 blocks at a time, one state word per vector (SSE2, baseline on x86-64).
   Processes the largest multiple of 256 bytes of n, advances s[12], returns
   the bytes done. CT: depends on n only. */
#define DYNSESS__V4ROL(v, n) _mm_or_si128(_mm_slli_epi32(v, n), _mm_srli_epi32(v, 32 - (n)))
#define DYNSESS__V4QR(a, b, c, d)                                                  \
    a = _mm_add_epi32(a, b); d = _mm_xor_si128(d, a); d = DYNSESS__V4ROL(d, 16);   \
    c = _mm_add_epi32(c, d); b = _mm_xor_si128(b, c); b = DYNSESS__V4ROL(b, 12);   \
    a = _mm_add_epi32(a, b); d = _mm_xor_si128(d, a); d = DYNSESS__V4ROL(d, 8);    \
    c = _mm_add_epi32(c, d); b = _mm_xor_si128(b, c); b = DYNSESS__V4ROL(b, 7)
#define DYNSESS__V4OUT(a0, a1, a2, a3, g)                                          \
    do {                                                                           \
        __m128i t0 = _mm_unpacklo_epi32(a0, a1), t1 = _mm_unpacklo_epi32(a2, a3);  \
        __m128i t2 = _mm_unpackhi_epi32(a0, a1), t3 = _mm_unpackhi_epi32(a2, a3);  \
        __m128i b0 = _mm_unpacklo_epi64(t0, t1), b1 = _mm_unpackhi_epi64(t0, t1);  \
        __m128i b2 = _mm_unpacklo_epi64(t2, t3), b3 = _mm_unpackhi_epi64(t2, t3);  \
        _mm_storeu_si128((__m128i *)(out + 16 * (g)), _mm_xor_si128(b0,             \
            _mm_loadu_si128((const __m128i *)(in + 16 * (g)))));                    \
        _mm_storeu_si128((__m128i *)(out + 64 + 16 * (g)), _mm_xor_si128(b1,        \
            _mm_loadu_si128((const __m128i *)(in + 64 + 16 * (g)))));               \
        _mm_storeu_si128((__m128i *)(out + 128 + 16 * (g)), _mm_xor_si128(b2,       \
            _mm_loadu_si128((const __m128i *)(in + 128 + 16 * (g)))));              \
        _mm_storeu_si128((__m128i *)(out + 192 + 16 * (g)), _mm_xor_si128(b3,       \
            _mm_loadu_si128((const __m128i *)(in + 192 + 16 * (g)))));              \
    } while (0)
static DYNSESS__UNUSED size_t dynsess__chacha20_xor_sse2(uint32_t s[16], const uint8_t *in, uint8_t *out, size_t n) {
    size_t done = 0;
    int i;
    while (n - done >= 256) {
        __m128i x0 = _mm_set1_epi32((int)s[0]), x1 = _mm_set1_epi32((int)s[1]);
        __m128i x2 = _mm_set1_epi32((int)s[2]), x3 = _mm_set1_epi32((int)s[3]);
        __m128i x4 = _mm_set1_epi32((int)s[4]), x5 = _mm_set1_epi32((int)s[5]);
        __m128i x6 = _mm_set1_epi32((int)s[6]), x7 = _mm_set1_epi32((int)s[7]);
        __m128i x8 = _mm_set1_epi32((int)s[8]), x9 = _mm_set1_epi32((int)s[9]);
        __m128i x10 = _mm_set1_epi32((int)s[10]), x11 = _mm_set1_epi32((int)s[11]);
        __m128i x12 = _mm_add_epi32(_mm_set1_epi32((int)s[12]), _mm_set_epi32(3, 2, 1, 0));
        __m128i x13 = _mm_set1_epi32((int)s[13]), x14 = _mm_set1_epi32((int)s[14]);
        __m128i x15 = _mm_set1_epi32((int)s[15]);
        const __m128i c12 = x12;
        for (i = 0; i < 10; i++) {
            DYNSESS__V4QR(x0, x4, x8, x12); DYNSESS__V4QR(x1, x5, x9, x13);
            DYNSESS__V4QR(x2, x6, x10, x14); DYNSESS__V4QR(x3, x7, x11, x15);
            DYNSESS__V4QR(x0, x5, x10, x15); DYNSESS__V4QR(x1, x6, x11, x12);
            DYNSESS__V4QR(x2, x7, x8, x13); DYNSESS__V4QR(x3, x4, x9, x14);
        }
        x0 = _mm_add_epi32(x0, _mm_set1_epi32((int)s[0])); x1 = _mm_add_epi32(x1, _mm_set1_epi32((int)s[1]));
        x2 = _mm_add_epi32(x2, _mm_set1_epi32((int)s[2])); x3 = _mm_add_epi32(x3, _mm_set1_epi32((int)s[3]));
        x4 = _mm_add_epi32(x4, _mm_set1_epi32((int)s[4])); x5 = _mm_add_epi32(x5, _mm_set1_epi32((int)s[5]));
        x6 = _mm_add_epi32(x6, _mm_set1_epi32((int)s[6])); x7 = _mm_add_epi32(x7, _mm_set1_epi32((int)s[7]));
        x8 = _mm_add_epi32(x8, _mm_set1_epi32((int)s[8])); x9 = _mm_add_epi32(x9, _mm_set1_epi32((int)s[9]));
        x10 = _mm_add_epi32(x10, _mm_set1_epi32((int)s[10]));
        x11 = _mm_add_epi32(x11, _mm_set1_epi32((int)s[11]));
        x12 = _mm_add_epi32(x12, c12);
        x13 = _mm_add_epi32(x13, _mm_set1_epi32((int)s[13]));
        x14 = _mm_add_epi32(x14, _mm_set1_epi32((int)s[14]));
        x15 = _mm_add_epi32(x15, _mm_set1_epi32((int)s[15]));
        DYNSESS__V4OUT(x0, x1, x2, x3, 0);
        DYNSESS__V4OUT(x4, x5, x6, x7, 1);
        DYNSESS__V4OUT(x8, x9, x10, x11, 2);
        DYNSESS__V4OUT(x12, x13, x14, x15, 3);
        s[12] += 4;
        in += 256; out += 256; done += 256;
    }
    return done;
}
#undef DYNSESS__V4OUT
#undef DYNSESS__V4QR
#undef DYNSESS__V4ROL

/* 8 blocks at a time (AVX2). Same contract as the SSE2 path, multiples of 512. */
#define DYNSESS__V8ROL(v, n) _mm256_or_si256(_mm256_slli_epi32(v, n), _mm256_srli_epi32(v, 32 - (n)))
#define DYNSESS__V8QR(a, b, c, d)                                                                  \
    a = _mm256_add_epi32(a, b); d = _mm256_xor_si256(d, a); d = _mm256_shuffle_epi8(d, rot16);      \
    c = _mm256_add_epi32(c, d); b = _mm256_xor_si256(b, c); b = DYNSESS__V8ROL(b, 12);              \
    a = _mm256_add_epi32(a, b); d = _mm256_xor_si256(d, a); d = _mm256_shuffle_epi8(d, rot8);       \
    c = _mm256_add_epi32(c, d); b = _mm256_xor_si256(b, c); b = DYNSESS__V8ROL(b, 7)
#define DYNSESS__V8X(b, off)                                                                       \
    _mm_storeu_si128((__m128i *)(out + (off)), _mm_xor_si128(_mm256_castsi256_si128(b),              \
        _mm_loadu_si128((const __m128i *)(in + (off)))));                                           \
    _mm_storeu_si128((__m128i *)(out + 256 + (off)), _mm_xor_si128(_mm256_extracti128_si256(b, 1),   \
        _mm_loadu_si128((const __m128i *)(in + 256 + (off)))))
#define DYNSESS__V8OUT(a0, a1, a2, a3, g)                                                          \
    do {                                                                                           \
        __m256i t0 = _mm256_unpacklo_epi32(a0, a1), t1 = _mm256_unpacklo_epi32(a2, a3);            \
        __m256i t2 = _mm256_unpackhi_epi32(a0, a1), t3 = _mm256_unpackhi_epi32(a2, a3);            \
        __m256i b0 = _mm256_unpacklo_epi64(t0, t1), b1 = _mm256_unpackhi_epi64(t0, t1);            \
        __m256i b2 = _mm256_unpacklo_epi64(t2, t3), b3 = _mm256_unpackhi_epi64(t2, t3);            \
        DYNSESS__V8X(b0, 16 * (g)); DYNSESS__V8X(b1, 64 + 16 * (g));                               \
        DYNSESS__V8X(b2, 128 + 16 * (g)); DYNSESS__V8X(b3, 192 + 16 * (g));                        \
    } while (0)
__attribute__((target("avx2"))) static DYNSESS__UNUSED size_t
dynsess__chacha20_xor_avx2(uint32_t s[16], const uint8_t *in, uint8_t *out, size_t n) {
    const __m256i rot16 = _mm256_set_epi8(13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2,
                                          13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2);
    const __m256i rot8 = _mm256_set_epi8(14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3,
                                         14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3);
    size_t done = 0;
    int i;
    while (n - done >= 512) {
        __m256i x0 = _mm256_set1_epi32((int)s[0]), x1 = _mm256_set1_epi32((int)s[1]);
        __m256i x2 = _mm256_set1_epi32((int)s[2]), x3 = _mm256_set1_epi32((int)s[3]);
        __m256i x4 = _mm256_set1_epi32((int)s[4]), x5 = _mm256_set1_epi32((int)s[5]);
        __m256i x6 = _mm256_set1_epi32((int)s[6]), x7 = _mm256_set1_epi32((int)s[7]);
        __m256i x8 = _mm256_set1_epi32((int)s[8]), x9 = _mm256_set1_epi32((int)s[9]);
        __m256i x10 = _mm256_set1_epi32((int)s[10]), x11 = _mm256_set1_epi32((int)s[11]);
        __m256i x12 = _mm256_add_epi32(_mm256_set1_epi32((int)s[12]),
                                       _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0));
        __m256i x13 = _mm256_set1_epi32((int)s[13]), x14 = _mm256_set1_epi32((int)s[14]);
        __m256i x15 = _mm256_set1_epi32((int)s[15]);
        const __m256i c12 = x12;
        for (i = 0; i < 10; i++) {
            DYNSESS__V8QR(x0, x4, x8, x12); DYNSESS__V8QR(x1, x5, x9, x13);
            DYNSESS__V8QR(x2, x6, x10, x14); DYNSESS__V8QR(x3, x7, x11, x15);
            DYNSESS__V8QR(x0, x5, x10, x15); DYNSESS__V8QR(x1, x6, x11, x12);
            DYNSESS__V8QR(x2, x7, x8, x13); DYNSESS__V8QR(x3, x4, x9, x14);
        }
        x0 = _mm256_add_epi32(x0, _mm256_set1_epi32((int)s[0]));
        x1 = _mm256_add_epi32(x1, _mm256_set1_epi32((int)s[1]));
        x2 = _mm256_add_epi32(x2, _mm256_set1_epi32((int)s[2]));
        x3 = _mm256_add_epi32(x3, _mm256_set1_epi32((int)s[3]));
        x4 = _mm256_add_epi32(x4, _mm256_set1_epi32((int)s[4]));
        x5 = _mm256_add_epi32(x5, _mm256_set1_epi32((int)s[5]));
        x6 = _mm256_add_epi32(x6, _mm256_set1_epi32((int)s[6]));
        x7 = _mm256_add_epi32(x7, _mm256_set1_epi32((int)s[7]));
        x8 = _mm256_add_epi32(x8, _mm256_set1_epi32((int)s[8]));
        x9 = _mm256_add_epi32(x9, _mm256_set1_epi32((int)s[9]));
        x10 = _mm256_add_epi32(x10, _mm256_set1_epi32((int)s[10]));
        x11 = _mm256_add_epi32(x11, _mm256_set1_epi32((int)s[11]));
        x12 = _mm256_add_epi32(x12, c12);
        x13 = _mm256_add_epi32(x13, _mm256_set1_epi32((int)s[13]));
        x14 = _mm256_add_epi32(x14, _mm256_set1_epi32((int)s[14]));
        x15 = _mm256_add_epi32(x15, _mm256_set1_epi32((int)s[15]));
        DYNSESS__V8OUT(x0, x1, x2, x3, 0);
        DYNSESS__V8OUT(x4, x5, x6, x7, 1);
        DYNSESS__V8OUT(x8, x9, x10, x11, 2);
        DYNSESS__V8OUT(x12, x13, x14, x15, 3);
        s[12] += 8;
        in += 512; out += 512; done += 512;
    }
    _mm256_zeroupper();
    return done;
}
#undef DYNSESS__V8OUT
#undef DYNSESS__V8X
#undef DYNSESS__V8QR
#undef DYNSESS__V8ROL
#endif

#ifdef DYNSESS_USE_BEARSSL
/* Only the one-time Poly1305 key (block 0); data blocks are left alone, so
   br_poly1305 MACs the ciphertext without decrypting it. */
static uint32_t dynsess__br_chacha_otk_only(const void *key, const void *iv, uint32_t cc, void *data,
                                            size_t len) {
    if (cc == 0) return br_chacha20_ct_run(key, iv, cc, data, len);
    return cc + (uint32_t)((len + 63) >> 6);
}
static br_chacha20_run dynsess__br_chacha(void) {
    br_chacha20_run f = br_chacha20_sse2_get();
    return f ? f : br_chacha20_ct_run;
}
static br_poly1305_run dynsess__br_poly(void) {
    br_poly1305_run f = br_poly1305_ctmulq_get();
    return f ? f : br_poly1305_ctmul_run;
}
#endif

#ifndef DYNSESS_USE_BEARSSL
/* out = a ^ b, n bytes, 8 at a time (out may be a). CT: depends on n only. */
static void dynsess__xor_bytes(uint8_t *out, const uint8_t *a, const uint8_t *b, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        x ^= y;
        memcpy(out + i, &x, 8);
    }
    for (; i < n; i++) out[i] = (uint8_t)(a[i] ^ b[i]);
}

/* XORs n bytes with the keystream of state s (advancing s[12]) on the best
   code path: whole AVX2 (8 blocks) / SSE2 (4 blocks) strides, then a tail
   longer than one block from one more wide pass into a stack buffer (one
   8-way AVX2 pass costs about one scalar block), else scalar.
   CT: depends on n only. */
static void dynsess__chacha20_xor_state(uint32_t s[16], const uint8_t *ip, uint8_t *op, size_t n) {
#ifdef DYNSESS__X86_SIMD
    unsigned f = dynsess__cpu_features();
    size_t done = 0;
    uint8_t ks[512];
    if (f & DYNSESS__CPU_AVX2) {
        if (n >= 512) done = dynsess__chacha20_xor_avx2(s, ip, op, n);
        if (n - done > 64) {
            memset(ks, 0, 512);
            dynsess__chacha20_xor_avx2(s, ks, ks, 512);
            dynsess__xor_bytes(op + done, ip + done, ks, n - done);
            s[12] -= (uint32_t)(8 - (n - done + 63) / 64);   /* blocks actually used */
            dynsess_wipe(ks, sizeof ks);
            return;
        }
    } else if (f & DYNSESS__CPU_SSE2) {
        if (n >= 256) done = dynsess__chacha20_xor_sse2(s, ip, op, n);
        if (n - done > 64) {
            memset(ks, 0, 256);
            dynsess__chacha20_xor_sse2(s, ks, ks, 256);
            dynsess__xor_bytes(op + done, ip + done, ks, n - done);
            s[12] -= (uint32_t)(4 - (n - done + 63) / 64);
            dynsess_wipe(ks, 256);
            return;
        }
    }
    ip += done; op += done; n -= done;
#endif
    dynsess__chacha20_xor_portable(s, ip, op, n);
}

/* The AEAD's keystream head (RFC 8439 §2.6, §2.8): sets s to block 0 and
   writes block 0 (one-time Poly1305 key in ks[0..32)) plus, on AVX2 / SSE2,
   blocks 1-7 / 1-3 (one wide pass) into ks[512]. Returns how many message
   bytes ks covers (at most n); s then points past them. CT: depends on n only. */
static size_t dynsess__chacha20_aead_head(uint32_t s[16], const uint8_t key[32], const uint8_t nonce[12],
                                          size_t n, uint8_t ks[512]) {
    dynsess__chacha20_setup(s, key, nonce, 0);
#ifdef DYNSESS__X86_SIMD
    {
        unsigned f = dynsess__cpu_features();
        size_t cover = 0;
        if ((f & DYNSESS__CPU_AVX2) && n > 64) {
            memset(ks, 0, 512);
            dynsess__chacha20_xor_avx2(s, ks, ks, 512);
            cover = n < 448 ? n : 448;
        } else if ((f & DYNSESS__CPU_SSE2) && n > 64) {
            memset(ks, 0, 256);
            dynsess__chacha20_xor_sse2(s, ks, ks, 256);
            cover = n < 192 ? n : 192;
        }
        if (cover) {
            s[12] = 1 + (uint32_t)((cover + 63) / 64);
            return cover;
        }
    }
#else
    (void)n;
#endif
    memset(ks, 0, 64);
    dynsess__chacha20_xor_portable(s, ks, ks, 64);
    return 0;
}

/* out = in ^ ks for the head bytes, then the rest from state s. CT: n only. */
static void dynsess__chacha20_aead_body(uint32_t s[16], const uint8_t *ks, size_t head, const void *in,
                                        size_t n, void *out) {
    const uint8_t *ip = (const uint8_t *)in;
    uint8_t *op = (uint8_t *)out;
    dynsess__xor_bytes(op, ip, ks + 64, head);
    dynsess__chacha20_xor_state(s, ip + head, op + head, n - head);
}
#endif

/* Keystream XOR from block `counter`, best code path. CT: depends on n only. */
static void dynsess__chacha20_xor_any(const uint8_t key[32], const uint8_t nonce[12], uint32_t counter,
                                      const void *in, size_t n, void *out) {
#ifdef DYNSESS_USE_BEARSSL
    if (!n) return;
    if (in != out) memmove(out, in, n);
    dynsess__br_chacha()(key, nonce, counter, out, n);
#else
    uint32_t s[16];
    dynsess__chacha20_setup(s, key, nonce, counter);
    dynsess__chacha20_xor_state(s, (const uint8_t *)in, (uint8_t *)out, n);
    dynsess_wipe(s, sizeof s);
#endif
}

/* CT: depends on n only. */
DYNSESS_DEF void dynsess_chacha20_xor(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE],
                                      const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
                                      uint32_t counter, const void *in, size_t n, void *out) {
    dynsess__chacha20_xor_any(key, nonce, counter, in, n, out);
}

/* CT: data-independent. */
DYNSESS_DEF void dynsess_chacha20_block(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE],
                                        const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
                                        uint32_t counter, uint8_t out[DYNSESS_CHACHA_BLOCK]) {
    memset(out, 0, DYNSESS_CHACHA_BLOCK);
    dynsess__chacha20_xor_any(key, nonce, counter, out, DYNSESS_CHACHA_BLOCK, out);
}

/* draft-irtf-cfrg-xchacha-03 §2.2: rounds without the final addition,
   output words 0-3 and 12-15. CT: data-independent. */
DYNSESS_DEF void dynsess_hchacha20(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE], const uint8_t in[16],
                                   uint8_t out[32]) {
    uint32_t s[16];
    int i;
    dynsess__chacha20_setup(s, key, in + 4, dynsess__load32_le(in));
    dynsess__chacha20_rounds(s);
    for (i = 0; i < 4; i++) {
        dynsess__store32_le(out + 4 * i, s[i]);
        dynsess__store32_le(out + 16 + 4 * i, s[12 + i]);
    }
    dynsess_wipe(s, sizeof s);
}

/* XChaCha nonce split: subkey from nonce[0..16], IETF nonce 0^4 || nonce[16..24]. */
static void dynsess__xchacha_prepare(const uint8_t key[32], const uint8_t nonce[24], uint8_t subkey[32],
                                     uint8_t n12[12]) {
    dynsess_hchacha20(key, nonce, subkey);
    memset(n12, 0, 4);
    memcpy(n12 + 4, nonce + 16, 8);
}

/* CT: depends on n only. */
DYNSESS_DEF void dynsess_xchacha20_xor(const uint8_t key[DYNSESS_XCHACHA_KEY_SIZE],
                                       const uint8_t nonce[DYNSESS_XCHACHA_NONCE_SIZE],
                                       uint32_t counter, const void *in, size_t n, void *out) {
    uint8_t subkey[32], n12[12];
    dynsess__xchacha_prepare(key, nonce, subkey, n12);
    dynsess__chacha20_xor_any(subkey, n12, counter, in, n, out);
    dynsess_wipe(subkey, sizeof subkey);
}

/* ---- Poly1305 (RFC 8439 §2.5) --------------------------------------------------------
   Two layouts of h and r (poly1305-donna): 3 x 44-bit limbs with 64x64->128
   multiplies where the compiler has unsigned __int128, else 5 x 26-bit limbs
   with 32x32->64 multiplies (also under DYNSESS_CRYPTO_PORTABLE). */
#if defined(__SIZEOF_INT128__) && !defined(DYNSESS_CRYPTO_PORTABLE)
#define DYNSESS__POLY64 1
#ifndef DYNSESS__POLY_AVX2_MIN
#define DYNSESS__POLY_AVX2_MIN 256 /* bytes from which the AVX2 path pays off */
#endif
__extension__ typedef unsigned __int128 dynsess__u128;
#endif

static DYNSESS__UNUSED uint64_t dynsess__load64_le(const uint8_t *p) {
    return (uint64_t)dynsess__load32_le(p) | ((uint64_t)dynsess__load32_le(p + 4) << 32);
}

#ifdef DYNSESS__POLY64
#define DYNSESS__M44 0xfffffffffffULL
#define DYNSESS__M42 0x3ffffffffffULL
/* h = h * r mod 2^130-5, partially reduced (donna-64). CT: data-independent. */
static void dynsess__poly64_mul(uint64_t h[3], const uint64_t r[3]) {
    const uint64_t s1 = r[1] * (5 << 2), s2 = r[2] * (5 << 2);
    dynsess__u128 d0, d1, d2;
    uint64_t cy;
    d0 = (dynsess__u128)h[0] * r[0] + (dynsess__u128)h[1] * s2 + (dynsess__u128)h[2] * s1;
    d1 = (dynsess__u128)h[0] * r[1] + (dynsess__u128)h[1] * r[0] + (dynsess__u128)h[2] * s2;
    d2 = (dynsess__u128)h[0] * r[2] + (dynsess__u128)h[1] * r[1] + (dynsess__u128)h[2] * r[0];
    cy = (uint64_t)(d0 >> 44); h[0] = (uint64_t)d0 & DYNSESS__M44;
    d1 += cy; cy = (uint64_t)(d1 >> 44); h[1] = (uint64_t)d1 & DYNSESS__M44;
    d2 += cy; cy = (uint64_t)(d2 >> 42); h[2] = (uint64_t)d2 & DYNSESS__M42;
    h[0] += cy * 5; cy = h[0] >> 44; h[0] &= DYNSESS__M44;
    h[1] += cy;
}

#ifdef DYNSESS__X86_SIMD
/* AVX2 Poly1305 for whole 64-byte chunks (n a multiple of 64, n >= 128):
   four lanes of 26-bit limbs, lane j takes blocks 4i+j; each step is
   H = H r^4 + M, the last one multiplies the lanes by r^4, r^3, r^2, r and
   sums them. h and the r powers come from and go back to the 44-bit scalar
   state. CT: data-independent (vpmuludq, shifts, masks only). */
#define DYNSESS__P26(x) ((x) & 0x3ffffff)
static void dynsess__poly26_from44(const uint64_t h[3], uint64_t l[5]) {
    uint64_t h0 = h[0], h1 = h[1], h2 = h[2], cy;
    cy = h0 >> 44; h0 &= 0xfffffffffffULL; h1 += cy;          /* normalise first */
    cy = h1 >> 44; h1 &= 0xfffffffffffULL; h2 += cy;
    cy = h2 >> 42; h2 &= 0x3ffffffffffULL; h0 += cy * 5;
    cy = h0 >> 44; h0 &= 0xfffffffffffULL; h1 += cy;
    l[0] = DYNSESS__P26(h0);
    l[1] = DYNSESS__P26((h0 >> 26) | (h1 << 18));
    l[2] = DYNSESS__P26(h1 >> 8);
    l[3] = (h1 >> 34) + ((h2 & 0xffff) << 10);                /* may exceed 26 bits by a carry */
    l[4] = h2 >> 16;
}
__attribute__((target("avx2"))) static DYNSESS__UNUSED void
dynsess__poly1305_avx2(dynsess_poly1305_ctx *c, const uint8_t *m, size_t n) {
    const __m256i mask = _mm256_set1_epi64x(0x3ffffff), hib = _mm256_set1_epi64x(1 << 24);
    const __m256i five = _mm256_set1_epi64x(5);
    uint64_t rp[4][5], hl[5], l0, l1, l2, l3, l4, cy, sum[5];
    __m256i r0, r1, r2, r3, r4, s1, s2, s3, s4, h0, h1, h2, h3, h4, t0, t1, a, b;
    __m256i d0, d1, d2, d3, d4, cv;
    uint64_t lanes[4];
    int k;
    dynsess__poly26_from44(c->r + 9, rp[0]);   /* r^4 */
    dynsess__poly26_from44(c->r + 6, rp[1]);   /* r^3 */
    dynsess__poly26_from44(c->r + 3, rp[2]);   /* r^2 */
    dynsess__poly26_from44(c->r + 0, rp[3]);   /* r   */
    dynsess__poly26_from44(c->h, hl);
#define DYNSESS__LOAD4(p)                                                                      \
    a = _mm256_loadu_si256((const __m256i *)(p));                                              \
    b = _mm256_loadu_si256((const __m256i *)((p) + 32));                                       \
    t0 = _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(a, b), 0xD8);                          \
    t1 = _mm256_permute4x64_epi64(_mm256_unpackhi_epi64(a, b), 0xD8)
#define DYNSESS__ADDMSG()                                                                      \
    h0 = _mm256_add_epi64(h0, _mm256_and_si256(t0, mask));                                     \
    h1 = _mm256_add_epi64(h1, _mm256_and_si256(_mm256_srli_epi64(t0, 26), mask));              \
    h2 = _mm256_add_epi64(h2, _mm256_and_si256(_mm256_or_si256(_mm256_srli_epi64(t0, 52),      \
                                                               _mm256_slli_epi64(t1, 12)), mask)); \
    h3 = _mm256_add_epi64(h3, _mm256_and_si256(_mm256_srli_epi64(t1, 14), mask));              \
    h4 = _mm256_add_epi64(h4, _mm256_or_si256(_mm256_srli_epi64(t1, 40), hib))
#define DYNSESS__MUL()                                                                         \
    d0 = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h0, r0), _mm256_mul_epu32(h1, s4)), \
         _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h2, s3), _mm256_mul_epu32(h3, s2)), \
                          _mm256_mul_epu32(h4, s1)));                                          \
    d1 = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h0, r1), _mm256_mul_epu32(h1, r0)), \
         _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h2, s4), _mm256_mul_epu32(h3, s3)), \
                          _mm256_mul_epu32(h4, s2)));                                          \
    d2 = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h0, r2), _mm256_mul_epu32(h1, r1)), \
         _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h2, r0), _mm256_mul_epu32(h3, s4)), \
                          _mm256_mul_epu32(h4, s3)));                                          \
    d3 = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h0, r3), _mm256_mul_epu32(h1, r2)), \
         _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h2, r1), _mm256_mul_epu32(h3, r0)), \
                          _mm256_mul_epu32(h4, s4)));                                          \
    d4 = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h0, r4), _mm256_mul_epu32(h1, r3)), \
         _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(h2, r2), _mm256_mul_epu32(h3, r1)), \
                          _mm256_mul_epu32(h4, r0)))
#define DYNSESS__SETR(i)                                                                       \
    r0 = _mm256_set1_epi64x((long long)rp[i][0]); r1 = _mm256_set1_epi64x((long long)rp[i][1]); \
    r2 = _mm256_set1_epi64x((long long)rp[i][2]); r3 = _mm256_set1_epi64x((long long)rp[i][3]); \
    r4 = _mm256_set1_epi64x((long long)rp[i][4])
    DYNSESS__SETR(0);
    s1 = _mm256_mul_epu32(r1, five); s2 = _mm256_mul_epu32(r2, five);
    s3 = _mm256_mul_epu32(r3, five); s4 = _mm256_mul_epu32(r4, five);
    h0 = _mm256_set_epi64x(0, 0, 0, (long long)hl[0]); h1 = _mm256_set_epi64x(0, 0, 0, (long long)hl[1]);
    h2 = _mm256_set_epi64x(0, 0, 0, (long long)hl[2]); h3 = _mm256_set_epi64x(0, 0, 0, (long long)hl[3]);
    h4 = _mm256_set_epi64x(0, 0, 0, (long long)hl[4]);
    DYNSESS__LOAD4(m);
    DYNSESS__ADDMSG();
    m += 64; n -= 64;
    while (n >= 64) {                       /* H = H r^4 + M */
        DYNSESS__MUL();
        cv = _mm256_srli_epi64(d0, 26); d0 = _mm256_and_si256(d0, mask); d1 = _mm256_add_epi64(d1, cv);
        cv = _mm256_srli_epi64(d1, 26); d1 = _mm256_and_si256(d1, mask); d2 = _mm256_add_epi64(d2, cv);
        cv = _mm256_srli_epi64(d2, 26); d2 = _mm256_and_si256(d2, mask); d3 = _mm256_add_epi64(d3, cv);
        cv = _mm256_srli_epi64(d3, 26); d3 = _mm256_and_si256(d3, mask); d4 = _mm256_add_epi64(d4, cv);
        cv = _mm256_srli_epi64(d4, 26); d4 = _mm256_and_si256(d4, mask);
        d0 = _mm256_add_epi64(d0, _mm256_mul_epu32(cv, five));
        cv = _mm256_srli_epi64(d0, 26); d0 = _mm256_and_si256(d0, mask); d1 = _mm256_add_epi64(d1, cv);
        h0 = d0; h1 = d1; h2 = d2; h3 = d3; h4 = d4;
        DYNSESS__LOAD4(m);
        DYNSESS__ADDMSG();
        m += 64; n -= 64;
    }
    /* last step: lane j times r^(4-j), then the sum of the lanes */
    r0 = _mm256_set_epi64x((long long)rp[3][0], (long long)rp[2][0], (long long)rp[1][0], (long long)rp[0][0]);
    r1 = _mm256_set_epi64x((long long)rp[3][1], (long long)rp[2][1], (long long)rp[1][1], (long long)rp[0][1]);
    r2 = _mm256_set_epi64x((long long)rp[3][2], (long long)rp[2][2], (long long)rp[1][2], (long long)rp[0][2]);
    r3 = _mm256_set_epi64x((long long)rp[3][3], (long long)rp[2][3], (long long)rp[1][3], (long long)rp[0][3]);
    r4 = _mm256_set_epi64x((long long)rp[3][4], (long long)rp[2][4], (long long)rp[1][4], (long long)rp[0][4]);
    s1 = _mm256_mul_epu32(r1, five); s2 = _mm256_mul_epu32(r2, five);
    s3 = _mm256_mul_epu32(r3, five); s4 = _mm256_mul_epu32(r4, five);
    DYNSESS__MUL();
    for (k = 0; k < 5; k++) {
        __m256i v = k == 0 ? d0 : k == 1 ? d1 : k == 2 ? d2 : k == 3 ? d3 : d4;
        _mm256_storeu_si256((__m256i *)lanes, v);
        sum[k] = lanes[0] + lanes[1] + lanes[2] + lanes[3];      /* each < 2^61 */
    }
    l0 = sum[0]; l1 = sum[1]; l2 = sum[2]; l3 = sum[3]; l4 = sum[4];
    cy = l0 >> 26; l0 &= 0x3ffffff; l1 += cy;
    cy = l1 >> 26; l1 &= 0x3ffffff; l2 += cy;
    cy = l2 >> 26; l2 &= 0x3ffffff; l3 += cy;
    cy = l3 >> 26; l3 &= 0x3ffffff; l4 += cy;
    cy = l4 >> 26; l4 &= 0x3ffffff; l0 += cy * 5;
    cy = l0 >> 26; l0 &= 0x3ffffff; l1 += cy;
    c->h[0] = (l0 + (l1 << 26)) & 0xfffffffffffULL;                /* back to 44-bit limbs */
    c->h[1] = ((l0 + (l1 << 26)) >> 44) + (l2 << 8) + ((l3 & 0x3ff) << 34);
    c->h[2] = (l3 >> 10) + (l4 << 16);
    cy = c->h[1] >> 44; c->h[1] &= 0xfffffffffffULL; c->h[2] += cy;
    dynsess_wipe(rp, sizeof rp);
    dynsess_wipe(hl, sizeof hl);
    dynsess_wipe(lanes, sizeof lanes);
    dynsess_wipe(sum, sizeof sum);
    _mm256_zeroall();
#undef DYNSESS__LOAD4
#undef DYNSESS__ADDMSG
#undef DYNSESS__MUL
#undef DYNSESS__SETR
}
#undef DYNSESS__P26
#endif

/* Absorbs whole 16-byte blocks; final = 1 for the padded last one (no 2^128
   bit). Four blocks per step as h = (h + m1) r^4 + m2 r^3 + m3 r^2 + m4 r,
   which cuts the multiply-carry dependency chain to one per 64 bytes.
   CT: data-independent (64x64->128 multiplies). */
#define DYNSESS__POLY_LIMBS(p, a0, a1, a2)                                     \
    t0 = dynsess__load64_le(p); t1 = dynsess__load64_le((p) + 8);              \
    a0 = t0 & DYNSESS__M44;                                                    \
    a1 = ((t0 >> 44) | (t1 << 20)) & DYNSESS__M44;                             \
    a2 = ((t1 >> 24) & DYNSESS__M42) | hibit
#define DYNSESS__POLY_MAC(a0, a1, a2, k)                                       \
    d0 += (dynsess__u128)(a0) * c->r[k] + (dynsess__u128)(a1) * (c->r[k + 2] * 20) + \
          (dynsess__u128)(a2) * (c->r[k + 1] * 20);                            \
    d1 += (dynsess__u128)(a0) * c->r[k + 1] + (dynsess__u128)(a1) * c->r[k] +    \
          (dynsess__u128)(a2) * (c->r[k + 2] * 20);                            \
    d2 += (dynsess__u128)(a0) * c->r[k + 2] + (dynsess__u128)(a1) * c->r[k + 1] + \
          (dynsess__u128)(a2) * c->r[k]
static DYNSESS__UNUSED void dynsess__poly1305_blocks(dynsess_poly1305_ctx *c, const uint8_t *m, size_t n,
                                                     int final) {
    const uint64_t hibit = final ? 0 : ((uint64_t)1 << 40);
    const uint64_t r0 = c->r[0], r1 = c->r[1], r2 = c->r[2];
    const uint64_t s1 = r1 * (5 << 2), s2 = r2 * (5 << 2);
    uint64_t h0, h1, h2, t0, t1, a0, a1, a2, cy;
    dynsess__u128 d0, d1, d2;
#ifdef DYNSESS__X86_SIMD
    if (n >= DYNSESS__POLY_AVX2_MIN && !final && (dynsess__cpu_features() & DYNSESS__CPU_AVX2)) {
        size_t k = n & ~(size_t)63;
        dynsess__poly1305_avx2(c, m, k);
        m += k; n -= k;
    }
#endif
    h0 = c->h[0]; h1 = c->h[1]; h2 = c->h[2];
    while (n >= 64) {
        DYNSESS__POLY_LIMBS(m, a0, a1, a2);
        h0 += a0; h1 += a1; h2 += a2;
        d0 = d1 = d2 = 0;
        DYNSESS__POLY_MAC(h0, h1, h2, 9);            /* (h + m1) r^4 */
        DYNSESS__POLY_LIMBS(m + 16, a0, a1, a2);
        DYNSESS__POLY_MAC(a0, a1, a2, 6);            /* m2 r^3 */
        DYNSESS__POLY_LIMBS(m + 32, a0, a1, a2);
        DYNSESS__POLY_MAC(a0, a1, a2, 3);            /* m3 r^2 */
        DYNSESS__POLY_LIMBS(m + 48, a0, a1, a2);
        DYNSESS__POLY_MAC(a0, a1, a2, 0);            /* m4 r */
        cy = (uint64_t)(d0 >> 44); h0 = (uint64_t)d0 & DYNSESS__M44;
        d1 += cy; cy = (uint64_t)(d1 >> 44); h1 = (uint64_t)d1 & DYNSESS__M44;
        d2 += cy; cy = (uint64_t)(d2 >> 42); h2 = (uint64_t)d2 & DYNSESS__M42;
        h0 += cy * 5; cy = h0 >> 44; h0 &= DYNSESS__M44;
        h1 += cy;
        m += 64; n -= 64;
    }
    while (n >= 16) {
        t0 = dynsess__load64_le(m);
        t1 = dynsess__load64_le(m + 8);
        h0 += t0 & DYNSESS__M44;
        h1 += ((t0 >> 44) | (t1 << 20)) & DYNSESS__M44;
        h2 += ((t1 >> 24) & DYNSESS__M42) | hibit;
        d0 = (dynsess__u128)h0 * r0 + (dynsess__u128)h1 * s2 + (dynsess__u128)h2 * s1;
        d1 = (dynsess__u128)h0 * r1 + (dynsess__u128)h1 * r0 + (dynsess__u128)h2 * s2;
        d2 = (dynsess__u128)h0 * r2 + (dynsess__u128)h1 * r1 + (dynsess__u128)h2 * r0;
        cy = (uint64_t)(d0 >> 44); h0 = (uint64_t)d0 & DYNSESS__M44;
        d1 += cy; cy = (uint64_t)(d1 >> 44); h1 = (uint64_t)d1 & DYNSESS__M44;
        d2 += cy; cy = (uint64_t)(d2 >> 42); h2 = (uint64_t)d2 & DYNSESS__M42;
        h0 += cy * 5; cy = h0 >> 44; h0 &= DYNSESS__M44;
        h1 += cy;
        m += 16; n -= 16;
    }
    c->h[0] = h0; c->h[1] = h1; c->h[2] = h2;
}

/* CT: data-independent. */
DYNSESS_DEF void dynsess_poly1305_init(dynsess_poly1305_ctx *c,
                                       const uint8_t key[DYNSESS_POLY1305_KEY_SIZE]) {
    uint64_t t0 = dynsess__load64_le(key), t1 = dynsess__load64_le(key + 8);
    int i;
    c->r[0] = t0 & 0xffc0fffffffULL;                         /* r is clamped (§2.5) */
    c->r[1] = ((t0 >> 44) | (t1 << 20)) & 0xfffffc0ffffULL;
    c->r[2] = (t1 >> 24) & 0x00ffffffc0fULL;
    for (i = 3; i < 12; i++) c->r[i] = c->r[i - 3];          /* r^2, r^3, r^4 for 4-block steps */
    dynsess__poly64_mul(c->r + 3, c->r);
    dynsess__poly64_mul(c->r + 6, c->r + 3);
    dynsess__poly64_mul(c->r + 9, c->r + 6);
    for (i = 0; i < 5; i++) c->h[i] = 0;
    for (i = 0; i < 4; i++) c->pad[i] = dynsess__load32_le(key + 16 + 4 * i);
    c->used = 0;
}

/* Final reduction mod 2^130-5 with a mask select, then + s. CT: data-independent. */
static void dynsess__poly1305_finish(dynsess_poly1305_ctx *c, uint8_t tag[16]) {
    uint64_t h0 = c->h[0], h1 = c->h[1], h2 = c->h[2], g0, g1, g2, cy, t0, t1;
    cy = h1 >> 44; h1 &= 0xfffffffffffULL;
    h2 += cy; cy = h2 >> 42; h2 &= 0x3ffffffffffULL;
    h0 += cy * 5; cy = h0 >> 44; h0 &= 0xfffffffffffULL;
    h1 += cy; cy = h1 >> 44; h1 &= 0xfffffffffffULL;
    h2 += cy; cy = h2 >> 42; h2 &= 0x3ffffffffffULL;
    h0 += cy * 5; cy = h0 >> 44; h0 &= 0xfffffffffffULL;
    h1 += cy;
    g0 = h0 + 5; cy = g0 >> 44; g0 &= 0xfffffffffffULL;     /* g = h + 5 - 2^130 */
    g1 = h1 + cy; cy = g1 >> 44; g1 &= 0xfffffffffffULL;
    g2 = h2 + cy - ((uint64_t)1 << 42);
    cy = (g2 >> 63) - 1;                                     /* all ones if h >= p */
    g0 &= cy; g1 &= cy; g2 &= cy;
    cy = ~cy;
    h0 = (h0 & cy) | g0; h1 = (h1 & cy) | g1; h2 = (h2 & cy) | g2;
    t0 = (uint64_t)c->pad[0] | ((uint64_t)c->pad[1] << 32);
    t1 = (uint64_t)c->pad[2] | ((uint64_t)c->pad[3] << 32);
    h0 += t0 & 0xfffffffffffULL; cy = h0 >> 44; h0 &= 0xfffffffffffULL;
    h1 += (((t0 >> 44) | (t1 << 20)) & 0xfffffffffffULL) + cy; cy = h1 >> 44; h1 &= 0xfffffffffffULL;
    h2 += ((t1 >> 24) & 0x3ffffffffffULL) + cy; h2 &= 0x3ffffffffffULL;
    h0 = h0 | (h1 << 44);
    h1 = (h1 >> 20) | (h2 << 24);
    dynsess__store64_le(tag, h0);
    dynsess__store64_le(tag + 8, h1);
}
#undef DYNSESS__POLY_LIMBS
#undef DYNSESS__POLY_MAC
#undef DYNSESS__M44
#undef DYNSESS__M42
#else
/* Absorbs whole 16-byte blocks; final = 1 for the padded last one (no 2^128
   bit). CT: data-independent (32x32->64 multiplies only). */
static DYNSESS__UNUSED void dynsess__poly1305_blocks(dynsess_poly1305_ctx *c, const uint8_t *m, size_t n,
                                                     int final) {
    const uint32_t hibit = final ? 0 : (1u << 24);
    const uint32_t r0 = (uint32_t)c->r[0], r1 = (uint32_t)c->r[1], r2 = (uint32_t)c->r[2],
                   r3 = (uint32_t)c->r[3], r4 = (uint32_t)c->r[4];
    const uint32_t s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
    uint32_t h0 = (uint32_t)c->h[0], h1 = (uint32_t)c->h[1], h2 = (uint32_t)c->h[2],
             h3 = (uint32_t)c->h[3], h4 = (uint32_t)c->h[4];
    uint64_t d0, d1, d2, d3, d4;
    uint32_t cy;
    while (n >= 16) {
        h0 += dynsess__load32_le(m + 0) & 0x3ffffff;
        h1 += (dynsess__load32_le(m + 3) >> 2) & 0x3ffffff;
        h2 += (dynsess__load32_le(m + 6) >> 4) & 0x3ffffff;
        h3 += (dynsess__load32_le(m + 9) >> 6) & 0x3ffffff;
        h4 += (dynsess__load32_le(m + 12) >> 8) | hibit;
        d0 = (uint64_t)h0 * r0 + (uint64_t)h1 * s4 + (uint64_t)h2 * s3 + (uint64_t)h3 * s2 + (uint64_t)h4 * s1;
        d1 = (uint64_t)h0 * r1 + (uint64_t)h1 * r0 + (uint64_t)h2 * s4 + (uint64_t)h3 * s3 + (uint64_t)h4 * s2;
        d2 = (uint64_t)h0 * r2 + (uint64_t)h1 * r1 + (uint64_t)h2 * r0 + (uint64_t)h3 * s4 + (uint64_t)h4 * s3;
        d3 = (uint64_t)h0 * r3 + (uint64_t)h1 * r2 + (uint64_t)h2 * r1 + (uint64_t)h3 * r0 + (uint64_t)h4 * s4;
        d4 = (uint64_t)h0 * r4 + (uint64_t)h1 * r3 + (uint64_t)h2 * r2 + (uint64_t)h3 * r1 + (uint64_t)h4 * r0;
        cy = (uint32_t)(d0 >> 26); h0 = (uint32_t)d0 & 0x3ffffff;
        d1 += cy; cy = (uint32_t)(d1 >> 26); h1 = (uint32_t)d1 & 0x3ffffff;
        d2 += cy; cy = (uint32_t)(d2 >> 26); h2 = (uint32_t)d2 & 0x3ffffff;
        d3 += cy; cy = (uint32_t)(d3 >> 26); h3 = (uint32_t)d3 & 0x3ffffff;
        d4 += cy; cy = (uint32_t)(d4 >> 26); h4 = (uint32_t)d4 & 0x3ffffff;
        h0 += cy * 5; cy = h0 >> 26; h0 &= 0x3ffffff;
        h1 += cy;
        m += 16; n -= 16;
    }
    c->h[0] = h0; c->h[1] = h1; c->h[2] = h2; c->h[3] = h3; c->h[4] = h4;
}

/* CT: data-independent. */
DYNSESS_DEF void dynsess_poly1305_init(dynsess_poly1305_ctx *c,
                                       const uint8_t key[DYNSESS_POLY1305_KEY_SIZE]) {
    int i;
    c->r[0] = dynsess__load32_le(key + 0) & 0x3ffffff;        /* r is clamped (§2.5) */
    c->r[1] = (dynsess__load32_le(key + 3) >> 2) & 0x3ffff03;
    c->r[2] = (dynsess__load32_le(key + 6) >> 4) & 0x3ffc0ff;
    c->r[3] = (dynsess__load32_le(key + 9) >> 6) & 0x3f03fff;
    c->r[4] = (dynsess__load32_le(key + 12) >> 8) & 0x00fffff;
    for (i = 0; i < 5; i++) c->h[i] = 0;
    for (i = 0; i < 4; i++) c->pad[i] = dynsess__load32_le(key + 16 + 4 * i);
    c->used = 0;
}

/* Final reduction mod 2^130-5 with a mask select, then + s. CT: data-independent. */
static void dynsess__poly1305_finish(dynsess_poly1305_ctx *c, uint8_t tag[16]) {
    uint32_t h0, h1, h2, h3, h4, g0, g1, g2, g3, g4, cy, mask;
    uint64_t f;
    h0 = (uint32_t)c->h[0]; h1 = (uint32_t)c->h[1]; h2 = (uint32_t)c->h[2];
    h3 = (uint32_t)c->h[3]; h4 = (uint32_t)c->h[4];
    cy = h1 >> 26; h1 &= 0x3ffffff;
    h2 += cy; cy = h2 >> 26; h2 &= 0x3ffffff;
    h3 += cy; cy = h3 >> 26; h3 &= 0x3ffffff;
    h4 += cy; cy = h4 >> 26; h4 &= 0x3ffffff;
    h0 += cy * 5; cy = h0 >> 26; h0 &= 0x3ffffff;
    h1 += cy;
    g0 = h0 + 5; cy = g0 >> 26; g0 &= 0x3ffffff;            /* g = h + 5 - 2^130 */
    g1 = h1 + cy; cy = g1 >> 26; g1 &= 0x3ffffff;
    g2 = h2 + cy; cy = g2 >> 26; g2 &= 0x3ffffff;
    g3 = h3 + cy; cy = g3 >> 26; g3 &= 0x3ffffff;
    g4 = h4 + cy - (1u << 26);
    mask = (g4 >> 31) - 1;                                   /* all ones if h >= p */
    g0 &= mask; g1 &= mask; g2 &= mask; g3 &= mask; g4 &= mask;
    mask = ~mask;
    h0 = (h0 & mask) | g0; h1 = (h1 & mask) | g1; h2 = (h2 & mask) | g2;
    h3 = (h3 & mask) | g3; h4 = (h4 & mask) | g4;
    h0 = h0 | (h1 << 26);
    h1 = (h1 >> 6) | (h2 << 20);
    h2 = (h2 >> 12) | (h3 << 14);
    h3 = (h3 >> 18) | (h4 << 8);
    f = (uint64_t)h0 + c->pad[0]; dynsess__store32_le(tag + 0, (uint32_t)f);
    f = (uint64_t)h1 + c->pad[1] + (f >> 32); dynsess__store32_le(tag + 4, (uint32_t)f);
    f = (uint64_t)h2 + c->pad[2] + (f >> 32); dynsess__store32_le(tag + 8, (uint32_t)f);
    f = (uint64_t)h3 + c->pad[3] + (f >> 32); dynsess__store32_le(tag + 12, (uint32_t)f);
}
#endif

/* CT: depends on n and the running length only. */
DYNSESS_DEF void dynsess_poly1305_update(dynsess_poly1305_ctx *c, const void *data, size_t n) {
    const uint8_t *p = (const uint8_t *)data;
    if (c->used) {
        size_t take = 16 - c->used < n ? 16 - c->used : n;
        memcpy(c->buf + c->used, p, take);
        c->used += take; p += take; n -= take;
        if (c->used < 16) return;
        dynsess__poly1305_blocks(c, c->buf, 16, 0);
        c->used = 0;
    }
    if (n >= 16) {
        dynsess__poly1305_blocks(c, p, n & ~(size_t)15, 0);
        p += n & ~(size_t)15;
        n &= 15;
    }
    if (n) { memcpy(c->buf, p, n); c->used = n; }
}

/* CT: depends on the length only. */
DYNSESS_DEF void dynsess_poly1305_final(dynsess_poly1305_ctx *c, uint8_t tag[DYNSESS_POLY1305_TAG_SIZE]) {
    if (c->used) {
        size_t i = c->used;
        c->buf[i++] = 1;
        for (; i < 16; i++) c->buf[i] = 0;
        dynsess__poly1305_blocks(c, c->buf, 16, 1);
    }
    dynsess__poly1305_finish(c, tag);
    dynsess_wipe(c, sizeof *c);
}

/* CT: depends on n only. */
DYNSESS_DEF void dynsess_poly1305(const uint8_t key[DYNSESS_POLY1305_KEY_SIZE], const void *p,
                                  size_t n, uint8_t tag[DYNSESS_POLY1305_TAG_SIZE]) {
    dynsess_poly1305_ctx c;
    dynsess_poly1305_init(&c, key);
    dynsess_poly1305_update(&c, p, n);
    dynsess_poly1305_final(&c, tag);
}

/* ---- AEAD (RFC 8439 §2.8) -------------------------------------------------------- */
/* Tag over ad || pad16 || ct || pad16 || le64(ad_len) || le64(n). CT: lengths only. */
static DYNSESS__UNUSED void dynsess__aead_tag(const uint8_t otk[32], const void *ad, size_t ad_len, const void *ct,
                              size_t n, uint8_t tag[16]) {
    static const uint8_t zeros[16] = {0};
    dynsess_poly1305_ctx c;
    uint8_t lens[16];
    dynsess_poly1305_init(&c, otk);
    if (ad_len) dynsess_poly1305_update(&c, ad, ad_len);
    dynsess_poly1305_update(&c, zeros, (16 - (ad_len & 15)) & 15);
    if (n) dynsess_poly1305_update(&c, ct, n);
    dynsess_poly1305_update(&c, zeros, (16 - (n & 15)) & 15);
    dynsess__store64_le(lens, (uint64_t)ad_len);
    dynsess__store64_le(lens + 8, (uint64_t)n);
    dynsess_poly1305_update(&c, lens, sizeof lens);
    dynsess_poly1305_final(&c, tag);
}

/* CT: depends on ad_len and n only. */
DYNSESS_DEF void dynsess_chacha20poly1305_seal(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE],
                                               const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
                                               const void *ad, size_t ad_len, const void *pt,
                                               size_t n, void *ct,
                                               uint8_t tag[DYNSESS_AEAD_TAG_SIZE]) {
#ifdef DYNSESS_USE_BEARSSL
    if (n && ct != pt) memmove(ct, pt, n);
    dynsess__br_poly()(key, nonce, ct, n, ad, ad_len, tag, dynsess__br_chacha(), 1);
#else
    uint32_t s[16];
    uint8_t ks[512];
    size_t head = dynsess__chacha20_aead_head(s, key, nonce, n, ks);
    dynsess__chacha20_aead_body(s, ks, head, pt, n, ct);
    dynsess__aead_tag(ks, ad, ad_len, ct, n, tag);          /* §2.6: ks[0..32) is the one-time key */
    dynsess_wipe(ks, sizeof ks);
    dynsess_wipe(s, sizeof s);
#endif
}

/* Verifies before decrypting. CT: depends on ad_len and n only (the
   accept/reject outcome is public). */
DYNSESS_DEF dynsess_status dynsess_chacha20poly1305_open(
    const uint8_t key[DYNSESS_CHACHA_KEY_SIZE], const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
    const void *ad, size_t ad_len, const void *ct, size_t n, const uint8_t tag[DYNSESS_AEAD_TAG_SIZE],
    void *pt, dynsess_error *err) {
    uint8_t want[16];
    int ok;
#ifdef DYNSESS_USE_BEARSSL
    dynsess__br_poly()(key, nonce, (void *)(uintptr_t)ct, n, ad, ad_len, want,
                       dynsess__br_chacha_otk_only, 1);
    ok = dynsess_ct_equal(want, tag, sizeof want);
    dynsess_wipe(want, sizeof want);
    if (!ok)
        return dynsess__fail(err, DYNSESS_E_AUTH, DYNSESS_NO_OFFSET,
                             "aead: authentication tag mismatch");
    dynsess__chacha20_xor_any(key, nonce, 1, ct, n, pt);
#else
    uint32_t s[16];
    uint8_t ks[512];
    size_t head = dynsess__chacha20_aead_head(s, key, nonce, n, ks);
    dynsess__aead_tag(ks, ad, ad_len, ct, n, want);
    ok = dynsess_ct_equal(want, tag, sizeof want);
    dynsess_wipe(want, sizeof want);
    if (!ok) {                       /* nothing written to pt */
        dynsess_wipe(ks, sizeof ks);
        dynsess_wipe(s, sizeof s);
        return dynsess__fail(err, DYNSESS_E_AUTH, DYNSESS_NO_OFFSET,
                             "aead: authentication tag mismatch");
    }
    dynsess__chacha20_aead_body(s, ks, head, ct, n, pt);
    dynsess_wipe(ks, sizeof ks);
    dynsess_wipe(s, sizeof s);
#endif
    return DYNSESS_OK;
}

/* CT: depends on ad_len and n only. */
DYNSESS_DEF void dynsess_xchacha20poly1305_seal(const uint8_t key[DYNSESS_XCHACHA_KEY_SIZE],
                                                const uint8_t nonce[DYNSESS_XCHACHA_NONCE_SIZE],
                                                const void *ad, size_t ad_len, const void *pt,
                                                size_t n, void *ct,
                                                uint8_t tag[DYNSESS_AEAD_TAG_SIZE]) {
    uint8_t subkey[32], n12[12];
    dynsess__xchacha_prepare(key, nonce, subkey, n12);
    dynsess_chacha20poly1305_seal(subkey, n12, ad, ad_len, pt, n, ct, tag);
    dynsess_wipe(subkey, sizeof subkey);
}

/* CT: depends on ad_len and n only. */
DYNSESS_DEF dynsess_status dynsess_xchacha20poly1305_open(
    const uint8_t key[DYNSESS_XCHACHA_KEY_SIZE], const uint8_t nonce[DYNSESS_XCHACHA_NONCE_SIZE],
    const void *ad, size_t ad_len, const void *ct, size_t n, const uint8_t tag[DYNSESS_AEAD_TAG_SIZE],
    void *pt, dynsess_error *err) {
    uint8_t subkey[32], n12[12];
    dynsess_status rc;
    dynsess__xchacha_prepare(key, nonce, subkey, n12);
    rc = dynsess_chacha20poly1305_open(subkey, n12, ad, ad_len, ct, n, tag, pt, err);
    dynsess_wipe(subkey, sizeof subkey);
    return rc;
}

DYNSESS_DEF const char *dynsess_crypto_impl(void) {
#ifdef DYNSESS_USE_BEARSSL
    return "bearssl (poly1305 standalone: portable)";
#else
    unsigned f = dynsess__cpu_features();
    if (f & DYNSESS__CPU_SHANI)
        return (f & DYNSESS__CPU_AVX2) ? "sha256=sha-ni chacha20=avx2" :
               (f & DYNSESS__CPU_SSE2) ? "sha256=sha-ni chacha20=sse2" : "sha256=sha-ni chacha20=portable";
    return (f & DYNSESS__CPU_AVX2) ? "sha256=portable chacha20=avx2" :
           (f & DYNSESS__CPU_SSE2) ? "sha256=portable chacha20=sse2" : "sha256=portable chacha20=portable";
#endif
}
#undef DYNSESS__ROL32
#undef DYNSESS__ROR32
