/* tools/bench/bench_crypto.c - @crypto and the sealed-cookie store against
   OpenSSL (libcrypto EVP / HMAC) and libsodium, in one run.
   Prints ns/op, the median of 9 repeats, and ratios (dynsess / peer: < 1 is
   faster). Not a test: no assertion on speed. */
// make-libs: -lcrypto -lsodium
#define _POSIX_C_SOURCE 200809L
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "bench.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#define REPEATS 15
static uint8_t msg[8192], out[8192 + 64], key[32], nonce[24], tag[32];
static volatile uint8_t sink;

typedef void (*op_fn)(size_t n);
static long calibrate(op_fn fn, size_t n) {
    long iters = 1, i;
    double t0;
    for (;;) {
        t0 = cpu_ns();
        for (i = 0; i < iters; i++) fn(n);
        if (cpu_ns() - t0 > 2e6 || iters > (1L << 26)) return iters;
        iters *= 2;
    }
}
/* Median ns per call of each fn(n) over REPEATS batches of ~2 ms; the
   functions are interleaved batch by batch so machine noise hits all alike. */
static void measure3(op_fn f[3], size_t n, double res[3]) {
    double t[3][REPEATS], t0;
    long iters[3], i;
    int r, k;
    for (k = 0; k < 3; k++) iters[k] = f[k] ? calibrate(f[k], n) : 0;
    for (r = 0; r < REPEATS; r++)
        for (k = 0; k < 3; k++) {
            if (!f[k]) continue;
            t0 = cpu_ns();
            for (i = 0; i < iters[k]; i++) f[k](n);
            t[k][r] = (cpu_ns() - t0) / (double)iters[k];
        }
    for (k = 0; k < 3; k++) {
        res[k] = 0;
        if (!f[k]) continue;
        qsort(t[k], REPEATS, sizeof t[k][0], cmp_d);
        res[k] = t[k][REPEATS / 2];
    }
}

/* ---- the operations ------------------------------------------------------ */
static EVP_MD_CTX *md;
static void ds_sha(size_t n) { dynsess_sha256(msg, n, out); sink ^= out[0]; }
static void ossl_sha(size_t n) {
    unsigned int l;
    EVP_DigestInit_ex(md, EVP_sha256(), 0);
    EVP_DigestUpdate(md, msg, n);
    EVP_DigestFinal_ex(md, out, &l);
    sink ^= out[0];
}
static void na_sha(size_t n) { crypto_hash_sha256(out, msg, n); sink ^= out[0]; }
static void ds_hmac(size_t n) { dynsess_hmac_sha256(key, 32, msg, n, out); sink ^= out[0]; }
static void ossl_hmac(size_t n) {
    unsigned int l;
    HMAC(EVP_sha256(), key, 32, msg, n, out, &l);
    sink ^= out[0];
}
static void na_hmac(size_t n) {
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, 32);
    crypto_auth_hmacsha256_update(&st, msg, n);
    crypto_auth_hmacsha256_final(&st, out);
    sink ^= out[0];
}
static void ds_seal(size_t n) {
    dynsess_xchacha20poly1305_seal(key, nonce, "ad", 2, msg, n, out, tag);
    sink ^= tag[0];
}
static void na_seal(size_t n) {
    unsigned long long cl;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out, &cl, msg, n, (const unsigned char *)"ad", 2, 0,
                                               nonce, key);
    sink ^= out[n];
}
static uint8_t sealed_ds[8192], tag_ds[16], sealed_na[8192 + 16];
static void ds_open(size_t n) {
    if (dynsess_xchacha20poly1305_open(key, nonce, "ad", 2, sealed_ds, n, tag_ds, out, 0)) abort();
    sink ^= out[0];
}
static void na_open(size_t n) {
    unsigned long long ml;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &ml, 0, sealed_na, n + 16,
                                                   (const unsigned char *)"ad", 2, nonce, key))
        abort();
    sink ^= out[0];
}
static dynsess_store *cookie;
static dynsess_buf tok;
static dynsess_record rec;
static void ds_cookie(size_t n) {
    dynsess_write w;
    dynsess_str t;
    memset(&w, 0, sizeof w);
    w.data.ptr = (const char *)msg;
    w.data.len = n;
    w.created_at = 1764000000;
    w.expires_at = 1764003600;
    if (cookie->vt->save(cookie, &w, 1764000000, &tok, 0)) abort();
    t.ptr = tok.ptr;
    t.len = tok.len;
    if (cookie->vt->load(cookie, t, 1764000000, &rec, 0)) abort();
    sink ^= (uint8_t)rec.data.ptr[0];
}

