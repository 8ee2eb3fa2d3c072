/* tests/test_crypto_vectors.c - every official vector file for @crypto, read
   with the library's own JSON parser: RFC 8439 (all groups), the XChaCha
   draft, RFC 4231, RFC 5869, FIPS 180 examples, and every Wycheproof case for
   ChaCha20-Poly1305, XChaCha20-Poly1305, HMAC-SHA256 and HKDF-SHA256 (valid
   ones give the expected output, invalid ones are rejected). Each file runs
   through the accelerated and the portable code paths. Also built with
   -DDYNSESS_USE_BEARSSL by tests/extra.mk. */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "tt.h"

#define VEC "tests/vectors/"
/* a malformed vector record: fail and stop reading the file */
#define NEED(c) do { if (!(c)) { TT__FAIL("bad vector record: %s", #c); return -1; } } while (0)
static const unsigned paths[] = {~0u, 0u};
#define NPATHS (sizeof paths / sizeof paths[0])

typedef struct vfile { dynsess_doc *doc; dynsess_value *root; } vfile;

static int vopen(vfile *f, const char *path) {
    size_t len = 0;
    char *text = tt_read_file(path, &len);
    dynsess_error err;
    dynsess_json_opts o;
    f->doc = 0; f->root = 0;
    if (!text) { TT__FAIL("cannot read %s", path); return 0; }
    memset(&o, 0, sizeof o);
    o.max_len = 4u << 20;
    if (dynsess_doc_new(0, &f->doc, &err) || dynsess_json_parse(f->doc, text, len, &o, &f->root, &err)) {
        TT__FAIL("%s: %s", path, err.msg);
        free(text);
        return 0;
    }
    free(text);
    return 1;
}
static void vclose(vfile *f) { dynsess_doc_free(f->doc); }

static const dynsess_value *get(const dynsess_value *o, const char *k) {
    return dynsess_object_get(o, k, strlen(k));
}
/* Hex member k decoded into a malloc'd buffer (never 0; *n its length). */
static uint8_t *hexf(const dynsess_value *o, const char *k, size_t *n) {
    dynsess_str s = dynsess_value_str(get(o, k));
    uint8_t *p = (uint8_t *)malloc(s.len / 2 + 1);
    dynsess_error err;
    *n = 0;
    if (!p || dynsess_hex_decode(s.ptr, s.len, p, s.len / 2 + 1, n, &err)) {
        printf("bad hex field %s\n", k);
        exit(2);
    }
    return p;
}
static const char *idof(const dynsess_value *t) {
    static char buf[64];
    dynsess_str s = dynsess_value_str(get(t, "id"));
    if (!s.len) { snprintf(buf, sizeof buf, "tcId %lld", (long long)dynsess_value_int(get(t, "tcId"))); return buf; }
    snprintf(buf, sizeof buf, "%.*s", (int)s.len, s.ptr);
    return buf;
}
static uint32_t word(const dynsess_value *arr, size_t i) {
    dynsess_str s = dynsess_value_str(dynsess_array_at(arr, i));
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%.*s", (int)s.len, s.ptr);
    return (uint32_t)strtoul(tmp, 0, 16);
}
static int words_eq(const uint32_t *x, const dynsess_value *arr, size_t n) {
    size_t i;
    if (dynsess_value_len(arr) != n) return 0;
    for (i = 0; i < n; i++) if (x[i] != word(arr, i)) return 0;
    return 1;
}

