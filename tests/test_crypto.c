/* tests/test_crypto.c - @crypto primitives: inline RFC / FIPS vectors, the NIST
   CAVP SHA-256 files, incremental == one-shot at every split, accelerated
   paths (SHA-NI, SSE2, AVX2) against the portable code, AEAD properties.
   The JSON vector files (RFC 8439, Wycheproof, ...) are in test_crypto_vectors.c.
   Built again with -DDYNSESS_USE_BEARSSL by tests/extra.mk. */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "tt.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap) {
    size_t n = 0;
    dynsess_error e;
    if (dynsess_hex_decode(h, strlen(h), out, cap, &n, &e)) { printf("bad hex in test\n"); exit(2); }
    return n;
}
/* Deterministic test bytes (xorshift), not crypto. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd32(void) {
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}
static void rnd_fill(uint8_t *p, size_t n) { size_t i; for (i = 0; i < n; i++) p[i] = (uint8_t)rnd32(); }

/* The code paths a test repeats over: everything the CPU has, then portable. */
static const unsigned paths[] = {~0u, DYNSESS__CPU_SSE2, 0u};
#define NPATHS (sizeof paths / sizeof paths[0])

/* ---- SHA-256 ----------------------------------------------------------------- */
static void check_sha(const void *msg, size_t n, const char *hex) {
    uint8_t want[32], got[32];
    unhex(hex, want, 32);
    dynsess_sha256(msg, n, got);
    EXPECT_EQ_MEM(got, want, 32);
}