static void row(const char *what, size_t n, op_fn ds, op_fn p1, op_fn p2, const char *p1n, const char *p2n) {
    op_fn f[3];
    double res[3], a, b, c;
    f[0] = ds; f[1] = p1; f[2] = p2;
    measure3(f, n, res);
    a = res[0]; b = res[1]; c = res[2];
    printf("%-26s %6lu %10.0f", what, (unsigned long)n, a);
    if (p1) printf("  %-8s %8.0f  x%.2f", p1n, b, a / b); else printf("  %-8s %8s  %5s", "", "", "");
    if (p2) printf("  %-9s %8.0f  x%.2f", p2n, c, a / c);
    printf("\n");
}

int main(void) {
    static const size_t hs[] = {64, 300, 1024, 4096}, as[] = {300, 1024, 4096};
    dynsess_cookie_desc cd;
    size_t i;
    if (sodium_init() < 0) return 1;
    md = EVP_MD_CTX_new();
    for (i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 7 + 3);
    memset(key, 0x42, sizeof key);
    memset(nonce, 0x24, sizeof nonce);
    memset(&cd, 0, sizeof cd);
    cd.secrets[0] = dynsess_cstr("bench-secret-bench-secret-bench-secret-0123");
    if (dynsess_store_cookie_new(&cd, &cookie, 0)) return 1;
    dynsess_buf_init(&tok, 0);
    dynsess_buf_init(&rec.data, 0);
    printf("dynsess crypto: %s | OpenSSL %s | libsodium %s\n", dynsess_crypto_impl(),
           OpenSSL_version(0), sodium_version_string());
    printf("ns/op, median of %d; xN = dynsess time / peer time (below 1: dynsess faster)\n", REPEATS);
    printf("%-26s %6s %10s  %-8s %8s  %5s  %-9s %8s  %5s\n", "operation", "bytes", "dynsess", "peer", "ns",
           "ratio", "peer", "ns", "ratio");
    for (i = 0; i < 4; i++) row("SHA-256", hs[i], ds_sha, ossl_sha, na_sha, "openssl", "libsodium");
    for (i = 0; i < 4; i++) row("HMAC-SHA256 (32 B key)", hs[i], ds_hmac, ossl_hmac, na_hmac, "openssl", "libsodium");
    for (i = 0; i < 3; i++) row("XChaCha20-Poly1305 seal", as[i], ds_seal, 0, na_seal, "", "libsodium");
    for (i = 0; i < 3; i++) {
        unsigned long long cl;
        dynsess_xchacha20poly1305_seal(key, nonce, "ad", 2, msg, as[i], sealed_ds, tag_ds);
        crypto_aead_xchacha20poly1305_ietf_encrypt(sealed_na, &cl, msg, as[i], (const unsigned char *)"ad", 2,
                                                   0, nonce, key);
        row("XChaCha20-Poly1305 open", as[i], ds_open, 0, na_open, "", "libsodium");
    }
    memset(msg, 'a', 300);
    row("cookie seal+open (store)", 300, ds_cookie, 0, 0, "", "");
    dynsess_buf_free(&tok);
    dynsess_buf_free(&rec.data);
    dynsess_store_close(cookie);
    EVP_MD_CTX_free(md);
    return 0;
}