/* ---- RFC 8439 -------------------------------------------------------------- */
static int rfc8439_groups(void) {
    vfile f;
    const dynsess_value *g, *t;
    size_t i, count = 0;
    dynsess_error err;
    if (!vopen(&f, VEC "rfc/rfc8439_chacha20_poly1305.json")) return 0;
    g = get(get(f.root, "groups"), "quarter_round");
    for (i = 0; i < dynsess_value_len(g); i++, count++) {
        uint32_t x[16] = {0};
        int k;
        t = dynsess_array_at(g, i);
        for (k = 0; k < 4; k++) x[k] = word(get(t, "in"), (size_t)k);
        dynsess__chacha20_qr(x, 0, 1, 2, 3);
        if (!words_eq(x, get(t, "out"), 4)) TT__FAIL("%s", idof(t));
    }
    g = get(get(f.root, "groups"), "quarter_round_on_state");
    for (i = 0; i < dynsess_value_len(g); i++, count++) {
        uint32_t x[16];
        const dynsess_value *ix;
        int k;
        t = dynsess_array_at(g, i);
        ix = get(t, "indices");
        for (k = 0; k < 16; k++) x[k] = word(get(t, "state_before"), (size_t)k);
        dynsess__chacha20_qr(x, (int)dynsess_value_int(dynsess_array_at(ix, 0)),
                             (int)dynsess_value_int(dynsess_array_at(ix, 1)),
                             (int)dynsess_value_int(dynsess_array_at(ix, 2)),
                             (int)dynsess_value_int(dynsess_array_at(ix, 3)));
        if (!words_eq(x, get(t, "state_after"), 16)) TT__FAIL("%s", idof(t));
    }
    g = get(get(f.root, "groups"), "chacha20_block");
    for (i = 0; i < dynsess_value_len(g); i++, count++) {
        size_t kl, nl, sl;
        uint8_t *key, *nonce, *ks, out[64];
        uint32_t s[16], x[16];
        int k;
        t = dynsess_array_at(g, i);
        key = hexf(t, "key", &kl); nonce = hexf(t, "nonce", &nl); ks = hexf(t, "keystream", &sl);
        NEED(kl == 32); NEED(nl == 12); NEED(sl == 64);
        dynsess__chacha20_setup(s, key, nonce, (uint32_t)dynsess_value_int(get(t, "counter")));
        if (get(t, "state_setup") && !words_eq(s, get(t, "state_setup"), 16)) TT__FAIL("%s setup", idof(t));
        memcpy(x, s, sizeof x);
        dynsess__chacha20_rounds(x);
        if (get(t, "state_after_20_rounds") && !words_eq(x, get(t, "state_after_20_rounds"), 16))
            TT__FAIL("%s rounds", idof(t));
        for (k = 0; k < 16; k++) x[k] += s[k];
        if (get(t, "state_final") && !words_eq(x, get(t, "state_final"), 16)) TT__FAIL("%s final", idof(t));
        dynsess_chacha20_block(key, nonce, (uint32_t)dynsess_value_int(get(t, "counter")), out);
        if (memcmp(out, ks, 64)) TT__FAIL("%s keystream", idof(t));
        free(key); free(nonce); free(ks);
    }
    g = get(get(f.root, "groups"), "chacha20_encrypt");
    for (i = 0; i < dynsess_value_len(g); i++, count++) {
        size_t kl, nl, pl, cl;
        uint8_t *key, *nonce, *pt, *ct, *out;
        t = dynsess_array_at(g, i);
        key = hexf(t, "key", &kl); nonce = hexf(t, "nonce", &nl);
        pt = hexf(t, "plaintext", &pl); ct = hexf(t, "ciphertext", &cl);
        out = (uint8_t *)malloc(pl + 1);
        NEED(pl == cl);
        dynsess_chacha20_xor(key, nonce, (uint32_t)dynsess_value_int(get(t, "counter")), pt, pl, out);
        if (memcmp(out, ct, cl)) TT__FAIL("%s", idof(t));
        free(key); free(nonce); free(pt); free(ct); free(out);
    }
    g = get(get(f.root, "groups"), "poly1305");
    for (i = 0; i < dynsess_value_len(g); i++, count++) {
        size_t kl, ml, tl;
        uint8_t *key, *msg, *tag, out[16];
        t = dynsess_array_at(g, i);
        key = hexf(t, "key", &kl); msg = hexf(t, "message", &ml); tag = hexf(t, "tag", &tl);
        NEED(kl == 32); NEED(tl == 16);
        dynsess_poly1305(key, msg, ml, out);
        if (memcmp(out, tag, 16)) TT__FAIL("%s", idof(t));
        free(key); free(msg); free(tag);
    }
    g = get(get(f.root, "groups"), "poly1305_keygen");
    for (i = 0; i < dynsess_value_len(g); i++, count++) {
        size_t kl, nl, pl;
        uint8_t *key, *nonce, *pk, out[64];
        t = dynsess_array_at(g, i);
        key = hexf(t, "key", &kl); nonce = hexf(t, "nonce", &nl); pk = hexf(t, "poly1305_key", &pl);
        dynsess_chacha20_block(key, nonce, 0, out);
        if (pl != 32 || memcmp(out, pk, 32)) TT__FAIL("%s", idof(t));
        free(key); free(nonce); free(pk);
    }
    g = get(get(f.root, "groups"), "aead_chacha20_poly1305");
    for (i = 0; i < dynsess_value_len(g); i++, count++) {
        size_t kl, nl, al, pl, cl, tl;
        uint8_t *key, *nonce, *aad, *pt, *ct, *tag, *out, otag[16];
        t = dynsess_array_at(g, i);
        key = hexf(t, "key", &kl); nonce = hexf(t, "nonce", &nl); aad = hexf(t, "aad", &al);
        pt = hexf(t, "plaintext", &pl); ct = hexf(t, "ciphertext", &cl); tag = hexf(t, "tag", &tl);
        out = (uint8_t *)malloc(pl + 1);
        dynsess_chacha20poly1305_seal(key, nonce, aad, al, pt, pl, out, otag);
        if (cl != pl || memcmp(out, ct, cl) || memcmp(otag, tag, 16)) TT__FAIL("%s seal", idof(t));
        if (dynsess_chacha20poly1305_open(key, nonce, aad, al, ct, cl, tag, out, &err) || memcmp(out, pt, pl))
            TT__FAIL("%s open", idof(t));
        if (get(t, "poly1305_input")) {   /* the MAC input layout of §2.8 */
            size_t ml, pkl;
            uint8_t *mi = hexf(t, "poly1305_input", &ml), *pk = hexf(t, "poly1305_key", &pkl);
            dynsess_poly1305(pk, mi, ml, otag);
            if (memcmp(otag, tag, 16)) TT__FAIL("%s poly1305 input", idof(t));
            free(mi); free(pk);
        }
        free(key); free(nonce); free(aad); free(pt); free(ct); free(tag); free(out);
    }
    vclose(&f);
    return (int)count;
}

