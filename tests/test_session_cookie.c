/* tests/test_session_cookie.c - @session with the default sealed-cookie store:
   the request cycle end to end, tampering, expiry, the cookie size limit,
   secret rotation (stale -> re-sealed), regenerate, touch, OOM. */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "tt.h"

static int64_t tc_now = 2000000;
static int64_t tc_clock(void *user) { (void)user; return tc_now; }

#define TC_SECRET_A "0123456789abcdef0123456789abcdef-secret-A"
#define TC_SECRET_B "fedcba9876543210fedcba9876543210-secret-B"

typedef struct tc_fix {
    dynsess_desc desc;
    dynsess_ctx *ctx;
    char sc[4600];
    size_t sc_len;
    char cookie[4600];
} tc_fix;

static void tc_init(tc_fix *f) {
    memset(f, 0, sizeof *f);
    tc_now = 2000000;
    f->desc.clock.now = tc_clock;
    f->desc.secrets[0] = dynsess_cstr(TC_SECRET_A);
}
static void tc_cookie_from_sc(tc_fix *f) {
    const char *semi = strchr(f->sc, ';');
    size_t n = semi ? (size_t)(semi - f->sc) : strlen(f->sc);
    memcpy(f->cookie, f->sc, n);
    f->cookie[n] = 0;
}
static dynsess_status tc_load(tc_fix *f, dynsess_session **s, dynsess_error *err) {
    return dynsess_load(f->ctx, f->cookie, strlen(f->cookie), s, err);
}
static dynsess_status tc_save(tc_fix *f, dynsess_session *s, dynsess_error *err) {
    return dynsess_save(f->ctx, s, f->sc, sizeof f->sc, &f->sc_len, err);
}
static int tc_streq(dynsess_str a, const char *b) {
    return a.ptr && a.len == strlen(b) && memcmp(a.ptr, b, a.len) == 0;
}
static int tc_starts(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

TT_TEST(cookie_cycle_end_to_end) {
    tc_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    char first[4600];
    tc_init(&f);
    ASSERT_OK(dynsess_setup(&f.ctx, &f.desc, &err), &err);
    EXPECT_EQ_STR(dynsess_query_store(f.ctx)->vt->name, "cookie");
    EXPECT(dynsess_query_desc(f.ctx)->secrets[0].len == 0);
    ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    EXPECT_OK(dynsess_session_set_str(s, "user", "alice", &err), &err);
    ASSERT_OK(tc_save(&f, s, &err), &err);
    EXPECT(tc_starts(f.sc, "session=v1."));
    EXPECT(strstr(f.sc, "; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax") != 0);
    EXPECT_EQ_INT(dynsess_session_id(s).len, 0);
    dynsess_release(s);
    tc_cookie_from_sc(&f);
    strcpy(first, f.cookie);

    tc_now += 60;
    ASSERT_OK(tc_load(&f, &s, &err), &err);
    EXPECT(!dynsess_session_is_new(s));
    EXPECT(tc_streq(dynsess_value_str(dynsess_session_get(s, "user")), "alice"));
    EXPECT_EQ_INT(dynsess_session_created_at(s), 2000000);
    /* unchanged: nothing sent */
    ASSERT_OK(tc_save(&f, s, &err), &err);
    EXPECT_EQ_INT(f.sc_len, 0);
    /* changed: a new sealed value */
    EXPECT_OK(dynsess_session_set_int(s, "visits", 2, &err), &err);
    ASSERT_OK(tc_save(&f, s, &err), &err);
    EXPECT(f.sc_len > 0);
    dynsess_release(s);
    tc_cookie_from_sc(&f);
    EXPECT(strcmp(first, f.cookie) != 0);
    ASSERT_OK(tc_load(&f, &s, &err), &err);
    EXPECT_EQ_INT(dynsess_value_int(dynsess_session_get(s, "visits")), 2);
    EXPECT_EQ_INT(dynsess_session_created_at(s), 2000000);   /* kept across re-seals */
    /* logout: clearing cookie */
    ASSERT_OK(dynsess_destroy(f.ctx, s, f.sc, sizeof f.sc, &f.sc_len, &err), &err);
    EXPECT(tc_starts(f.sc, "session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"));
    dynsess_release(s);
    dynsess_shutdown(f.ctx);
}

TT_TEST(cookie_tampered_or_foreign_is_not_adopted) {
    tc_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    size_t i, n;
    tc_init(&f);
    ASSERT_OK(dynsess_setup(&f.ctx, &f.desc, &err), &err);
    ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_str(s, "role", "user", &err), &err);
    ASSERT_OK(tc_save(&f, s, &err), &err);
    dynsess_release(s);
    tc_cookie_from_sc(&f);
    n = strlen(f.cookie);
    /* flip characters all along the sealed value */
    for (i = strlen("session=v1."); i < n; i += 7) {
        char saved = f.cookie[i];
        f.cookie[i] = saved == 'A' ? 'B' : 'A';
        ASSERT_OK(tc_load(&f, &s, &err), &err);
        if (!dynsess_session_is_new(s)) TT__FAIL("tampered at %lu: adopted", (unsigned long)i);
        if (!tc_starts(dynsess_session_reason(s), "cookie: "))
            TT__FAIL("reason '%s'", dynsess_session_reason(s));
        dynsess_release(s);
        f.cookie[i] = saved;
    }
    ASSERT_OK(tc_load(&f, &s, &err), &err);
    EXPECT(!dynsess_session_is_new(s));
    dynsess_release(s);
    /* the same value under another cookie name does not open (name is bound) */
    dynsess_shutdown(f.ctx);
    f.desc.cookie_name = "other";
    ASSERT_OK(dynsess_setup(&f.ctx, &f.desc, &err), &err);
    {
        char h[4700];
        snprintf(h, sizeof h, "other=%s", f.cookie + strlen("session="));
        ASSERT_OK(dynsess_load(f.ctx, h, strlen(h), &s, &err), &err);
        EXPECT(dynsess_session_is_new(s));
        dynsess_release(s);
    }
    dynsess_shutdown(f.ctx);
    /* another secret does not open it either */
    f.desc.cookie_name = 0;
    f.desc.secrets[0] = dynsess_cstr(TC_SECRET_B);
    ASSERT_OK(dynsess_setup(&f.ctx, &f.desc, &err), &err);
    ASSERT_OK(tc_load(&f, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    dynsess_release(s);
    dynsess_shutdown(f.ctx);
}

TT_TEST(cookie_expiry_idle_and_absolute) {
    tc_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    int i;
    tc_init(&f);
    f.desc.absolute_timeout_s = 7200;
    ASSERT_OK(dynsess_setup(&f.ctx, &f.desc, &err), &err);
    ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_int(s, "n", 0, &err), &err);
    ASSERT_OK(tc_save(&f, s, &err), &err);
    dynsess_release(s);
    tc_cookie_from_sc(&f);
    /* idle: dead at +3600 (the browser's Max-Age is not trusted) */
    tc_now += 3600;
    ASSERT_OK(tc_load(&f, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    EXPECT_EQ_STR(dynsess_session_reason(s), "cookie: expired");
    dynsess_release(s);
    /* absolute: active every 1000 s, still over at +7200 */
    tc_now -= 3600;
    for (i = 1; i <= 7; i++) {
        tc_now = 2000000 + (int64_t)i * 1000;
        ASSERT_OK(tc_load(&f, &s, &err), &err);
        EXPECT(!dynsess_session_is_new(s));
        EXPECT_OK(dynsess_session_set_int(s, "n", i, &err), &err);
        ASSERT_OK(tc_save(&f, s, &err), &err);
        dynsess_release(s);
        tc_cookie_from_sc(&f);
    }
    tc_now = 2000000 + 7200;
    ASSERT_OK(tc_load(&f, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    dynsess_release(s);
    dynsess_shutdown(f.ctx);
}

TT_TEST(cookie_size_limit_is_an_error_not_a_truncation) {
    tc_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    char big[5000];
    size_t lo, hi;
    tc_init(&f);
    ASSERT_OK(dynsess_setup(&f.ctx, &f.desc, &err), &err);
    ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    memset(big, 'x', sizeof big);
    big[sizeof big - 1] = 0;
    EXPECT_OK(dynsess_session_set_str(s, "big", big, &err), &err);
    EXPECT_EQ_INT(tc_save(&f, s, &err), DYNSESS_E_COOKIE_SIZE);
    EXPECT(strstr(err.msg, "max_cookie_len") != 0);
    EXPECT_EQ_INT(f.sc_len, 0);
    EXPECT(f.sc[0] == 0);
    /* find the largest string that fits: the whole Set-Cookie stays <= 4096 */
    lo = 0;
    hi = 4096;
    while (lo + 1 < hi) {
        size_t mid = (lo + hi) / 2;
        dynsess_status rc;
        EXPECT_OK(dynsess_session_set_str_n(s, "big", big, mid, &err), &err);
        rc = tc_save(&f, s, &err);
        if (rc == DYNSESS_OK) lo = mid;
        else { EXPECT_EQ_INT(rc, DYNSESS_E_COOKIE_SIZE); hi = mid; }
        dynsess_release(s);
        ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    }
    EXPECT(lo > 2800);
    EXPECT_OK(dynsess_session_set_str_n(s, "big", big, lo, &err), &err);
    ASSERT_OK(tc_save(&f, s, &err), &err);
    EXPECT(f.sc_len <= 4096);
    EXPECT(f.sc_len > 4096 - 8);
    dynsess_release(s);
    tc_cookie_from_sc(&f);
    ASSERT_OK(tc_load(&f, &s, &err), &err);
    EXPECT_EQ_INT(dynsess_value_str(dynsess_session_get(s, "big")).len, lo);
    dynsess_release(s);
    dynsess_shutdown(f.ctx);
}

TT_TEST(cookie_secret_rotation_reseals_stale) {
    tc_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    char old_cookie[4600];
    tc_init(&f);
    ASSERT_OK(dynsess_setup(&f.ctx, &f.desc, &err), &err);
    ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_str(s, "user", "carol", &err), &err);
    ASSERT_OK(tc_save(&f, s, &err), &err);
    dynsess_release(s);
    dynsess_shutdown(f.ctx);
    tc_cookie_from_sc(&f);
    strcpy(old_cookie, f.cookie);
    /* rotate: B seals, A still opens */
    f.desc.secrets[0] = dynsess_cstr(TC_SECRET_B);
    f.desc.secrets[1] = dynsess_cstr(TC_SECRET_A);
    ASSERT_OK(dynsess_setup(&f.ctx, &f.desc, &err), &err);
    tc_now += 10;
    ASSERT_OK(tc_load(&f, &s, &err), &err);
    EXPECT(!dynsess_session_is_new(s));
    EXPECT(!dynsess_session_modified(s));
    ASSERT_OK(tc_save(&f, s, &err), &err);   /* unmodified but stale: re-sealed */
    EXPECT(f.sc_len > 0);
    dynsess_release(s);
    dynsess_shutdown(f.ctx);
    tc_cookie_from_sc(&f);
    EXPECT(strcmp(old_cookie, f.cookie) != 0);
    /* A retired: the re-sealed cookie still opens, the old one does not */
    f.desc.secrets[1] = dynsess_cstr(0);
    ASSERT_OK(dynsess_setup(&f.ctx, &f.desc, &err), &err);
    ASSERT_OK(tc_load(&f, &s, &err), &err);
    EXPECT(!dynsess_session_is_new(s));
    EXPECT(tc_streq(dynsess_value_str(dynsess_session_get(s, "user")), "carol"));
    ASSERT_OK(tc_save(&f, s, &err), &err);
    EXPECT_EQ_INT(f.sc_len, 0);
    dynsess_release(s);
    ASSERT_OK(dynsess_load(f.ctx, old_cookie, strlen(old_cookie), &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    dynsess_release(s);
    dynsess_shutdown(f.ctx);
}

TT_TEST(cookie_regenerate_and_touch) {
    tc_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    char before[4600];
    tc_init(&f);
    f.desc.touch_after_s = 300;
    ASSERT_OK(dynsess_setup(&f.ctx, &f.desc, &err), &err);
    ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_int(s, "n", 1, &err), &err);
    ASSERT_OK(tc_save(&f, s, &err), &err);
    dynsess_release(s);
    tc_cookie_from_sc(&f);
    strcpy(before, f.cookie);
    /* +100: no touch yet */
    tc_now += 100;
    ASSERT_OK(tc_load(&f, &s, &err), &err);
    ASSERT_OK(tc_save(&f, s, &err), &err);
    EXPECT_EQ_INT(f.sc_len, 0);
    dynsess_release(s);
    /* +400: touched: re-sealed with the later expiry */
    tc_now += 300;
    ASSERT_OK(tc_load(&f, &s, &err), &err);
    ASSERT_OK(tc_save(&f, s, &err), &err);
    EXPECT(f.sc_len > 0);
    EXPECT_EQ_INT(dynsess_session_expires_at(s), tc_now + 3600);
    dynsess_release(s);
    tc_cookie_from_sc(&f);
    tc_now += 3500; /* alive thanks to the touch (+3900 since creation) */
    ASSERT_OK(tc_load(&f, &s, &err), &err);
    EXPECT(!dynsess_session_is_new(s));
    /* regenerate: new seal, same data, lifetime restarts */
    ASSERT_OK(dynsess_regenerate(f.ctx, s, &err), &err);
    ASSERT_OK(tc_save(&f, s, &err), &err);
    EXPECT(f.sc_len > 0);
    EXPECT_EQ_INT(dynsess_session_created_at(s), tc_now);
    dynsess_release(s);
    tc_cookie_from_sc(&f);
    ASSERT_OK(tc_load(&f, &s, &err), &err);
    EXPECT_EQ_INT(dynsess_value_int(dynsess_session_get(s, "n")), 1);
    EXPECT_EQ_INT(dynsess_session_created_at(s), tc_now);
    dynsess_release(s);
    dynsess_shutdown(f.ctx);
}

TT_TEST(cookie_oom_loop) {
    int mode;
    long total = 0, n;
    for (mode = -1; mode < 2; mode++) {
        for (n = (mode < 0 ? 0 : 1); n <= (mode < 0 ? 0 : total + 1); n++) {
            tt_alloc_state as = {0, 0, 0, 0};
            tc_fix f;
            dynsess_error err;
            dynsess_session *s = 0;
            dynsess_status rc;
            int end = 0;
            tc_init(&f);
            f.desc.allocator.alloc = tt_alloc_fn;
            f.desc.allocator.realloc = tt_realloc_fn;
            f.desc.allocator.free = tt_free_fn;
            f.desc.allocator.user = &as;
            as.fail_at = n;
            as.fail_after = mode > 0;
#define TC_STEP(call) do { rc = (call); if (rc) { \
        if (rc != DYNSESS_E_NOMEM) TT__FAIL("n=%ld: %s -> %d (%s)", n, #call, rc, err.msg); \
        goto out; } } while (0)
            TC_STEP(dynsess_setup(&f.ctx, &f.desc, &err));
            TC_STEP(dynsess_load(f.ctx, 0, 0, &s, &err));
            TC_STEP(dynsess_session_set_str(s, "user", "dave", &err));
            TC_STEP(tc_save(&f, s, &err));
            dynsess_release(s);
            s = 0;
            tc_cookie_from_sc(&f);
            TC_STEP(tc_load(&f, &s, &err));
            if (dynsess_session_is_new(s)) { TT__FAIL("n=%ld: session lost", n); goto out; }
            TC_STEP(dynsess_session_set_int(s, "k", 1, &err));
            TC_STEP(tc_save(&f, s, &err));
            end = 1;
#undef TC_STEP
        out:
            dynsess_release(s);
            dynsess_shutdown(f.ctx);
            if (as.live != 0) TT__FAIL("n=%ld mode %d: %ld blocks leaked", n, mode, as.live);
            if (mode < 0) { total = as.count; EXPECT(end); }
            if (mode >= 0 && n == total + 1 && !end) TT__FAIL("mode %d: never completed", mode);
        }
    }
    EXPECT(total > 10);
}

static const tt_case tt_cases[] = {
    TT_CASE(cookie_cycle_end_to_end),
    TT_CASE(cookie_tampered_or_foreign_is_not_adopted),
    TT_CASE(cookie_expiry_idle_and_absolute),
    TT_CASE(cookie_size_limit_is_an_error_not_a_truncation),
    TT_CASE(cookie_secret_rotation_reseals_stale),
    TT_CASE(cookie_regenerate_and_touch),
    TT_CASE(cookie_oom_loop),
};
int main(int argc, char **argv) { return tt_main(argc, argv, tt_cases, TT_COUNT(tt_cases)); }
