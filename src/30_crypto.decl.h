/* ======================================================================
   @crypto  SHA-256, HMAC-SHA256, HKDF-SHA256, ChaCha20, Poly1305,
            XChaCha20-Poly1305 AEAD
   Does: no allocation; contexts are caller-owned plain structs (memcpy
   clones them). Assumes: sizes fixed in prototypes; timing depends on
   lengths only (each function has a "CT:" note). With DYNSESS_USE_BEARSSL
   (implementation only) the primitives come from BearSSL.
   ====================================================================== */
#define DYNSESS_SHA256_SIZE 32
#define DYNSESS_SHA256_BLOCK 64
#define DYNSESS_XCHACHA_KEY_SIZE 32
#define DYNSESS_XCHACHA_NONCE_SIZE 24
#define DYNSESS_AEAD_TAG_SIZE 16

typedef struct dynsess_sha256_ctx {
    uint32_t state[8];
    uint64_t count;                 /* bytes hashed so far */
    uint8_t buf[DYNSESS_SHA256_BLOCK];
} dynsess_sha256_ctx;

DYNSESS_DEF void dynsess_sha256_init(dynsess_sha256_ctx *c);
DYNSESS_DEF void dynsess_sha256_update(dynsess_sha256_ctx *c, const void *p, size_t n);
/* Writes the digest; c is left unchanged (an intermediate digest is allowed). */
DYNSESS_DEF void dynsess_sha256_final(const dynsess_sha256_ctx *c, uint8_t out[DYNSESS_SHA256_SIZE]);
DYNSESS_DEF void dynsess_sha256(const void *p, size_t n, uint8_t out[DYNSESS_SHA256_SIZE]);

typedef struct dynsess_hmac_sha256_ctx {
    dynsess_sha256_ctx inner, outer;
} dynsess_hmac_sha256_ctx;

DYNSESS_DEF void dynsess_hmac_sha256_init(dynsess_hmac_sha256_ctx *c, const void *key, size_t key_len);
DYNSESS_DEF void dynsess_hmac_sha256_update(dynsess_hmac_sha256_ctx *c, const void *p, size_t n);
/* Writes the MAC; c is left unchanged. Wipe c with dynsess_wipe when done. */
DYNSESS_DEF void dynsess_hmac_sha256_final(const dynsess_hmac_sha256_ctx *c,
                                           uint8_t out[DYNSESS_SHA256_SIZE]);
DYNSESS_DEF void dynsess_hmac_sha256(const void *key, size_t key_len, const void *p, size_t n,
                                     uint8_t out[DYNSESS_SHA256_SIZE]);