/* ---- draft-irtf-cfrg-xchacha-03 ------------------------------------------------- */
static int xchacha_draft(void) {
    vfile f;
    const dynsess_value *g, *t;
    size_t i, count = 0;
    dynsess_error err;
    if (!vopen(&f, VEC "rfc/xchacha20_poly1305_draft.json")) return 0;
    g = get(get(f.root, "groups"), "hchacha20");
    for (i = 0; i < dynsess_value_len(g); i++, count++) {
        size_t kl, nl, sl;
        uint8_t *key, *n16, *sub, out[32];
        t = dynsess_array_at(g, i);
        key = hexf(t, "key", &kl); n16 = hexf(t, "nonce16", &nl); sub = hexf(t, "subkey", &sl);
        dynsess_hchacha20(key, n16, out);
        if (sl != 32 || memcmp(out, sub, 32)) TT__FAIL("%s", idof(t));
        if (get(t, "state_setup")) {
            uint32_t s[16];
            dynsess__chacha20_setup(s, key, n16 + 4, dynsess__load32_le(n16));
            if (!words_eq(s, get(t, "state_setup"), 16)) TT__FAIL("%s setup", idof(t));
            dynsess__chacha20_rounds(s);
            if (!words_eq(s, get(t, "state_after_20_rounds"), 16)) TT__FAIL("%s rounds", idof(t));
        }
        free(key); free(n16); free(sub);
    }
    g = get(get(f.root, "groups"), "aead_xchacha20_poly1305");
    for (i = 0; i < dynsess_value_len(g); i++, count++) {
        size_t kl, nl, al, pl, cl, tl;
        uint8_t *key, *nonce, *aad, *pt, *ct, *tag, *out, otag[16];
        t = dynsess_array_at(g, i);
        key = hexf(t, "key", &kl); nonce = hexf(t, "nonce", &nl); aad = hexf(t, "aad", &al);
        pt = hexf(t, "plaintext", &pl); ct = hexf(t, "ciphertext", &cl); tag = hexf(t, "tag", &tl);
        out = (uint8_t *)malloc(pl + 1);
        NEED(nl == 24);
        dynsess_xchacha20poly1305_seal(key, nonce, aad, al, pt, pl, out, otag);
        if (memcmp(out, ct, cl) || memcmp(otag, tag, 16)) TT__FAIL("%s seal", idof(t));
        if (dynsess_xchacha20poly1305_open(key, nonce, aad, al, ct, cl, tag, out, &err) || memcmp(out, pt, pl))
            TT__FAIL("%s open", idof(t));
        if (get(t, "poly1305_key")) {
            size_t pkl;
            uint8_t *pk = hexf(t, "poly1305_key", &pkl), sub[32], n12[12], blk[64];
            dynsess__xchacha_prepare(key, nonce, sub, n12);
            dynsess_chacha20_block(sub, n12, 0, blk);
            if (memcmp(blk, pk, 32)) TT__FAIL("%s poly1305 key", idof(t));
            free(pk);
        }
        free(key); free(nonce); free(aad); free(pt); free(ct); free(tag); free(out);
    }
    g = get(get(f.root, "groups"), "xchacha20");
    for (i = 0; i < dynsess_value_len(g); i++, count++) {
        size_t kl, nl, pl, cl, sl;
        uint8_t *key, *nonce, *pt, *ct, *ks, *out;
        uint32_t ctr;
        t = dynsess_array_at(g, i);
        key = hexf(t, "key", &kl); nonce = hexf(t, "nonce", &nl); pt = hexf(t, "plaintext", &pl);
        ct = hexf(t, "ciphertext", &cl); ks = hexf(t, "keystream", &sl);
        ctr = (uint32_t)dynsess_value_int(get(t, "counter"));
        out = (uint8_t *)calloc(1, pl + sl + 1);
        dynsess_xchacha20_xor(key, nonce, ctr, pt, pl, out);
        if (memcmp(out, ct, cl)) TT__FAIL("%s ciphertext", idof(t));
        memset(out, 0, sl);
        dynsess_xchacha20_xor(key, nonce, ctr, out, sl, out);
        if (memcmp(out, ks, sl)) TT__FAIL("%s keystream", idof(t));
        free(key); free(nonce); free(pt); free(ct); free(ks); free(out);
    }
    vclose(&f);
    return (int)count;
}

