/* tests/test_cookie_store.c - the sealed-cookie store: config errors, round
   trips of random sessions, 100,000 single-bit flips / truncations /
   extensions (none accepted), rotation, expiry, size limit, OOM loop. */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "tt.h"

#define SECRET_A "0123456789abcdef0123456789abcdef-secret-A"
#define SECRET_B "fedcba9876543210fedcba9876543210-secret-B"
#define NOW ((int64_t)1764000000)

static uint64_t rs = 0x243f6a8885a308d3ull;
static uint32_t rnd32(void) {
    rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
    return (uint32_t)(rs >> 16);
}

static dynsess_store *mk(const char *s0, const char *s1, const char *name, size_t max_len) {
    dynsess_cookie_desc d;
    dynsess_store *st = 0;
    dynsess_error err;
    memset(&d, 0, sizeof d);
    if (s0) d.secrets[0] = dynsess_cstr(s0);
    if (s1) d.secrets[1] = dynsess_cstr(s1);
    d.cookie_name = name;
    d.max_cookie_len = max_len;
    if (dynsess_store_cookie_new(&d, &st, &err)) { printf("  store: %s\n", err.msg); return 0; }
    return st;
}

static dynsess_status seal(dynsess_store *st, const char *json, size_t len, int64_t created,
                           int64_t expires, dynsess_buf *tok, dynsess_error *err) {
    dynsess_write w;
    memset(&w, 0, sizeof w);
    w.data.ptr = json;
    w.data.len = len;
    w.created_at = created;
    w.expires_at = expires;
    w.is_new = 1;
    return st->vt->save(st, &w, NOW, tok, err);
}

static dynsess_status open_tok(dynsess_store *st, const char *tok, size_t len, int64_t now,
                               dynsess_record *rec, dynsess_error *err) {
    dynsess_str t;
    t.ptr = tok;
    t.len = len;
    rec->created_at = rec->expires_at = -1;
    rec->stale = -1;
    return st->vt->load(st, t, now, rec, err);
}

TT_TEST(config_errors) {
    dynsess_cookie_desc d;
    dynsess_store *st = (dynsess_store *)&d;
    dynsess_error err;
    char s31[32];
    memset(&d, 0, sizeof d);
    EXPECT_EQ_INT(dynsess_store_cookie_new(&d, &st, &err), DYNSESS_E_CONFIG);
    EXPECT(st == 0);
    EXPECT(strstr(err.msg, "secrets[0]") != 0);
    memset(s31, 'x', 31); s31[31] = 0;
    d.secrets[0] = dynsess_cstr(s31);
    EXPECT_EQ_INT(dynsess_store_cookie_new(&d, &st, &err), DYNSESS_E_CONFIG);
    EXPECT(strstr(err.msg, "secrets[0] is 31 bytes") != 0);
    d.secrets[0] = dynsess_cstr(SECRET_A);
    d.secrets[2] = dynsess_cstr(s31);
    EXPECT_EQ_INT(dynsess_store_cookie_new(&d, &st, &err), DYNSESS_E_CONFIG);
    EXPECT(strstr(err.msg, "secrets[2]") != 0);
    d.secrets[2].ptr = 0; d.secrets[2].len = 40;
    EXPECT_EQ_INT(dynsess_store_cookie_new(&d, &st, &err), DYNSESS_E_CONFIG);
    d.secrets[2].len = 0;
    d.cookie_name = "";
    EXPECT_EQ_INT(dynsess_store_cookie_new(&d, &st, &err), DYNSESS_E_CONFIG);
    EXPECT(strstr(err.msg, "desc.cookie_name") != 0);
    d.cookie_name = 0;
    d.allocator.alloc = tt_alloc_fn;  /* alloc without free */
    EXPECT_EQ_INT(dynsess_store_cookie_new(&d, &st, &err), DYNSESS_E_CONFIG);
    memset(&d.allocator, 0, sizeof d.allocator);
    memset(s31, 'y', 31);
    d.secrets[0].ptr = s31; d.secrets[0].len = 32 - 1;
    EXPECT_EQ_INT(dynsess_store_cookie_new(&d, &st, &err), DYNSESS_E_CONFIG);
    d.secrets[0] = dynsess_cstr("0123456789abcdef0123456789abcdef"); /* exactly 32 */
    ASSERT_OK(dynsess_store_cookie_new(&d, &st, &err), &err);
    EXPECT_EQ_STR(st->vt->name, "cookie");
    EXPECT(st->vt->flags & DYNSESS_STORE_SELF_CONTAINED);
    EXPECT_OK(st->vt->destroy(st, dynsess_cstr("v1.x"), &err), &err);
    dynsess_store_close(st);
}