TT_TEST(sha256_fips180_examples) {
    size_t p;
    static char million[1000000];
    memset(million, 'a', sizeof million);
    for (p = 0; p < NPATHS; p++) {
        dynsess__cpu_restrict(paths[p]);
        check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        check_sha(million, sizeof million,
                  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
    dynsess__cpu_restrict(~0u);
}

/* NIST CAVP SHAVS byte-oriented files: "Len = bits" / "Msg = hex" / "MD = hex". */
static int run_rsp(const char *path) {
    size_t len = 0, cases = 0;
    char *text = tt_read_file(path, &len), *line;
    static uint8_t msg[8192];
    uint8_t md[32], got[32];
    long bits = -1;
    size_t mlen = 0;
    if (!text) { TT__FAIL("cannot read %s", path); return 0; }
    for (line = strtok(text, "\r\n"); line; line = strtok(0, "\r\n")) {
        if (!strncmp(line, "Len = ", 6)) bits = atol(line + 6);
        else if (!strncmp(line, "Msg = ", 6)) mlen = unhex(line + 6, msg, sizeof msg);
        else if (!strncmp(line, "MD = ", 5)) {
            unhex(line + 5, md, sizeof md);
            if (bits < 0 || (size_t)bits / 8 > mlen) { TT__FAIL("%s: bad record", path); break; }
            dynsess_sha256(msg, (size_t)bits / 8, got);
            if (memcmp(got, md, 32)) TT__FAIL("%s: Len = %ld", path, bits);
            cases++;
            bits = -1;
        }
    }
    free(text);
    return (int)cases;
}

TT_TEST(sha256_nist_cavp) {
    size_t p;
    for (p = 0; p < NPATHS; p++) {
        dynsess__cpu_restrict(paths[p]);
        EXPECT_EQ_INT(run_rsp("tests/vectors/nist-cavp-sha256/SHA256ShortMsg.rsp"), 65);
        EXPECT_EQ_INT(run_rsp("tests/vectors/nist-cavp-sha256/SHA256LongMsg.rsp"), 64);
    }
    dynsess__cpu_restrict(~0u);
}

TT_TEST(sha256_incremental_every_split) {
    uint8_t msg[300], one[32], two[32];
    size_t i, j;
    dynsess_sha256_ctx c, d;
    rnd_fill(msg, sizeof msg);
    dynsess_sha256(msg, sizeof msg, one);
    for (i = 0; i <= sizeof msg; i++) {
        dynsess_sha256_init(&c);
        dynsess_sha256_update(&c, msg, i);
        d = c;                                /* memcpy clone */
        dynsess_sha256_final(&c, two);        /* intermediate digest leaves c intact */
        dynsess_sha256_update(&c, msg + i, sizeof msg - i);
        dynsess_sha256_final(&c, two);
        if (memcmp(one, two, 32)) TT__FAIL("split at %lu", (unsigned long)i);
        for (j = i; j < sizeof msg; j += 7)   /* three pieces through the clone */
            dynsess_sha256_update(&d, msg + j, sizeof msg - j < 7 ? sizeof msg - j : 7);
        dynsess_sha256_final(&d, two);
        if (memcmp(one, two, 32)) TT__FAIL("clone split at %lu", (unsigned long)i);
    }
}

TT_TEST(sha256_accelerated_matches_portable) {
    static uint8_t msg[5000];
    uint8_t a[32], b[32];
    uint32_t st1[8], st2[8];
    size_t n, i;
    rnd_fill(msg, sizeof msg);
    for (n = 0; n < sizeof msg; n += 1 + n / 3) {
        dynsess__cpu_restrict(~0u);
        dynsess_sha256(msg, n, a);
        dynsess__cpu_restrict(0);
        dynsess_sha256(msg, n, b);
        if (memcmp(a, b, 32)) TT__FAIL("length %lu", (unsigned long)n);
    }
    dynsess__cpu_restrict(~0u);
    for (i = 0; i < 8; i++) st1[i] = st2[i] = rnd32();
    dynsess__sha256_blocks_portable(st1, msg, 40);
#ifdef DYNSESS__X86_SIMD
    if (dynsess__cpu_features() & DYNSESS__CPU_SHANI) dynsess__sha256_blocks_shani(st2, msg, 40);
    else dynsess__sha256_blocks_portable(st2, msg, 40);
#else
    dynsess__sha256_blocks_portable(st2, msg, 40);
#endif
    EXPECT_EQ_MEM(st1, st2, sizeof st1);
}

/* ---- HMAC / HKDF ---------------------------------------------------------------- */
TT_TEST(hmac_rfc4231_inline) {
    uint8_t key[131], mac[32], want[32];
    memset(key, 0x0b, 20);
    unhex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", want, 32);
    dynsess_hmac_sha256(key, 20, "Hi There", 8, mac);
    EXPECT_EQ_MEM(mac, want, 32);
    unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want, 32);
    dynsess_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
    EXPECT_EQ_MEM(mac, want, 32);
    memset(key, 0xaa, 131);  /* case 6: key longer than a block */
    unhex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", want, 32);
    dynsess_hmac_sha256(key, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54, mac);
    EXPECT_EQ_MEM(mac, want, 32);
}

TT_TEST(hmac_incremental_every_split) {
    uint8_t key[40], msg[200], one[32], two[32];
    size_t i;
    dynsess_hmac_sha256_ctx base, c;
    rnd_fill(key, sizeof key);
    rnd_fill(msg, sizeof msg);
    dynsess_hmac_sha256(key, sizeof key, msg, sizeof msg, one);
    dynsess_hmac_sha256_init(&base, key, sizeof key);
    for (i = 0; i <= sizeof msg; i++) {
        memcpy(&c, &base, sizeof c);          /* keyed context cloned per message */
        dynsess_hmac_sha256_update(&c, msg, i);
        dynsess_hmac_sha256_final(&c, two);
        dynsess_hmac_sha256_update(&c, msg + i, sizeof msg - i);
        dynsess_hmac_sha256_final(&c, two);
        if (memcmp(one, two, 32)) TT__FAIL("split at %lu", (unsigned long)i);
    }
    dynsess_wipe(&base, sizeof base);
    dynsess_wipe(&c, sizeof c);
}

TT_TEST(hkdf_rfc5869_inline_and_limits) {
    uint8_t ikm[22], salt[13], info[10], okm[42], want[42], prk[32], big[8161];
    dynsess_error err;
    memset(ikm, 0x0b, sizeof ikm);
    unhex("000102030405060708090a0b0c", salt, sizeof salt);
    unhex("f0f1f2f3f4f5f6f7f8f9", info, sizeof info);
    unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", want, 42);
    ASSERT_OK(dynsess_hkdf_sha256(salt, sizeof salt, ikm, sizeof ikm, info, sizeof info, okm, 42, &err), &err);
    EXPECT_EQ_MEM(okm, want, 42);
    unhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", want, 32);
    dynsess_hkdf_sha256_extract(salt, sizeof salt, ikm, sizeof ikm, prk);
    EXPECT_EQ_MEM(prk, want, 32);
    /* A.3: no salt, no info */
    unhex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8", want, 42);
    ASSERT_OK(dynsess_hkdf_sha256(0, 0, ikm, sizeof ikm, 0, 0, okm, 42, &err), &err);
    EXPECT_EQ_MEM(okm, want, 42);
    /* limits: 255*32 is fine, one more is E_ARG and leaves out untouched */
    EXPECT_OK(dynsess_hkdf_sha256(0, 0, ikm, sizeof ikm, 0, 0, big, 8160, &err), &err);
    memset(big, 0x5a, sizeof big);
    EXPECT_EQ_INT(dynsess_hkdf_sha256(0, 0, ikm, sizeof ikm, 0, 0, big, 8161, &err), DYNSESS_E_ARG);
    EXPECT(strstr(err.msg, "hkdf:") != 0);
    EXPECT_EQ_INT(big[0], 0x5a);
    EXPECT_OK(dynsess_hkdf_sha256(0, 0, ikm, sizeof ikm, 0, 0, 0, 0, &err), &err);
}

/* ---- ChaCha20 / Poly1305 / AEAD --------------------------------------------------- */
static const char *sunscreen_hex =
    "4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a2049662049"
    "20636f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f7220746865206675747572652c20"
    "73756e73637265656e20776f756c642062652069742e";

TT_TEST(chacha20_rfc8439_inline) {
    uint8_t key[32], nonce[12], block[64], want[128], pt[128], ct[128];
    size_t n, p;
    for (p = 0; p < NPATHS; p++) {
        dynsess__cpu_restrict(paths[p]);
        unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", key, 32);
        unhex("000000090000004a00000000", nonce, 12);
        unhex("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4ed2826446079faa0914c2d705"
              "d98b02a2b5129cd1de164eb9cbd083e8a2503c4e", want, 64);
        dynsess_chacha20_block(key, nonce, 1, block);
        EXPECT_EQ_MEM(block, want, 64);
        unhex("000000000000004a00000000", nonce, 12);
        n = unhex(sunscreen_hex, pt, sizeof pt);
        unhex("6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dab"
              "cd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806"
              "818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d", want, sizeof want);
        dynsess_chacha20_xor(key, nonce, 1, pt, n, ct);
        EXPECT_EQ_MEM(ct, want, n);
        dynsess_chacha20_xor(key, nonce, 1, ct, n, ct);  /* in place */
        EXPECT_EQ_MEM(ct, pt, n);
    }
    dynsess__cpu_restrict(~0u);
}

TT_TEST(chacha20_simd_matches_portable) {
    static uint8_t in[2100], a[2100], b[2100];
    uint8_t key[32], nonce[12];
    uint32_t s[16];
    size_t n, p;
    uint32_t ctr;
    rnd_fill(in, sizeof in);
    for (n = 0; n <= sizeof in; n += 1 + (n % 61)) {
        rnd_fill(key, 32);
        rnd_fill(nonce, 12);
        ctr = (n & 1) ? 0xfffffffcu : rnd32() & 0xffff;   /* also across the counter wrap */
        dynsess__chacha20_setup(s, key, nonce, ctr);
        dynsess__chacha20_xor_portable(s, in, b, n);
        for (p = 0; p < NPATHS; p++) {
            dynsess__cpu_restrict(paths[p]);
            memset(a, 0, sizeof a);
            dynsess_chacha20_xor(key, nonce, ctr, in, n, a);
            if (memcmp(a, b, n)) TT__FAIL("length %lu path %lu", (unsigned long)n, (unsigned long)p);
        }
    }
    dynsess__cpu_restrict(~0u);
}

TT_TEST(hchacha20_draft_inline) {
    uint8_t key[32], in[16], out[32], want[32];
    unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", key, 32);
    unhex("000000090000004a0000000031415927", in, 16);
    unhex("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc", want, 32);
    dynsess_hchacha20(key, in, out);
    EXPECT_EQ_MEM(out, want, 32);
}

TT_TEST(poly1305_rfc8439_and_splits) {
    uint8_t key[32], msg[300], tag[16], want[16], two[16];
    dynsess_poly1305_ctx c;
    size_t n, i;
    unhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b", key, 32);
    n = unhex("43727970746f6772617068696320466f72756d2052657365617263682047726f7570", msg, sizeof msg);
    unhex("a8061dc1305136c6c22b8baf0c0127a9", want, 16);
    dynsess_poly1305(key, msg, n, tag);
    EXPECT_EQ_MEM(tag, want, 16);
    /* A.3 #11-style edge: h reaches p exactly -> tag 0 (RFC 8439 A.3 #6 uses r=2, s=0) */
    memset(key, 0, 32); key[0] = 2;
    memset(msg, 0xff, 16);
    memset(want, 0, 16); want[0] = 3;  /* (2^128-1)*2 + 2^129 ... = 3 mod 2^130-5 */
    dynsess_poly1305(key, msg, 16, tag);
    EXPECT_EQ_MEM(tag, want, 16);
    rnd_fill(key, 32);
    rnd_fill(msg, sizeof msg);
    dynsess_poly1305(key, msg, sizeof msg, tag);
    for (i = 0; i <= sizeof msg; i++) {
        size_t j;
        dynsess_poly1305_init(&c, key);
        dynsess_poly1305_update(&c, msg, i);
        for (j = i; j < sizeof msg; j += 5)
            dynsess_poly1305_update(&c, msg + j, sizeof msg - j < 5 ? sizeof msg - j : 5);
        dynsess_poly1305_final(&c, two);
        if (memcmp(tag, two, 16)) TT__FAIL("split at %lu", (unsigned long)i);
    }
}


/* Poly1305 AVX2 lanes against the scalar code at every length to 2100,
   with random bytes and with all-ones keys and messages (largest limbs). */
TT_TEST(poly1305_simd_matches_scalar) {
    static uint8_t msg[2100];
    uint8_t key[32], a[16], b[16];
    size_t n, p;
    int pass;
    for (pass = 0; pass < 3; pass++) {
        if (pass == 0) { rnd_fill(key, 32); rnd_fill(msg, sizeof msg); }
        else { memset(key, 0xff, 32); memset(msg, pass == 1 ? 0xff : 0x00, sizeof msg); if (pass == 2) key[16] = 0; }
        for (n = 0; n <= sizeof msg; n += 1 + (n % 37)) {
            dynsess__cpu_restrict(0);
            dynsess_poly1305(key, msg, n, b);
            for (p = 0; p < NPATHS; p++) {
                dynsess__cpu_restrict(paths[p]);
                dynsess_poly1305(key, msg, n, a);
                if (memcmp(a, b, 16)) TT__FAIL("pass %d length %lu path %lu", pass, (unsigned long)n, (unsigned long)p);
            }
        }
    }
    dynsess__cpu_restrict(~0u);
}

TT_TEST(aead_rfc8439_and_xchacha_inline) {
    uint8_t key[32], nonce[24], aad[12], pt[128], ct[128], want[128], tag[16], wtag[16], back[128];
    size_t n, p;
    dynsess_error err;
    for (p = 0; p < NPATHS; p++) {
        dynsess__cpu_restrict(paths[p]);
        unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", key, 32);
        unhex("070000004041424344454647", nonce, 12);
        unhex("50515253c0c1c2c3c4c5c6c7", aad, 12);
        n = unhex(sunscreen_hex, pt, sizeof pt);
        unhex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69"
              "da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad6759"
              "45585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116", want, sizeof want);
        unhex("1ae10b594f09e26a7e902ecbd0600691", wtag, 16);
        dynsess_chacha20poly1305_seal(key, nonce, aad, 12, pt, n, ct, tag);
        EXPECT_EQ_MEM(ct, want, n);
        EXPECT_EQ_MEM(tag, wtag, 16);
        EXPECT_OK(dynsess_chacha20poly1305_open(key, nonce, aad, 12, ct, n, tag, back, &err), &err);
        EXPECT_EQ_MEM(back, pt, n);
        unhex("404142434445464748494a4b4c4d4e4f5051525354555657", nonce, 24);
        unhex("bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f"
              "4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f"
              "76b2383565d3fff921f9664c97637da9768812f615c68b13b52e", want, sizeof want);
        unhex("c0875924c1c7987947deafd8780acf49", wtag, 16);
        dynsess_xchacha20poly1305_seal(key, nonce, aad, 12, pt, n, ct, tag);
        EXPECT_EQ_MEM(ct, want, n);
        EXPECT_EQ_MEM(tag, wtag, 16);
        memcpy(back, ct, n);  /* in place */
        EXPECT_OK(dynsess_xchacha20poly1305_open(key, nonce, aad, 12, back, n, tag, back, &err), &err);
        EXPECT_EQ_MEM(back, pt, n);
    }
    dynsess__cpu_restrict(~0u);
}