/* ---- RFC 4231, RFC 5869, FIPS 180 ----------------------------------------------- */
static int rfc4231(void) {
    vfile f;
    const dynsess_value *g, *t;
    size_t i;
    if (!vopen(&f, VEC "rfc/rfc4231_hmac_sha256.json")) return 0;
    g = get(f.root, "tests");
    for (i = 0; i < dynsess_value_len(g); i++) {
        size_t kl, dl, ml, cmp;
        uint8_t *key, *data, *mac, out[32];
        t = dynsess_array_at(g, i);
        key = hexf(t, "key", &kl); data = hexf(t, "data", &dl); mac = hexf(t, "mac", &ml);
        cmp = get(t, "truncate_bytes") ? (size_t)dynsess_value_int(get(t, "truncate_bytes")) : 32;
        dynsess_hmac_sha256(key, kl, data, dl, out);
        if (ml != cmp || memcmp(out, mac, cmp)) TT__FAIL("%s", idof(t));
        free(key); free(data); free(mac);
    }
    vclose(&f);
    return (int)i;
}

static int rfc5869(void) {
    vfile f;
    const dynsess_value *g, *t;
    size_t i;
    dynsess_error err;
    if (!vopen(&f, VEC "rfc/rfc5869_hkdf_sha256.json")) return 0;
    g = get(f.root, "tests");
    for (i = 0; i < dynsess_value_len(g); i++) {
        size_t il, sl, nl, pl, ol, L;
        uint8_t *ikm, *salt, *info, *prk, *okm, *out, p2[32];
        t = dynsess_array_at(g, i);
        ikm = hexf(t, "ikm", &il); salt = hexf(t, "salt", &sl); info = hexf(t, "info", &nl);
        prk = hexf(t, "prk", &pl); okm = hexf(t, "okm", &ol);
        L = (size_t)dynsess_value_int(get(t, "L"));
        out = (uint8_t *)malloc(L + 1);
        dynsess_hkdf_sha256_extract(salt, sl, ikm, il, p2);
        if (pl != 32 || memcmp(p2, prk, 32)) TT__FAIL("%s prk", idof(t));
        if (dynsess_hkdf_sha256(salt, sl, ikm, il, info, nl, out, L, &err) || ol != L || memcmp(out, okm, L))
            TT__FAIL("%s okm", idof(t));
        free(ikm); free(salt); free(info); free(prk); free(okm); free(out);
    }
    vclose(&f);
    return (int)i;
}

