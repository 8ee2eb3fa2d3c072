/* ======================================================================
   @crypto  SHA-256, HMAC-SHA256, HKDF-SHA256, ChaCha20, Poly1305,
            XChaCha20-Poly1305 AEAD
   Does: no allocation; contexts are caller-owned plain structs (memcpy
   clones them). Assumes: sizes fixed in prototypes; timing depends on
   lengths only (each function has a "CT:" note). SHA-256 uses x86 SHA-NI,
   ChaCha20 SSE2/AVX2 and Poly1305 AVX2 when the CPU has them (checked at
   run time; DYNSESS_CRYPTO_PORTABLE, implementation only, compiles the
   portable C code alone). With
   DYNSESS_USE_BEARSSL (set it EVERYWHERE: it changes the context structs;
   link -lbearssl) SHA-256, HMAC, ChaCha20 and the AEAD's Poly1305 come
   from BearSSL.
   ====================================================================== */
#ifdef DYNSESS_USE_BEARSSL
#include <bearssl.h>
#endif

#define DYNSESS_SHA256_SIZE 32
#define DYNSESS_SHA256_BLOCK 64
#define DYNSESS_HKDF_MAX_LEN (255 * 32) /* RFC 5869 §2.3: L <= 255 * HashLen */
#define DYNSESS_CHACHA_KEY_SIZE 32
#define DYNSESS_CHACHA_NONCE_SIZE 12    /* RFC 8439 (IETF) nonce */
#define DYNSESS_CHACHA_BLOCK 64
#define DYNSESS_POLY1305_KEY_SIZE 32
#define DYNSESS_POLY1305_TAG_SIZE 16
#define DYNSESS_XCHACHA_KEY_SIZE 32
#define DYNSESS_XCHACHA_NONCE_SIZE 24
#define DYNSESS_AEAD_TAG_SIZE 16

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------------ */
#ifdef DYNSESS_USE_BEARSSL
typedef struct dynsess_sha256_ctx { br_sha256_context br; } dynsess_sha256_ctx;
#else
typedef struct dynsess_sha256_ctx {
    uint32_t state[8];
    uint64_t count;                 /* bytes hashed so far */
    uint8_t buf[DYNSESS_SHA256_BLOCK];
} dynsess_sha256_ctx;
#endif

DYNSESS_DEF void dynsess_sha256_init(dynsess_sha256_ctx *c);
DYNSESS_DEF void dynsess_sha256_update(dynsess_sha256_ctx *c, const void *p, size_t n);
/* Writes the digest; c is left unchanged (an intermediate digest is allowed). */
DYNSESS_DEF void dynsess_sha256_final(const dynsess_sha256_ctx *c, uint8_t out[DYNSESS_SHA256_SIZE]);
DYNSESS_DEF void dynsess_sha256(const void *p, size_t n, uint8_t out[DYNSESS_SHA256_SIZE]);

/* ---- HMAC-SHA256 (RFC 2104) ----------------------------------------------- */
#ifdef DYNSESS_USE_BEARSSL
typedef struct dynsess_hmac_sha256_ctx { br_hmac_context br; } dynsess_hmac_sha256_ctx;
#else
typedef struct dynsess_hmac_sha256_ctx {
    dynsess_sha256_ctx inner, outer;
} dynsess_hmac_sha256_ctx;
#endif

DYNSESS_DEF void dynsess_hmac_sha256_init(dynsess_hmac_sha256_ctx *c, const void *key, size_t key_len);
DYNSESS_DEF void dynsess_hmac_sha256_update(dynsess_hmac_sha256_ctx *c, const void *p, size_t n);
/* Writes the MAC; c is left unchanged. Wipe c with dynsess_wipe when done. */
DYNSESS_DEF void dynsess_hmac_sha256_final(const dynsess_hmac_sha256_ctx *c,
                                           uint8_t out[DYNSESS_SHA256_SIZE]);
DYNSESS_DEF void dynsess_hmac_sha256(const void *key, size_t key_len, const void *p, size_t n,
                                     uint8_t out[DYNSESS_SHA256_SIZE]);

/* ---- HKDF-SHA256 (RFC 5869) ----------------------------------------------- */
/* Extract: prk = HMAC(salt, ikm). salt may be 0 / empty (= 32 zero bytes). */
DYNSESS_DEF void dynsess_hkdf_sha256_extract(const void *salt, size_t salt_len, const void *ikm,
                                             size_t ikm_len, uint8_t prk[DYNSESS_SHA256_SIZE]);
/* Expand: out_len bytes of output keying material. E_ARG if out_len >
   DYNSESS_HKDF_MAX_LEN (out untouched). out may be 0 only when out_len is 0. */
DYNSESS_DEF dynsess_status dynsess_hkdf_sha256_expand(const uint8_t prk[DYNSESS_SHA256_SIZE],
                                                      const void *info, size_t info_len,
                                                      uint8_t *out, size_t out_len,
                                                      dynsess_error *err);
/* Extract then expand. Errors as dynsess_hkdf_sha256_expand. */
DYNSESS_DEF dynsess_status dynsess_hkdf_sha256(const void *salt, size_t salt_len, const void *ikm,
                                               size_t ikm_len, const void *info, size_t info_len,
                                               uint8_t *out, size_t out_len, dynsess_error *err);