TT_TEST(aead_rejects_without_writing_plaintext) {
    uint8_t key[32], nonce[24], ad[20], pt[700], ct[700], out[700], tag[16];
    size_t n, bit;
    dynsess_error err;
    int rejected = 0, total = 0;
    rnd_fill(key, 32); rnd_fill(nonce, 24); rnd_fill(ad, 20); rnd_fill(pt, sizeof pt);
    for (n = 0; n < sizeof pt; n += 97) {
        dynsess_xchacha20poly1305_seal(key, nonce, ad, sizeof ad, pt, n, ct, tag);
        for (bit = 0; bit < (n + 16 + 20 + 24) * 8; bit += 1 + bit % 13) {
            uint8_t k2[32], n2[24], a2[20], t2[16];
            static uint8_t c2[700];
            size_t byte = bit / 8;
            memcpy(k2, key, 32); memcpy(n2, nonce, 24); memcpy(a2, ad, 20); memcpy(t2, tag, 16);
            memcpy(c2, ct, n);
            if (byte < n) c2[byte] ^= (uint8_t)(1u << (bit % 8));
            else if (byte < n + 16) t2[byte - n] ^= (uint8_t)(1u << (bit % 8));
            else if (byte < n + 36) a2[byte - n - 16] ^= (uint8_t)(1u << (bit % 8));
            else n2[byte - n - 36] ^= (uint8_t)(1u << (bit % 8));
            memset(out, 0xa5, sizeof out);
            total++;
            if (dynsess_xchacha20poly1305_open(k2, n2, a2, sizeof a2, c2, n, t2, out, &err) ==
                DYNSESS_E_AUTH) rejected++;
            else TT__FAIL("accepted flip of bit %lu at n=%lu", (unsigned long)bit, (unsigned long)n);
            if (n && out[0] != 0xa5) TT__FAIL("plaintext written on failure");
        }
        /* wrong key, truncated length */
        key[0] ^= 1;
        EXPECT_EQ_INT(dynsess_xchacha20poly1305_open(key, nonce, ad, sizeof ad, ct, n, tag, out, &err),
                      DYNSESS_E_AUTH);
        key[0] ^= 1;
        if (n) EXPECT_EQ_INT(dynsess_xchacha20poly1305_open(key, nonce, ad, sizeof ad, ct, n - 1, tag,
                                                            out, &err), DYNSESS_E_AUTH);
    }
    EXPECT_EQ_INT(rejected, total);
    EXPECT(strstr(err.msg, "aead:") != 0);
}