static int fips180(void) {
    vfile f;
    const dynsess_value *g, *t;
    size_t i;
    if (!vopen(&f, VEC "rfc/sha256_fips180.json")) return 0;
    g = get(f.root, "tests");
    for (i = 0; i < dynsess_value_len(g); i++) {
        const dynsess_value *m;
        uint8_t *msg, *dg, out[32];
        size_t ml, dl;
        t = dynsess_array_at(g, i);
        m = get(t, "message");
        if (dynsess_value_type(m) == DYNSESS_JSON_OBJECT) {
            dynsess_str rep = dynsess_value_str(get(m, "repeat"));
            size_t cnt = (size_t)dynsess_value_int(get(m, "count")), k;
            ml = rep.len * cnt;
            msg = (uint8_t *)malloc(ml + 1);
            for (k = 0; k < cnt; k++) memcpy(msg + k * rep.len, rep.ptr, rep.len);
        } else msg = hexf(t, "message", &ml);
        dg = hexf(t, "digest", &dl);
        dynsess_sha256(msg, ml, out);
        if (dl != 32 || memcmp(out, dg, 32)) TT__FAIL("%s", idof(t));
        free(msg); free(dg);
    }
    vclose(&f);
    return (int)i;
}

/* ---- Wycheproof --------------------------------------------------------------------- */
static int result_valid(const dynsess_value *t) {
    dynsess_str r = dynsess_value_str(get(t, "result"));
    return r.len == 5 && !memcmp(r.ptr, "valid", 5);
}

/* AEAD file: nonce_len 12 (ChaCha20-Poly1305) or 24 (XChaCha20-Poly1305). */
static int wycheproof_aead(const char *path, size_t nonce_len, int *nvalid, int *ninvalid) {
    vfile f;
    const dynsess_value *groups, *g, *tests, *t;
    size_t gi, i, count = 0;
    dynsess_error err;
    *nvalid = *ninvalid = 0;
    if (!vopen(&f, path)) return 0;
    groups = get(f.root, "testGroups");
    for (gi = 0; gi < dynsess_value_len(groups); gi++) {
        g = dynsess_array_at(groups, gi);
        tests = get(g, "tests");
        for (i = 0; i < dynsess_value_len(tests); i++, count++) {
            size_t kl, nl, al, ml, cl, tl;
            uint8_t *key, *iv, *aad, *msg, *ct, *tag, *out, otag[16];
            int valid, sealed_ok = 0, opened;
            t = dynsess_array_at(tests, i);
            valid = result_valid(t);
            key = hexf(t, "key", &kl); iv = hexf(t, "iv", &nl); aad = hexf(t, "aad", &al);
            msg = hexf(t, "msg", &ml); ct = hexf(t, "ct", &cl); tag = hexf(t, "tag", &tl);
            out = (uint8_t *)malloc(ml + cl + 1);
            /* The API takes exactly a 32-byte key, a 12/24-byte nonce and a 16-byte
               tag (sizes in the prototypes): other sizes cannot be passed at all. */
            if (kl != 32 || nl != nonce_len || tl != 16) opened = 0;
            else {
                if (nonce_len == 12) {
                    dynsess_chacha20poly1305_seal(key, iv, aad, al, msg, ml, out, otag);
                    sealed_ok = cl == ml && !memcmp(out, ct, cl) && !memcmp(otag, tag, 16);
                    memset(out, 0xa5, cl + 1);
                    opened = dynsess_chacha20poly1305_open(key, iv, aad, al, ct, cl, tag, out, &err) == 0;
                } else {
                    dynsess_xchacha20poly1305_seal(key, iv, aad, al, msg, ml, out, otag);
                    sealed_ok = cl == ml && !memcmp(out, ct, cl) && !memcmp(otag, tag, 16);
                    memset(out, 0xa5, cl + 1);
                    opened = dynsess_xchacha20poly1305_open(key, iv, aad, al, ct, cl, tag, out, &err) == 0;
                }
                if (opened && memcmp(out, msg, ml)) TT__FAIL("%s %s: wrong plaintext", path, idof(t));
                if (!opened && cl && out[0] != 0xa5) TT__FAIL("%s %s: plaintext on failure", path, idof(t));
            }
            if (valid) {
                (*nvalid)++;
                if (!sealed_ok || !opened) TT__FAIL("%s %s: valid case failed", path, idof(t));
            } else {
                (*ninvalid)++;
                if (opened) TT__FAIL("%s %s: invalid case accepted", path, idof(t));
            }
            free(key); free(iv); free(aad); free(msg); free(ct); free(tag); free(out);
        }
    }
    vclose(&f);
    return (int)count;
}