/* ---- ChaCha20 (RFC 8439 §2.3-2.4) and HChaCha20 (draft-irtf-cfrg-xchacha §2.2)
   XORs n bytes of in with the keystream that starts at block `counter`
   (in == out allowed). The 32-bit counter wraps after 256 GiB: the caller
   keeps messages below that. CT: depends on n only. */
DYNSESS_DEF void dynsess_chacha20_xor(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE],
                                      const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
                                      uint32_t counter, const void *in, size_t n, void *out);
/* One 64-byte keystream block. */
DYNSESS_DEF void dynsess_chacha20_block(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE],
                                        const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
                                        uint32_t counter, uint8_t out[DYNSESS_CHACHA_BLOCK]);
/* HChaCha20: 32-byte subkey from key and the first 16 nonce bytes. */
DYNSESS_DEF void dynsess_hchacha20(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE], const uint8_t in[16],
                                   uint8_t out[32]);
/* XChaCha20: HChaCha20 subkey + ChaCha20 with nonce 0000 || nonce[16..24]. */
DYNSESS_DEF void dynsess_xchacha20_xor(const uint8_t key[DYNSESS_XCHACHA_KEY_SIZE],
                                       const uint8_t nonce[DYNSESS_XCHACHA_NONCE_SIZE],
                                       uint32_t counter, const void *in, size_t n, void *out);

/* ---- Poly1305 (RFC 8439 §2.5): one-time authenticator, portable in every build */
typedef struct dynsess_poly1305_ctx {      /* fields are private */
    uint64_t r[12], h[5];     /* 64-bit CPUs: r, r^2, r^3, r^4, h in 3 x 44-bit limbs; else 5 x 26 */
    uint32_t pad[4];
    uint8_t buf[16];
    size_t used;
} dynsess_poly1305_ctx;
/* key is used ONCE: never authenticate two messages with the same key. */
DYNSESS_DEF void dynsess_poly1305_init(dynsess_poly1305_ctx *c,
                                       const uint8_t key[DYNSESS_POLY1305_KEY_SIZE]);
DYNSESS_DEF void dynsess_poly1305_update(dynsess_poly1305_ctx *c, const void *p, size_t n);
/* Writes the tag and wipes c. */
DYNSESS_DEF void dynsess_poly1305_final(dynsess_poly1305_ctx *c, uint8_t tag[DYNSESS_POLY1305_TAG_SIZE]);
DYNSESS_DEF void dynsess_poly1305(const uint8_t key[DYNSESS_POLY1305_KEY_SIZE], const void *p,
                                  size_t n, uint8_t tag[DYNSESS_POLY1305_TAG_SIZE]);

/* ---- AEAD: ChaCha20-Poly1305 (RFC 8439 §2.8) and XChaCha20-Poly1305 (draft)
   seal: ct gets n bytes (ct == pt allowed), tag gets 16. ad may be 0 if
   ad_len is 0. open: checks the tag (dynsess_ct_equal) BEFORE writing any
   plaintext; on mismatch returns E_AUTH and pt is left untouched. pt == ct
   allowed. Thread-safe (no shared state). Use XChaCha20-Poly1305 with
   random nonces: 24 bytes make collisions negligible at any volume. */
DYNSESS_DEF void dynsess_chacha20poly1305_seal(const uint8_t key[DYNSESS_CHACHA_KEY_SIZE],
                                               const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
                                               const void *ad, size_t ad_len, const void *pt,
                                               size_t n, void *ct,
                                               uint8_t tag[DYNSESS_AEAD_TAG_SIZE]);
DYNSESS_DEF dynsess_status dynsess_chacha20poly1305_open(
    const uint8_t key[DYNSESS_CHACHA_KEY_SIZE], const uint8_t nonce[DYNSESS_CHACHA_NONCE_SIZE],
    const void *ad, size_t ad_len, const void *ct, size_t n, const uint8_t tag[DYNSESS_AEAD_TAG_SIZE],
    void *pt, dynsess_error *err);
DYNSESS_DEF void dynsess_xchacha20poly1305_seal(const uint8_t key[DYNSESS_XCHACHA_KEY_SIZE],
                                                const uint8_t nonce[DYNSESS_XCHACHA_NONCE_SIZE],
                                                const void *ad, size_t ad_len, const void *pt,
                                                size_t n, void *ct,
                                                uint8_t tag[DYNSESS_AEAD_TAG_SIZE]);
DYNSESS_DEF dynsess_status dynsess_xchacha20poly1305_open(
    const uint8_t key[DYNSESS_XCHACHA_KEY_SIZE], const uint8_t nonce[DYNSESS_XCHACHA_NONCE_SIZE],
    const void *ad, size_t ad_len, const void *ct, size_t n, const uint8_t tag[DYNSESS_AEAD_TAG_SIZE],
    void *pt, dynsess_error *err);

/* Names the code paths in use, e.g. "sha256=sha-ni chacha20=avx2" or
   "bearssl". Static string; thread-safe. */
DYNSESS_DEF const char *dynsess_crypto_impl(void);