TT_TEST(round_trip_random_sessions) {
    dynsess_store *st = mk(SECRET_A, 0, 0, 0);
    dynsess_buf tok, prev;
    dynsess_record rec;
    dynsess_error err;
    static char json[3000];
    size_t n, i;
    ASSERT(st);
    dynsess_buf_init(&tok, 0);
    dynsess_buf_init(&prev, 0);
    dynsess_buf_init(&rec.data, 0);
    for (n = 0; n < 2900; n += 1 + n / 4) {
        for (i = 0; i < n; i++) json[i] = (char)(32 + rnd32() % 95);
        ASSERT_OK(seal(st, json, n, NOW - 5, NOW + 100 + (int64_t)n, &tok, &err), &err);
        EXPECT_EQ_INT(tok.len, DYNSESS_COOKIE_SEALED_LEN(n));
        EXPECT(!strncmp(tok.ptr, "v1.", 3));
        ASSERT_OK(open_tok(st, tok.ptr, tok.len, NOW, &rec, &err), &err);
        EXPECT_EQ_INT(rec.data.len, n);
        if (n) EXPECT_EQ_MEM(rec.data.ptr, json, n);
        EXPECT_EQ_INT(rec.created_at, NOW - 5);
        EXPECT_EQ_INT(rec.expires_at, NOW + 100 + (int64_t)n);
        EXPECT_EQ_INT(rec.stale, 0);
        EXPECT_EQ_INT(rec.version, 0);
        /* a fresh random nonce each time: the same session never seals the same */
        if (n == 0) {
            dynsess_buf_append(&prev, tok.ptr, tok.len, 0);
            ASSERT_OK(seal(st, json, n, NOW - 5, NOW + 100, &tok, &err), &err);
            EXPECT(tok.len == prev.len && memcmp(tok.ptr, prev.ptr, tok.len) != 0);
        }
    }
    dynsess_buf_free(&tok);
    dynsess_buf_free(&prev);
    dynsess_buf_free(&rec.data);
    dynsess_store_close(st);
}

/* 100,000 mutations: single-bit flips of the cookie text, single-bit flips
   of the sealed bytes (re-encoded, so they pass base64url), truncations and
   extensions. None may be accepted. */
TT_TEST(tampering_never_accepted) {
    dynsess_store *st = mk(SECRET_A, 0, "sid", 0);
    const char *json = "{\"user\":\"alice\",\"role\":\"admin\",\"cart\":[1,2,3],\"n\":12345}";
    dynsess_buf tok;
    dynsess_record rec;
    dynsess_error err;
    static char mut[600];
    static uint8_t raw[600];
    size_t raw_len = 0, mlen, i;
    long accepted = 0, tried = 0, reasons[4] = {0, 0, 0, 0};
    ASSERT(st);
    dynsess_buf_init(&tok, 0);
    dynsess_buf_init(&rec.data, 0);
    ASSERT_OK(seal(st, json, strlen(json), NOW, NOW + 3600, &tok, &err), &err);
    ASSERT(tok.len < sizeof mut - 10);
    ASSERT_OK(dynsess_base64url_decode(tok.ptr + 3, tok.len - 3, raw, sizeof raw, &raw_len, &err), &err);
    for (i = 0; i < 100000; i++) {
        uint32_t r = rnd32(), kind = i % 4;
        memcpy(mut, tok.ptr, tok.len);
        mlen = tok.len;
        if (kind == 0) {                       /* flip a bit of the text */
            size_t bit = r % (tok.len * 8);
            mut[bit / 8] = (char)(mut[bit / 8] ^ (1 << (bit % 8)));
        } else if (kind == 1) {                /* flip a bit of the sealed bytes */
            static uint8_t r2[600];
            size_t bit = r % (raw_len * 8);
            memcpy(r2, raw, raw_len);
            r2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            mlen = 3 + dynsess_base64url_encode(r2, raw_len, mut + 3, sizeof mut - 3);
        } else if (kind == 2) {                /* truncate */
            mlen = r % tok.len;
        } else {                               /* extend */
            size_t k, extra = 1 + r % 8;
            for (k = 0; k < extra; k++)
                mut[mlen++] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[rnd32() % 64];
        }
        tried++;
        if (mlen == tok.len && !memcmp(mut, tok.ptr, mlen)) { tried--; continue; }
        if (open_tok(st, mut, mlen, NOW, &rec, &err) == DYNSESS_OK) accepted++;
        else {
            if (err.code != DYNSESS_E_NOTFOUND || !strstr(err.msg, "cookie:")) accepted++;
            reasons[strstr(err.msg, "authentication") ? 0 : strstr(err.msg, "base64") ? 1
                    : strstr(err.msg, "unknown key") ? 2 : 3]++;
            if (rec.data.len) accepted++;
        }
    }
    EXPECT_EQ_INT(accepted, 0);
    EXPECT(tried > 99000);
    EXPECT(reasons[0] > 1000 && reasons[1] > 1000); /* both layers were exercised */
    printf("  %ld mutations rejected: %ld auth, %ld base64url, %ld key id, %ld other\n", tried,
           reasons[0], reasons[1], reasons[2], reasons[3]);
    /* the original still opens */
    EXPECT_OK(open_tok(st, tok.ptr, tok.len, NOW, &rec, &err), &err);
    dynsess_buf_free(&tok);
    dynsess_buf_free(&rec.data);
    dynsess_store_close(st);
}