static int wycheproof_hmac(int *nvalid, int *ninvalid) {
    vfile f;
    const dynsess_value *groups, *g, *tests, *t;
    size_t gi, i, count = 0;
    *nvalid = *ninvalid = 0;
    if (!vopen(&f, VEC "wycheproof/testvectors_v1/hmac_sha256_test.json")) return 0;
    groups = get(f.root, "testGroups");
    for (gi = 0; gi < dynsess_value_len(groups); gi++) {
        size_t tag_bytes;
        g = dynsess_array_at(groups, gi);
        tag_bytes = (size_t)dynsess_value_int(get(g, "tagSize")) / 8;  /* truncated tags */
        tests = get(g, "tests");
        for (i = 0; i < dynsess_value_len(tests); i++, count++) {
            size_t kl, ml, tl;
            uint8_t *key, *msg, *tag, out[32];
            int ok;
            t = dynsess_array_at(tests, i);
            key = hexf(t, "key", &kl); msg = hexf(t, "msg", &ml); tag = hexf(t, "tag", &tl);
            dynsess_hmac_sha256(key, kl, msg, ml, out);
            ok = tag_bytes >= 1 && tag_bytes <= 32 && tl == tag_bytes && dynsess_ct_equal(out, tag, tl);
            if (result_valid(t)) { (*nvalid)++; if (!ok) TT__FAIL("hmac %s: valid rejected", idof(t)); }
            else { (*ninvalid)++; if (ok) TT__FAIL("hmac %s: invalid accepted", idof(t)); }
            free(key); free(msg); free(tag);
        }
    }
    vclose(&f);
    return (int)count;
}

static int wycheproof_hkdf(int *nvalid, int *ninvalid) {
    vfile f;
    const dynsess_value *groups, *g, *tests, *t;
    size_t gi, i, count = 0;
    dynsess_error err;
    *nvalid = *ninvalid = 0;
    if (!vopen(&f, VEC "wycheproof/testvectors_v1/hkdf_sha256_test.json")) return 0;
    groups = get(f.root, "testGroups");
    for (gi = 0; gi < dynsess_value_len(groups); gi++) {
        g = dynsess_array_at(groups, gi);
        tests = get(g, "tests");
        for (i = 0; i < dynsess_value_len(tests); i++, count++) {
            size_t il, sl, nl, ol, size;
            uint8_t *ikm, *salt, *info, *okm, *out;
            dynsess_status rc;
            t = dynsess_array_at(tests, i);
            ikm = hexf(t, "ikm", &il); salt = hexf(t, "salt", &sl); info = hexf(t, "info", &nl);
            okm = hexf(t, "okm", &ol);
            size = (size_t)dynsess_value_int(get(t, "size"));
            out = (uint8_t *)malloc(size + 1);
            rc = dynsess_hkdf_sha256(salt, sl, ikm, il, info, nl, out, size, &err);
            if (result_valid(t)) {
                (*nvalid)++;
                if (rc || ol != size || memcmp(out, okm, size)) TT__FAIL("hkdf %s: valid failed", idof(t));
            } else {
                (*ninvalid)++;
                if (rc != DYNSESS_E_ARG) TT__FAIL("hkdf %s: invalid accepted", idof(t));
            }
            free(ikm); free(salt); free(info); free(okm); free(out);
        }
    }
    vclose(&f);
    return (int)count;
}