/* ---- the build's backend (BearSSL or accelerated) against portable references ---- */
static void ref_sha256(const uint8_t *m, size_t n, uint8_t out[32]) {
    uint32_t st[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    uint8_t last[128];
    size_t full = n / 64, rest = n % 64, padded = rest < 56 ? 64 : 128, i;
    dynsess__sha256_blocks_portable(st, m, full);
    memset(last, 0, sizeof last);
    memcpy(last, m + full * 64, rest);
    last[rest] = 0x80;
    for (i = 0; i < 8; i++) last[padded - 1 - i] = (uint8_t)(((uint64_t)n * 8) >> (8 * i));
    dynsess__sha256_blocks_portable(st, last, padded / 64);
    for (i = 0; i < 8; i++) dynsess__store32_be(out + 4 * i, st[i]);
}
static void ref_hmac(const uint8_t *k, size_t kl, const uint8_t *m, size_t n, uint8_t out[32]) {
    static uint8_t buf[64 + 4096];
    uint8_t key[64], ih[32];
    size_t i;
    memset(key, 0, 64);
    if (kl > 64) ref_sha256(k, kl, key); else memcpy(key, k, kl);
    for (i = 0; i < 64; i++) buf[i] = (uint8_t)(key[i] ^ 0x36);
    memcpy(buf + 64, m, n);
    ref_sha256(buf, 64 + n, ih);
    for (i = 0; i < 64; i++) buf[i] = (uint8_t)(key[i] ^ 0x5c);
    memcpy(buf + 64, ih, 32);
    ref_sha256(buf, 96, out);
}
static void ref_aead(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad, size_t al,
                     const uint8_t *pt, size_t n, uint8_t *ct, uint8_t tag[16]) {
    uint32_t s[16];
    uint8_t otk[64];
    memset(otk, 0, sizeof otk);
    dynsess__chacha20_setup(s, key, nonce, 0);
    dynsess__chacha20_xor_portable(s, otk, otk, 64);
    dynsess__chacha20_setup(s, key, nonce, 1);
    dynsess__chacha20_xor_portable(s, pt, ct, n);
    dynsess__aead_tag(otk, ad, al, ct, n, tag);
}

TT_TEST(backend_matches_portable_random) {
    static uint8_t m[4096], a[4096], b[4096];
    uint8_t key[100], nonce[12], ad[40], d1[32], d2[32], t1[16], t2[16];
    int iter;
    dynsess_error err;
    printf("  backend: %s\n", dynsess_crypto_impl());
    for (iter = 0; iter < 300; iter++) {
        size_t n = rnd32() % (iter < 200 ? 300 : 4096), kl = rnd32() % sizeof key, al = rnd32() % sizeof ad;
        rnd_fill(m, n); rnd_fill(key, sizeof key); rnd_fill(nonce, 12); rnd_fill(ad, al);
        dynsess_sha256(m, n, d1); ref_sha256(m, n, d2);
        if (memcmp(d1, d2, 32)) TT__FAIL("sha256 n=%lu", (unsigned long)n);
        dynsess_hmac_sha256(key, kl, m, n, d1); ref_hmac(key, kl, m, n, d2);
        if (memcmp(d1, d2, 32)) TT__FAIL("hmac n=%lu kl=%lu", (unsigned long)n, (unsigned long)kl);
        dynsess_chacha20poly1305_seal(key, nonce, ad, al, m, n, a, t1);
        ref_aead(key, nonce, ad, al, m, n, b, t2);
        if (memcmp(a, b, n) || memcmp(t1, t2, 16)) TT__FAIL("aead n=%lu", (unsigned long)n);
        if (dynsess_chacha20poly1305_open(key, nonce, ad, al, b, n, t2, a, &err) || memcmp(a, m, n))
            TT__FAIL("aead open n=%lu", (unsigned long)n);
    }
}

TT_TEST(impl_string) {
    const char *s = dynsess_crypto_impl();
    EXPECT(s && s[0]);
    printf("  crypto impl: %s\n", s);
}

static const tt_case tt_cases[] = {
    TT_CASE(sha256_fips180_examples),
    TT_CASE(sha256_nist_cavp),
    TT_CASE(sha256_incremental_every_split),
    TT_CASE(sha256_accelerated_matches_portable),
    TT_CASE(hmac_rfc4231_inline),
    TT_CASE(hmac_incremental_every_split),
    TT_CASE(hkdf_rfc5869_inline_and_limits),
    TT_CASE(chacha20_rfc8439_inline),
    TT_CASE(chacha20_simd_matches_portable),
    TT_CASE(hchacha20_draft_inline),
    TT_CASE(poly1305_rfc8439_and_splits),
    TT_CASE(poly1305_simd_matches_scalar),
    TT_CASE(aead_rfc8439_and_xchacha_inline),
    TT_CASE(aead_rejects_without_writing_plaintext),
    TT_CASE(backend_matches_portable_random),
    TT_CASE(impl_string),
};
int main(int argc, char **argv) { return tt_main(argc, argv, tt_cases, TT_COUNT(tt_cases)); }