TT_TEST(wrong_version_name_key_and_garbage) {
    dynsess_store *a = mk(SECRET_A, 0, "sid", 0), *other_name = mk(SECRET_A, 0, "sid2", 0),
                  *other_key = mk(SECRET_B, 0, "sid", 0);
    dynsess_buf tok;
    dynsess_record rec;
    dynsess_error err;
    static const char *junk[] = {"", "v1.", "v1", "v2.AAAA", "V1.AAAA", "v1.====", "v1.A",
                                 "v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                 "v1.\xff\xfe", "session=v1.abc", "v1. AAAA"};
    size_t i;
    ASSERT(a && other_name && other_key);
    dynsess_buf_init(&tok, 0);
    dynsess_buf_init(&rec.data, 0);
    ASSERT_OK(seal(a, "{}", 2, NOW, NOW + 60, &tok, &err), &err);
    EXPECT_OK(open_tok(a, tok.ptr, tok.len, NOW, &rec, &err), &err);
    EXPECT_EQ_INT(open_tok(other_name, tok.ptr, tok.len, NOW, &rec, &err), DYNSESS_E_NOTFOUND);
    EXPECT(strstr(err.msg, "authentication failed") != 0);
    EXPECT_EQ_INT(open_tok(other_key, tok.ptr, tok.len, NOW, &rec, &err), DYNSESS_E_NOTFOUND);
    printf("  other key: %s\n", err.msg);
    tok.ptr[1] = '2';
    EXPECT_EQ_INT(open_tok(a, tok.ptr, tok.len, NOW, &rec, &err), DYNSESS_E_NOTFOUND);
    EXPECT(strstr(err.msg, "version") != 0);
    for (i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        EXPECT_EQ_INT(open_tok(a, junk[i], strlen(junk[i]), NOW, &rec, &err), DYNSESS_E_NOTFOUND);
        EXPECT(strncmp(err.msg, "cookie: ", 8) == 0);
        EXPECT_EQ_INT(rec.data.len, 0);
    }
    dynsess_buf_free(&tok);
    dynsess_buf_free(&rec.data);
    dynsess_store_close(a);
    dynsess_store_close(other_name);
    dynsess_store_close(other_key);
}

TT_TEST(rotation) {
    dynsess_store *old = mk(SECRET_A, 0, 0, 0), *both = mk(SECRET_B, SECRET_A, 0, 0),
                  *fresh = mk(SECRET_B, 0, 0, 0);
    dynsess_buf tok, tok2;
    dynsess_record rec;
    dynsess_error err;
    dynsess_write w;
    ASSERT(old && both && fresh);
    dynsess_buf_init(&tok, 0);
    dynsess_buf_init(&tok2, 0);
    dynsess_buf_init(&rec.data, 0);
    ASSERT_OK(seal(old, "{\"a\":1}", 7, NOW, NOW + 60, &tok, &err), &err);
    /* the rotated store opens the old cookie and asks for a re-seal */
    ASSERT_OK(open_tok(both, tok.ptr, tok.len, NOW, &rec, &err), &err);
    EXPECT_EQ_INT(rec.stale, 1);
    EXPECT_EQ_INT(rec.data.len, 7);
    EXPECT_EQ_INT(open_tok(fresh, tok.ptr, tok.len, NOW, &rec, &err), DYNSESS_E_NOTFOUND);
    /* re-seal (what @session does on save) uses the first secret */
    memset(&w, 0, sizeof w);
    w.token.ptr = tok.ptr; w.token.len = tok.len;
    w.data.ptr = "{\"a\":1}"; w.data.len = 7;
    w.created_at = NOW; w.expires_at = NOW + 60;
    ASSERT_OK(both->vt->save(both, &w, NOW, &tok2, &err), &err);
    ASSERT_OK(open_tok(both, tok2.ptr, tok2.len, NOW, &rec, &err), &err);
    EXPECT_EQ_INT(rec.stale, 0);
    ASSERT_OK(open_tok(fresh, tok2.ptr, tok2.len, NOW, &rec, &err), &err);
    EXPECT_EQ_INT(rec.stale, 0);
    EXPECT_EQ_INT(open_tok(old, tok2.ptr, tok2.len, NOW, &rec, &err), DYNSESS_E_NOTFOUND);
    dynsess_buf_free(&tok);
    dynsess_buf_free(&tok2);
    dynsess_buf_free(&rec.data);
    dynsess_store_close(old);
    dynsess_store_close(both);
    dynsess_store_close(fresh);
}

TT_TEST(expiry_enforced_with_now) {
    dynsess_store *st = mk(SECRET_A, 0, 0, 0);
    dynsess_buf tok;
    dynsess_record rec;
    dynsess_error err;
    ASSERT(st);
    dynsess_buf_init(&tok, 0);
    dynsess_buf_init(&rec.data, 0);
    ASSERT_OK(seal(st, "{}", 2, NOW, NOW + 10, &tok, &err), &err);
    EXPECT_OK(open_tok(st, tok.ptr, tok.len, NOW + 9, &rec, &err), &err);
    EXPECT_EQ_INT(open_tok(st, tok.ptr, tok.len, NOW + 10, &rec, &err), DYNSESS_E_NOTFOUND);
    EXPECT_EQ_STR(err.msg, "cookie: expired");
    EXPECT_EQ_INT(rec.data.len, 0);
    EXPECT_EQ_INT(open_tok(st, tok.ptr, tok.len, INT64_MAX, &rec, &err), DYNSESS_E_NOTFOUND);
    /* negative / extreme times survive the int64 encoding */
    ASSERT_OK(seal(st, "{}", 2, INT64_MIN, INT64_MAX, &tok, &err), &err);
    ASSERT_OK(open_tok(st, tok.ptr, tok.len, NOW, &rec, &err), &err);
    EXPECT(rec.created_at == INT64_MIN && rec.expires_at == INT64_MAX);
    dynsess_buf_free(&tok);
    dynsess_buf_free(&rec.data);
    dynsess_store_close(st);
}

TT_TEST(size_limit) {
    size_t limits[] = {0, 200, 4095}, li, n, fit = 0;
    static char json[5000];
    memset(json, 'x', sizeof json);
    for (li = 0; li < sizeof limits / sizeof limits[0]; li++) {
        size_t max = limits[li] ? limits[li] : 4096;
        dynsess_store *st = mk(SECRET_A, 0, 0, limits[li]);
        dynsess_buf tok;
        dynsess_record rec;
        dynsess_error err;
        ASSERT(st);
        dynsess_buf_init(&tok, 0);
        dynsess_buf_init(&rec.data, 0);
        for (n = 0; DYNSESS_COOKIE_SEALED_LEN(n + 1) <= max; n++) {}
        fit = n;                                  /* largest session that fits */
        ASSERT_OK(seal(st, json, fit, NOW, NOW + 60, &tok, &err), &err);
        EXPECT(tok.len <= max && tok.len >= max - 1);
        EXPECT_OK(open_tok(st, tok.ptr, tok.len, NOW, &rec, &err), &err);
        EXPECT_EQ_INT(seal(st, json, fit + 1, NOW, NOW + 60, &tok, &err), DYNSESS_E_COOKIE_SIZE);
        EXPECT(strstr(err.msg, "max_cookie_len") != 0);
        EXPECT_EQ_INT(tok.len, 0);                /* nothing half-written */
        EXPECT_EQ_INT(seal(st, json, sizeof json, NOW, NOW + 60, &tok, &err), DYNSESS_E_COOKIE_SIZE);
        /* an over-long value is refused before any decoding */
        memset(json, 'A', max + 1); memcpy(json, "v1.", 3);
        EXPECT_EQ_INT(open_tok(st, json, max + 1, NOW, &rec, &err), DYNSESS_E_NOTFOUND);
        memset(json, 'x', sizeof json);
        dynsess_buf_free(&tok);
        dynsess_buf_free(&rec.data);
        dynsess_store_close(st);
    }
    EXPECT_EQ_INT(DYNSESS_COOKIE_SEALED_LEN(0), 79);     /* 3 + 76 */
    EXPECT_EQ_INT(DYNSESS_COOKIE_SEALED_LEN(2979), 4051); /* 3 + 4 * 3036 / 3 */
}

static dynsess_status failing_rng(void *user, void *buf, size_t n) {
    (void)user; (void)buf; (void)n;
    return DYNSESS_E_RANDOM;
}

TT_TEST(rng_failure_is_reported) {
    dynsess_cookie_desc d;
    dynsess_store *st = 0;
    dynsess_buf tok;
    dynsess_error err;
    memset(&d, 0, sizeof d);
    d.secrets[0] = dynsess_cstr(SECRET_A);
    d.rng.fill = failing_rng;
    ASSERT_OK(dynsess_store_cookie_new(&d, &st, &err), &err);
    dynsess_buf_init(&tok, 0);
    EXPECT_EQ_INT(seal(st, "{}", 2, NOW, NOW + 60, &tok, &err), DYNSESS_E_RANDOM);
    EXPECT_EQ_INT(tok.len, 0);
    dynsess_buf_free(&tok);
    dynsess_store_close(st);
}

/* Fail allocation N (once, then from N on) for new, save and load until
   each succeeds: every pass is OK or E_NOMEM and nothing leaks. */
TT_TEST(oom_loop) {
    int mode;
    for (mode = 0; mode < 2; mode++) {
        long n;
        int done = 0;
        for (n = 1; n < 100 && !done; n++) {
            tt_alloc_state as;
            dynsess_allocator al = TT_ALLOCATOR(&as);
            dynsess_cookie_desc d;
            dynsess_store *st = 0;
            dynsess_buf tok;
            dynsess_record rec;
            dynsess_error err;
            dynsess_status rc;
            memset(&as, 0, sizeof as);
            as.fail_at = n;
            as.fail_after = mode;
            memset(&d, 0, sizeof d);
            d.secrets[0] = dynsess_cstr(SECRET_A);
            d.allocator = al;
            dynsess_buf_init(&tok, &al);
            dynsess_buf_init(&rec.data, &al);
            rc = dynsess_store_cookie_new(&d, &st, &err);
            if (rc == DYNSESS_OK) {
                rc = seal(st, "{\"k\":\"v\"}", 9, NOW, NOW + 60, &tok, &err);
                if (rc == DYNSESS_OK) {
                    rc = open_tok(st, tok.ptr, tok.len, NOW, &rec, &err);
                    if (rc == DYNSESS_OK) {
                        EXPECT_EQ_INT(rec.data.len, 9);
                        done = 1;
                    }
                }
                dynsess_store_close(st);
            } else EXPECT(st == 0);
            if (rc != DYNSESS_OK && rc != DYNSESS_E_NOMEM)
                TT__FAIL("n=%ld: unexpected %d (%s)", n, (int)rc, err.msg);
            dynsess_buf_free(&tok);
            dynsess_buf_free(&rec.data);
            if (as.live != 0) TT__FAIL("n=%ld mode=%d: %ld blocks leaked", n, mode, as.live);
        }
        EXPECT(done);
    }
}

static const tt_case tt_cases[] = {
    TT_CASE(config_errors),
    TT_CASE(round_trip_random_sessions),
    TT_CASE(tampering_never_accepted),
    TT_CASE(wrong_version_name_key_and_garbage),
    TT_CASE(rotation),
    TT_CASE(expiry_enforced_with_now),
    TT_CASE(size_limit),
    TT_CASE(rng_failure_is_reported),
    TT_CASE(oom_loop),
};
int main(int argc, char **argv) { return tt_main(argc, argv, tt_cases, TT_COUNT(tt_cases)); }