/* ---- tests: each file through every code path --------------------------------------- */
TT_TEST(rfc8439_all_groups) {
    size_t p;
    for (p = 0; p < NPATHS; p++) { dynsess__cpu_restrict(paths[p]); EXPECT_EQ_INT(rfc8439_groups(), 30); }
    dynsess__cpu_restrict(~0u);
}
TT_TEST(xchacha_draft_vectors) {
    size_t p;
    for (p = 0; p < NPATHS; p++) { dynsess__cpu_restrict(paths[p]); EXPECT_EQ_INT(xchacha_draft(), 4); }
    dynsess__cpu_restrict(~0u);
}
TT_TEST(rfc4231_hmac) {
    size_t p;
    for (p = 0; p < NPATHS; p++) { dynsess__cpu_restrict(paths[p]); EXPECT_EQ_INT(rfc4231(), 7); }
    dynsess__cpu_restrict(~0u);
}
TT_TEST(rfc5869_hkdf) {
    size_t p;
    for (p = 0; p < NPATHS; p++) { dynsess__cpu_restrict(paths[p]); EXPECT_EQ_INT(rfc5869(), 3); }
    dynsess__cpu_restrict(~0u);
}
TT_TEST(fips180_sha256) {
    size_t p;
    for (p = 0; p < NPATHS; p++) { dynsess__cpu_restrict(paths[p]); EXPECT_EQ_INT(fips180(), 11); }
    dynsess__cpu_restrict(~0u);
}
TT_TEST(wycheproof_chacha20_poly1305) {
    size_t p;
    int v, iv;
    for (p = 0; p < NPATHS; p++) {
        dynsess__cpu_restrict(paths[p]);
        EXPECT_EQ_INT(wycheproof_aead(VEC "wycheproof/testvectors_v1/chacha20_poly1305_test.json", 12, &v, &iv), 325);
        EXPECT_EQ_INT(v, 256); EXPECT_EQ_INT(iv, 69);
    }
    dynsess__cpu_restrict(~0u);
}
TT_TEST(wycheproof_xchacha20_poly1305) {
    size_t p;
    int v, iv;
    for (p = 0; p < NPATHS; p++) {
        dynsess__cpu_restrict(paths[p]);
        EXPECT_EQ_INT(wycheproof_aead(VEC "wycheproof/testvectors_v1/xchacha20_poly1305_test.json", 24, &v, &iv), 315);
        EXPECT_EQ_INT(v, 246); EXPECT_EQ_INT(iv, 69);
    }
    dynsess__cpu_restrict(~0u);
}
TT_TEST(wycheproof_hmac_sha256) {
    size_t p;
    int v, iv;
    for (p = 0; p < NPATHS; p++) {
        dynsess__cpu_restrict(paths[p]);
        EXPECT_EQ_INT(wycheproof_hmac(&v, &iv), 174);
        EXPECT_EQ_INT(v, 66); EXPECT_EQ_INT(iv, 108);
    }
    dynsess__cpu_restrict(~0u);
}
TT_TEST(wycheproof_hkdf_sha256) {
    size_t p;
    int v, iv;
    for (p = 0; p < NPATHS; p++) {
        dynsess__cpu_restrict(paths[p]);
        EXPECT_EQ_INT(wycheproof_hkdf(&v, &iv), 86);
        EXPECT_EQ_INT(v, 83); EXPECT_EQ_INT(iv, 3);
    }
    dynsess__cpu_restrict(~0u);
}

static const tt_case tt_cases[] = {
    TT_CASE(rfc8439_all_groups),
    TT_CASE(xchacha_draft_vectors),
    TT_CASE(rfc4231_hmac),
    TT_CASE(rfc5869_hkdf),
    TT_CASE(fips180_sha256),
    TT_CASE(wycheproof_chacha20_poly1305),
    TT_CASE(wycheproof_xchacha20_poly1305),
    TT_CASE(wycheproof_hmac_sha256),
    TT_CASE(wycheproof_hkdf_sha256),
};
int main(int argc, char **argv) { return tt_main(argc, argv, tt_cases, TT_COUNT(tt_cases)); }
