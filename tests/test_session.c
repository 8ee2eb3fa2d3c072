/* tests/test_session.c - @session: setup/desc, the dict, Cookie header parsing,
   Set-Cookie attributes, the request cycle end to end on the memory store
   (expiry, touch, regenerate, conflicts, destroyed-meanwhile, id collisions,
   size limits), and an OOM loop. Clock and rng are injected. */
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "tt.h"

/* ---- injected clock and rng ------------------------------------------------ */
static int64_t ts_now = 1000000;
static int64_t ts_clock(void *user) { (void)user; return ts_now; }

typedef struct ts_rng_state { unsigned next; int repeat; int fail; } ts_rng_state;
/* Fills every byte with `next`, then next++ (unless repeat > 0: same bytes again). */
static dynsess_status ts_rng(void *user, void *buf, size_t n) {
    ts_rng_state *r = (ts_rng_state *)user;
    if (r->fail) return DYNSESS_E_RANDOM;
    memset(buf, (int)(r->next & 0xff), n);
    if (r->repeat > 0) r->repeat--;
    else r->next++;
    return DYNSESS_OK;
}

/* ---- a proxy store: counts calls, can force results, can hide touch ---------- */
typedef struct ts_proxy {
    dynsess_store base;
    dynsess_store *inner;
    int loads, saves, touches, destroys;
    dynsess_status force_save;    /* returned instead of calling inner save */
    dynsess_status force_load;
    int mark_stale;
} ts_proxy;
static dynsess_status ts_p_load(dynsess_store *st, dynsess_str t, int64_t now, dynsess_record *r,
                                dynsess_error *err) {
    ts_proxy *p = (ts_proxy *)st;
    dynsess_status rc;
    p->loads++;
    if (p->force_load) return dynsess__fail(err, p->force_load, DYNSESS_NO_OFFSET, "proxy: forced");
    rc = p->inner->vt->load(p->inner, t, now, r, err);
    if (rc == DYNSESS_OK && p->mark_stale) r->stale = 1;
    return rc;
}
static dynsess_status ts_p_save(dynsess_store *st, const dynsess_write *w, int64_t now,
                                dynsess_buf *tok, dynsess_error *err) {
    ts_proxy *p = (ts_proxy *)st;
    p->saves++;
    if (p->force_save) return dynsess__fail(err, p->force_save, DYNSESS_NO_OFFSET, "proxy: forced");
    return p->inner->vt->save(p->inner, w, now, tok, err);
}
static dynsess_status ts_p_destroy(dynsess_store *st, dynsess_str t, dynsess_error *err) {
    ts_proxy *p = (ts_proxy *)st;
    p->destroys++;
    return p->inner->vt->destroy(p->inner, t, err);
}
static dynsess_status ts_p_touch(dynsess_store *st, dynsess_str t, int64_t exp, int64_t now,
                                 dynsess_error *err) {
    ts_proxy *p = (ts_proxy *)st;
    p->touches++;
    return p->inner->vt->touch(p->inner, t, exp, now, err);
}
static void ts_p_close(dynsess_store *st) { (void)st; }
static const dynsess_store_vt ts_proxy_vt = { "proxy", 0u, ts_p_load, ts_p_save, ts_p_destroy,
                                              ts_p_touch, ts_p_close };
static const dynsess_store_vt ts_proxy_notouch_vt = { "proxy", 0u, ts_p_load, ts_p_save,
                                                      ts_p_destroy, 0, ts_p_close };

/* ---- fixture ------------------------------------------------------------------ */
typedef struct ts_fix {
    dynsess_store *mem;
    ts_proxy proxy;
    ts_rng_state rng;
    dynsess_desc desc;
    dynsess_ctx *ctx;
    char sc[400];      /* last Set-Cookie */
    size_t sc_len;
    char cookie[400];  /* Cookie header for the next request */
} ts_fix;

static void ts_init(ts_fix *f) {
    memset(f, 0, sizeof *f);
    ts_now = 1000000;
    f->rng.next = 1;
    f->desc.clock.now = ts_clock;
    f->desc.rng.fill = ts_rng;
    f->desc.rng.user = &f->rng;
    f->proxy.base.vt = &ts_proxy_vt;
    f->desc.store = &f->proxy.base;
}
static dynsess_status ts_start(ts_fix *f, dynsess_error *err) {
    dynsess_status rc = dynsess_store_memory_new(0, &f->mem, err);
    if (rc) return rc;
    f->proxy.inner = f->mem;
    return dynsess_setup(&f->ctx, &f->desc, err);
}
static void ts_stop(ts_fix *f) {
    dynsess_shutdown(f->ctx);
    dynsess_store_close(f->mem);
}
/* Turns the last Set-Cookie into the next request's Cookie header ("name=value"). */
static void ts_cookie_from_sc(ts_fix *f) {
    const char *semi = strchr(f->sc, ';');
    size_t n = semi ? (size_t)(semi - f->sc) : strlen(f->sc);
    memcpy(f->cookie, f->sc, n);
    f->cookie[n] = 0;
}
static dynsess_status ts_load(ts_fix *f, dynsess_session **s, dynsess_error *err) {
    return dynsess_load(f->ctx, f->cookie, strlen(f->cookie), s, err);
}
static dynsess_status ts_save(ts_fix *f, dynsess_session *s, dynsess_error *err) {
    return dynsess_save(f->ctx, s, f->sc, sizeof f->sc, &f->sc_len, err);
}
static int ts_streq(dynsess_str a, const char *b) {
    return a.ptr && a.len == strlen(b) && memcmp(a.ptr, b, a.len) == 0;
}
static int64_t ts_get_int(dynsess_session *s, const char *k) {
    return dynsess_value_int(dynsess_session_get(s, k));
}

/* ---- setup and desc -------------------------------------------------------------- */
TT_TEST(setup_defaults_and_query_desc) {
    ts_fix f;
    dynsess_error err;
    const dynsess_desc *d;
    ts_init(&f);
    f.desc.secrets[0] = dynsess_cstr("this secret is not used with a store given");
    ASSERT_OK(ts_start(&f, &err), &err);
    d = dynsess_query_desc(f.ctx);
    ASSERT(d != 0);
    EXPECT_EQ_STR(d->cookie_name, "session");
    EXPECT_EQ_STR(d->cookie_path, "/");
    EXPECT(d->cookie_domain == 0);
    EXPECT_EQ_INT(d->max_age_s, 3600);
    EXPECT_EQ_INT(d->same_site, DYNSESS_SAME_SITE_LAX);
    EXPECT_EQ_INT(d->insecure_cookie, 0);
    EXPECT_EQ_INT(d->no_http_only, 0);
    EXPECT_EQ_INT(d->idle_timeout_s, 3600);
    EXPECT_EQ_INT(d->absolute_timeout_s, 86400);
    EXPECT_EQ_INT(d->touch_after_s, 0);
    EXPECT_EQ_INT(d->max_cookie_len, 4096);
    EXPECT_EQ_INT(d->max_session_len, 262144);
    EXPECT_EQ_INT(d->json.max_depth, 128);
    EXPECT_EQ_INT(d->max_retries, 5);
    EXPECT(d->secrets[0].ptr == 0 && d->secrets[0].len == 0);
    EXPECT(d->store == &f.proxy.base);
    EXPECT(dynsess_query_store(f.ctx) == &f.proxy.base);
    EXPECT(dynsess_query_desc(0) == 0);
    ts_stop(&f);
}

TT_TEST(setup_copies_strings) {
    ts_fix f;
    dynsess_error err;
    char name[16], path[16];
    ts_init(&f);
    strcpy(name, "sid");
    strcpy(path, "/app");
    f.desc.cookie_name = name;
    f.desc.cookie_path = path;
    ASSERT_OK(ts_start(&f, &err), &err);
    strcpy(name, "xxx");
    strcpy(path, "/zz");
    EXPECT_EQ_STR(dynsess_query_desc(f.ctx)->cookie_name, "sid");
    EXPECT_EQ_STR(dynsess_query_desc(f.ctx)->cookie_path, "/app");
    ts_stop(&f);
}

TT_TEST(setup_config_errors) {
    dynsess_ctx *ctx = (dynsess_ctx *)1;
    dynsess_desc d;
    dynsess_error err;
    ts_proxy p;
    static const dynsess_store_vt bad_vt = { "bad", 0u, 0, 0, 0, 0, 0 };
    dynsess_store bad;
    memset(&p, 0, sizeof p);
    p.base.vt = &ts_proxy_vt;
    bad.vt = &bad_vt;
#define TS_BAD(field_stmt, code, needle) do { \
        memset(&d, 0, sizeof d); d.store = &p.base; field_stmt; \
        EXPECT_EQ_INT(dynsess_setup(&ctx, &d, &err), code); \
        EXPECT(ctx == 0); \
        if (!strstr(err.msg, needle)) TT__FAIL("message '%s' lacks '%s'", err.msg, needle); \
    } while (0)
    TS_BAD(d.cookie_name = "a b", DYNSESS_E_CONFIG, "cookie_name");
    TS_BAD(d.cookie_name = "a;b", DYNSESS_E_CONFIG, "cookie_name");
    TS_BAD(d.cookie_name = "", DYNSESS_E_CONFIG, "cookie_name");
    TS_BAD(d.cookie_path = "app", DYNSESS_E_CONFIG, "cookie_path");
    TS_BAD(d.cookie_path = "/a;b", DYNSESS_E_CONFIG, "cookie_path");
    TS_BAD(d.cookie_domain = "a.com; Secure", DYNSESS_E_CONFIG, "cookie_domain");
    TS_BAD(d.cookie_domain = "", DYNSESS_E_CONFIG, "cookie_domain");
    TS_BAD((d.same_site = DYNSESS_SAME_SITE_NONE, d.insecure_cookie = 1), DYNSESS_E_CONFIG,
           "same_site");
    TS_BAD(d.same_site = (dynsess_same_site)99, DYNSESS_E_CONFIG, "same_site");
    TS_BAD(d.idle_timeout_s = -1, DYNSESS_E_CONFIG, "idle_timeout_s");
    TS_BAD(d.absolute_timeout_s = -5, DYNSESS_E_CONFIG, "absolute_timeout_s");
    TS_BAD(d.touch_after_s = -5, DYNSESS_E_CONFIG, "touch_after_s");
    TS_BAD(d.max_retries = -1, DYNSESS_E_CONFIG, "max_retries");
    TS_BAD(d.max_cookie_len = 10, DYNSESS_E_CONFIG, "max_cookie_len");
    TS_BAD(d.allocator.alloc = tt_alloc_fn, DYNSESS_E_CONFIG, "allocator");
    TS_BAD(d.store = &bad, DYNSESS_E_CONFIG, "store");
#undef TS_BAD
    memset(&d, 0, sizeof d);
    EXPECT_EQ_INT(dynsess_setup(0, &d, &err), DYNSESS_E_ARG);
    EXPECT_EQ_INT(dynsess_setup(&ctx, 0, &err), DYNSESS_E_ARG);
    /* the default store needs a secret */
    EXPECT_EQ_INT(dynsess_setup(&ctx, &d, &err), DYNSESS_E_CONFIG);
    EXPECT(ctx == 0);
    d.secrets[0] = dynsess_cstr("too short");
    EXPECT_EQ_INT(dynsess_setup(&ctx, &d, &err), DYNSESS_E_CONFIG);
    dynsess_shutdown(0);
}

/* ---- the request cycle ----------------------------------------------------------- */
TT_TEST(cycle_end_to_end_memory) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    dynsess_str id, id2;
    char first_id[64];
    ts_init(&f);
    f.rng.next = 0; /* first id: 32 zero bytes */
    ASSERT_OK(ts_start(&f, &err), &err);
    /* request 1: no cookie */
    ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    EXPECT_EQ_STR(dynsess_session_reason(s), "no session cookie");
    EXPECT_EQ_INT(dynsess_session_id(s).len, 0);
    EXPECT_EQ_INT(dynsess_session_count(s), 0);
    EXPECT_OK(dynsess_session_set_str(s, "user", "alice", &err), &err);
    EXPECT_OK(dynsess_session_set_int(s, "visits", 1, &err), &err);
    EXPECT(dynsess_session_modified(s));
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT_EQ_STR(f.sc, "session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; Path=/; Max-Age=3600; "
                        "HttpOnly; Secure; SameSite=Lax");
    EXPECT_EQ_INT(f.sc_len, strlen(f.sc));
    id = dynsess_session_id(s);
    EXPECT_EQ_INT(id.len, DYNSESS_ID_LEN);
    memcpy(first_id, id.ptr, id.len);
    first_id[id.len] = 0;
    EXPECT(!dynsess_session_is_new(s));
    EXPECT(!dynsess_session_modified(s));
    EXPECT_EQ_INT(dynsess_session_expires_at(s), ts_now + 3600);
    EXPECT_EQ_INT(dynsess_session_created_at(s), ts_now);
    EXPECT_EQ_INT(f.proxy.saves, 1);
    dynsess_release(s);
    ts_cookie_from_sc(&f);

    /* request 2: the cookie brings the session back */
    ts_now += 10;
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(!dynsess_session_is_new(s));
    EXPECT_EQ_STR(dynsess_session_reason(s), "");
    EXPECT(ts_streq(dynsess_value_str(dynsess_session_get(s, "user")), "alice"));
    EXPECT_EQ_INT(ts_get_int(s, "visits"), 1);
    id2 = dynsess_session_id(s);
    EXPECT(id2.len == DYNSESS_ID_LEN && memcmp(id2.ptr, first_id, id2.len) == 0);
    EXPECT_OK(dynsess_session_set_int(s, "visits", 2, &err), &err);
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT(f.sc_len > 0);
    EXPECT(strncmp(f.sc, "session=AAAA", 12) == 0);
    EXPECT_EQ_INT(f.proxy.saves, 2);
    dynsess_release(s);
    ts_cookie_from_sc(&f);

    /* request 3: read only -> nothing written, nothing sent */
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT_EQ_INT(ts_get_int(s, "visits"), 2);
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT_EQ_INT(f.sc_len, 0);
    EXPECT_EQ_STR(f.sc, "");
    EXPECT_EQ_INT(f.proxy.saves, 2);

    /* logout */
    ASSERT_OK(dynsess_destroy(f.ctx, s, f.sc, sizeof f.sc, &f.sc_len, &err), &err);
    EXPECT_EQ_STR(f.sc, "session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
                        "HttpOnly; Secure; SameSite=Lax");
    EXPECT_EQ_INT(dynsess_session_count(s), 0);
    EXPECT_EQ_INT(dynsess_store_memory_count(f.mem), 0);
    /* a save after destroy writes nothing */
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT_EQ_INT(f.sc_len, 0);
    EXPECT_EQ_INT(dynsess_store_memory_count(f.mem), 0);
    dynsess_release(s);

    /* the old cookie is dead */
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    EXPECT_EQ_STR(dynsess_session_reason(s), "memory: no such session");
    dynsess_release(s);
    ts_stop(&f);
}

TT_TEST(cycle_empty_new_session_sends_nothing) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    ts_init(&f);
    ASSERT_OK(ts_start(&f, &err), &err);
    ASSERT_OK(dynsess_load(f.ctx, "", 0, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_int(s, "x", 1, &err), &err);
    EXPECT_EQ_INT(dynsess_session_pop(s, "x"), 1);
    EXPECT(!dynsess_session_modified(s));
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT_EQ_INT(f.sc_len, 0);
    EXPECT_EQ_INT(f.proxy.saves, 0);
    dynsess_release(s);
    /* an unknown cookie and an empty session: a clearing cookie, no record */
    strcpy(f.cookie, "session=AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE");
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    EXPECT_EQ_STR(dynsess_session_reason(s), "memory: no such session");
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT(strncmp(f.sc, "session=; Path=/; Max-Age=0;", 28) == 0);
    EXPECT_EQ_INT(f.proxy.saves, 0);
    dynsess_release(s);
    ts_stop(&f);
}

TT_TEST(cycle_unknown_id_never_adopted) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    const char *planted = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"; /* what rng would give */
    ts_init(&f);
    f.rng.next = 2;
    ASSERT_OK(ts_start(&f, &err), &err);
    snprintf(f.cookie, sizeof f.cookie, "session=%s", planted);
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    EXPECT_OK(dynsess_session_set_str(s, "user", "victim", &err), &err);
    ASSERT_OK(ts_save(&f, s, &err), &err);
    /* the session lives under a server-made id, not the planted one */
    EXPECT(strstr(f.sc, planted) == 0);
    EXPECT(memcmp(dynsess_session_id(s).ptr, planted, DYNSESS_ID_LEN) != 0);
    dynsess_release(s);
    /* malformed ids never reach the store */
    {
        static const char *bad[] = {
            "session=short", "session=AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEx",
            "session=AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQF", /* non-canonical tail */
            "session=AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBA+E", /* not base64url */
            "session=" };
        size_t i;
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            int loads = f.proxy.loads;
            ASSERT_OK(dynsess_load(f.ctx, bad[i], strlen(bad[i]), &s, &err), &err);
            EXPECT(dynsess_session_is_new(s));
            EXPECT_EQ_INT(f.proxy.loads, loads);
            EXPECT(strncmp(dynsess_session_reason(s), "cookie: ", 8) == 0);
            dynsess_release(s);
        }
    }
    ts_stop(&f);
}

/* Builds a stored session and returns its id in out (NUL-terminated). */
static void ts_make_session(ts_fix *f, const char *json, char *out) {
    dynsess_error err;
    dynsess_session *s = 0;
    dynsess_str id;
    out[0] = 0;
    if (dynsess_load(f->ctx, 0, 0, &s, &err)) { TT__FAIL("load: %s", err.msg); return; }
    if (dynsess_session_set_json(s, "k", json, strlen(json), &err)) TT__FAIL("set: %s", err.msg);
    if (ts_save(f, s, &err)) TT__FAIL("save: %s", err.msg);
    id = dynsess_session_id(s);
    memcpy(out, id.ptr, id.len);
    out[id.len] = 0;
    dynsess_release(s);
}

TT_TEST(cookie_header_parsing) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    char a[64], b[64], h[512];
    size_t i;
    ts_init(&f);
    ASSERT_OK(ts_start(&f, &err), &err);
    ts_make_session(&f, "\"A\"", a);
    ts_make_session(&f, "\"B\"", b);
    {
        struct { const char *fmt; const char *expect; } cases[] = {
            { "session=%s", "A" },
            { "a=1; session=%s; b=2", "A" },
            { "a=1;session=%s;b=2", "A" },
            { "  session = %s  ;x=y", "A" },
            { "\tsession=\t%s\t", "A" },
            { "session=\"%s\"", "A" },
            { "other=zz; session=junk; session=%s", "A" },     /* first that loads */
            { "session; session=%s", "A" },                    /* no '=' : skipped */
            { "x=\"a;b\"; session=%s", "A" },                  /* quote does not hide ';' */
            { "sessionx=1; xsession=2; session=%s", "A" },
            { "Session=zzz; SESSION=yyy; session=%s", "A" },   /* names are case-sensitive */
            { "session=%s; session=BBB", "A" },
            { "Session=%s", 0 },
            { "sessionx=%s", 0 },
            { "session=%s-", 0 },
            { "session=j1; session=j2; session=j3; session=j4; session=%s", 0 }, /* 4 tries max */
            { "session=j1; session=j2; session=j3; session=%s", "A" },
            { "=%s; session", 0 },
            { ";;;; ; session=%s ;;", "A" },
        };
        for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            snprintf(h, sizeof h, cases[i].fmt, a);
            if (dynsess_load(f.ctx, h, strlen(h), &s, &err)) { TT__FAIL("load: %s", err.msg); continue; }
            if (cases[i].expect) {
                const dynsess_value *v = dynsess_session_get(s, "k");
                if (!v || !ts_streq(dynsess_value_str(v), cases[i].expect))
                    TT__FAIL("header '%s' should load %s (reason '%s')", h, cases[i].expect,
                             dynsess_session_reason(s));
            } else if (!dynsess_session_is_new(s)) {
                TT__FAIL("header '%s' should not load a session", h);
            }
            dynsess_release(s);
        }
    }
    /* duplicates both valid: the first occurrence wins */
    snprintf(h, sizeof h, "session=%s; session=%s", b, a);
    ASSERT_OK(dynsess_load(f.ctx, h, strlen(h), &s, &err), &err);
    EXPECT(ts_streq(dynsess_value_str(dynsess_session_get(s, "k")), "B"));
    dynsess_release(s);
    /* len is honoured: the header is not read past it */
    snprintf(h, sizeof h, "session=%s", a);
    ASSERT_OK(dynsess_load(f.ctx, h, strlen(h) - 1, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    dynsess_release(s);
    /* no header at all */
    ASSERT_OK(dynsess_load(f.ctx, 0, 99, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    dynsess_release(s);
    EXPECT_EQ_INT(dynsess_load(f.ctx, h, 1, 0, &err), DYNSESS_E_ARG);
    EXPECT_EQ_INT(dynsess_load(0, h, 1, &s, &err), DYNSESS_E_ARG);
    EXPECT(s == 0);
    ts_stop(&f);
}

TT_TEST(set_cookie_attributes) {
    struct {
        const char *name, *path, *domain;
        int32_t max_age;
        dynsess_same_site ss;
        int insecure, no_http_only;
        const char *expect_tail;   /* after "<name>=<id>" */
    } cases[] = {
        { 0, 0, 0, 0, DYNSESS_SAME_SITE_DEFAULT, 0, 0,
          "; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax" },
        { "sid", "/app", "example.com", 120, DYNSESS_SAME_SITE_STRICT, 0, 0,
          "; Path=/app; Domain=example.com; Max-Age=120; HttpOnly; Secure; SameSite=Strict" },
        { 0, 0, 0, -1, DYNSESS_SAME_SITE_NONE, 0, 1, "; Path=/; Secure; SameSite=None" },
        { 0, 0, 0, 0, DYNSESS_SAME_SITE_OMIT, 1, 0, "; Path=/; Max-Age=3600; HttpOnly" },
        { 0, 0, 0, 999999, DYNSESS_SAME_SITE_LAX, 1, 1, "; Path=/; Max-Age=86400; SameSite=Lax" },
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_fix f;
        dynsess_error err;
        dynsess_session *s = 0;
        char expect[512];
        const char *name = cases[i].name ? cases[i].name : "session";
        ts_init(&f);
        f.rng.next = 0;
        f.desc.cookie_name = cases[i].name;
        f.desc.cookie_path = cases[i].path;
        f.desc.cookie_domain = cases[i].domain;
        f.desc.max_age_s = cases[i].max_age;
        f.desc.same_site = cases[i].ss;
        f.desc.insecure_cookie = cases[i].insecure;
        f.desc.no_http_only = cases[i].no_http_only;
        f.desc.idle_timeout_s = 999999;  /* Max-Age is capped by the absolute end (86400) */
        ASSERT_OK(ts_start(&f, &err), &err);
        ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
        EXPECT_OK(dynsess_session_set_bool(s, "b", 1, &err), &err);
        ASSERT_OK(ts_save(&f, s, &err), &err);
        snprintf(expect, sizeof expect, "%s=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%s", name,
                 cases[i].expect_tail);
        EXPECT_EQ_STR(f.sc, expect);
        ASSERT_OK(dynsess_destroy(f.ctx, s, f.sc, sizeof f.sc, &f.sc_len, &err), &err);
        EXPECT(strstr(f.sc, "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT") != 0);
        if (cases[i].domain) EXPECT(strstr(f.sc, "; Domain=example.com") != 0);
        dynsess_release(s);
        ts_stop(&f);
    }
}

TT_TEST(max_age_follows_remaining_lifetime) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    ts_init(&f);
    f.desc.absolute_timeout_s = 5000;
    ASSERT_OK(ts_start(&f, &err), &err);
    ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_int(s, "n", 1, &err), &err);
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT(strstr(f.sc, "; Max-Age=3600;") != 0);
    dynsess_release(s);
    ts_cookie_from_sc(&f);
    ts_now += 3000;
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_int(s, "n", 2, &err), &err);
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT(strstr(f.sc, "; Max-Age=2000;") != 0);  /* 5000 - 3000 left */
    EXPECT_EQ_INT(dynsess_session_expires_at(s), ts_now + 2000);
    dynsess_release(s);
    ts_stop(&f);
}

TT_TEST(expiry_idle_sliding) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    char id[64];
    ts_init(&f);
    ASSERT_OK(ts_start(&f, &err), &err);
    ts_make_session(&f, "1", id);
    snprintf(f.cookie, sizeof f.cookie, "session=%s", id);
    /* a modified save at +3000 slides the deadline to +6600 */
    ts_now += 3000;
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(!dynsess_session_is_new(s));
    EXPECT_OK(dynsess_session_set_int(s, "k", 2, &err), &err);
    ASSERT_OK(ts_save(&f, s, &err), &err);
    dynsess_release(s);
    ts_now += 3599;
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(!dynsess_session_is_new(s));
    ASSERT_OK(ts_save(&f, s, &err), &err);    /* unmodified: no slide (touch off) */
    EXPECT_EQ_INT(f.sc_len, 0);
    dynsess_release(s);
    ts_now += 1;
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    EXPECT_EQ_STR(dynsess_session_reason(s), "memory: session expired");
    dynsess_release(s);
    ts_stop(&f);
}

TT_TEST(expiry_absolute_lifetime) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    char id[64];
    int i;
    int64_t t0;
    ts_init(&f);
    f.desc.absolute_timeout_s = 7200;
    ASSERT_OK(ts_start(&f, &err), &err);
    t0 = ts_now;
    ts_make_session(&f, "0", id);
    snprintf(f.cookie, sizeof f.cookie, "session=%s", id);
    /* active every 1000 s: still ends at t0 + 7200 */
    for (i = 1; i <= 7; i++) {
        ts_now = t0 + (int64_t)i * 1000;
        ASSERT_OK(ts_load(&f, &s, &err), &err);
        EXPECT(!dynsess_session_is_new(s));
        EXPECT_OK(dynsess_session_set_int(s, "k", i, &err), &err);
        ASSERT_OK(ts_save(&f, s, &err), &err);
        EXPECT(dynsess_session_expires_at(s) <= t0 + 7200);
        dynsess_release(s);
    }
    ts_now = t0 + 7200;
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    dynsess_release(s);
    ts_stop(&f);
}

/* A store that keeps expires_at far away: the session layer enforces both limits itself. */
static dynsess_status ts_lax_load(dynsess_store *st, dynsess_str t, int64_t now, dynsess_record *r,
                                  dynsess_error *err) {
    dynsess_status rc = ts_p_load(st, t, 0, r, err);
    (void)now;
    if (rc == DYNSESS_OK && ((ts_proxy *)st)->mark_stale == 2) r->expires_at = INT64_MAX;
    return rc;
}
static const dynsess_store_vt ts_lax_vt = { "lax", 0u, ts_lax_load, ts_p_save, ts_p_destroy,
                                            ts_p_touch, ts_p_close };

TT_TEST(expiry_enforced_by_session_layer) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    char id[64];
    ts_init(&f);
    f.proxy.base.vt = &ts_lax_vt;
    f.desc.absolute_timeout_s = 7200;
    ASSERT_OK(ts_start(&f, &err), &err);
    ts_make_session(&f, "0", id);
    snprintf(f.cookie, sizeof f.cookie, "session=%s", id);
    ts_now += 3600; /* the inner store ignores time (now=0): record says expires_at = t0+3600 */
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    EXPECT_EQ_STR(dynsess_session_reason(s), "session: expired");
    dynsess_release(s);
    f.proxy.mark_stale = 2; /* now the store claims it never expires */
    ts_now += 7200;
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    EXPECT_EQ_STR(dynsess_session_reason(s), "session: absolute lifetime over");
    dynsess_release(s);
    ts_stop(&f);
}

static void ts_touch_case(int with_touch) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    char id[64];
    int64_t t0;
    ts_init(&f);
    if (!with_touch) f.proxy.base.vt = &ts_proxy_notouch_vt;
    f.desc.touch_after_s = 600;
    ASSERT_OK(ts_start(&f, &err), &err);
    t0 = ts_now;
    ts_make_session(&f, "1", id);
    snprintf(f.cookie, sizeof f.cookie, "session=%s", id);
    EXPECT_EQ_INT(f.proxy.saves, 1);
    /* +100: too soon, nothing written */
    ts_now = t0 + 100;
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT_EQ_INT(f.sc_len, 0);
    EXPECT_EQ_INT(f.proxy.saves + f.proxy.touches, 1);
    dynsess_release(s);
    /* +700: the deadline would move 700 s >= 600: one write */
    ts_now = t0 + 700;
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT(f.sc_len > 0);
    EXPECT(strstr(f.sc, "Max-Age=3600") != 0);
    EXPECT_EQ_INT(dynsess_session_expires_at(s), t0 + 700 + 3600);
    if (with_touch) { EXPECT_EQ_INT(f.proxy.touches, 1); EXPECT_EQ_INT(f.proxy.saves, 1); }
    else { EXPECT_EQ_INT(f.proxy.touches, 0); EXPECT_EQ_INT(f.proxy.saves, 2); }
    dynsess_release(s);
    /* +1000: moved only 300 since: nothing */
    ts_now = t0 + 1000;
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT_EQ_INT(f.sc_len, 0);
    EXPECT_EQ_INT(f.proxy.saves + f.proxy.touches, 2);
    dynsess_release(s);
    /* the read extended the life: alive at t0 + 4000 (> t0 + 3600) */
    ts_now = t0 + 4000;
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(!dynsess_session_is_new(s));
    EXPECT_EQ_INT(ts_get_int(s, "k"), 1);
    dynsess_release(s);
    ts_stop(&f);
}
TT_TEST(touch_after_with_store_touch) { ts_touch_case(1); }
TT_TEST(touch_after_without_store_touch) { ts_touch_case(0); }

TT_TEST(stale_record_is_rewritten) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    char id[64];
    ts_init(&f);
    ASSERT_OK(ts_start(&f, &err), &err);
    ts_make_session(&f, "1", id);
    snprintf(f.cookie, sizeof f.cookie, "session=%s", id);
    f.proxy.mark_stale = 1;
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(!dynsess_session_modified(s));
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT(f.sc_len > 0);
    EXPECT_EQ_INT(f.proxy.saves, 2);
    /* once rewritten, a second save in the same request writes nothing */
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT_EQ_INT(f.sc_len, 0);
    EXPECT_EQ_INT(f.proxy.saves, 2);
    dynsess_release(s);
    ts_stop(&f);
}

TT_TEST(regenerate_keeps_data_new_id) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    char id[64], old_cookie[256];
    dynsess_str nid;
    int64_t t0;
    ts_init(&f);
    ASSERT_OK(ts_start(&f, &err), &err);
    t0 = ts_now;
    ts_make_session(&f, "{\"cart\":[1,2,3]}", id);
    snprintf(f.cookie, sizeof f.cookie, "session=%s", id);
    strcpy(old_cookie, f.cookie);
    ts_now += 500;
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_str(s, "user", "bob", &err), &err);
    ASSERT_OK(dynsess_regenerate(f.ctx, s, &err), &err);
    /* nothing happens in the store before save */
    EXPECT_EQ_INT(dynsess_store_memory_count(f.mem), 1);
    ASSERT_OK(ts_save(&f, s, &err), &err);
    nid = dynsess_session_id(s);
    EXPECT_EQ_INT(nid.len, DYNSESS_ID_LEN);
    EXPECT(memcmp(nid.ptr, id, DYNSESS_ID_LEN) != 0);
    EXPECT(strstr(f.sc, nid.ptr ? "session=" : "x") == f.sc);
    EXPECT(memcmp(f.sc + 8, nid.ptr, DYNSESS_ID_LEN) == 0);
    EXPECT_EQ_INT(dynsess_store_memory_count(f.mem), 1);
    EXPECT_EQ_INT(dynsess_session_created_at(s), t0 + 500);
    dynsess_release(s);
    /* the old cookie is dead, the new one has everything */
    ASSERT_OK(dynsess_load(f.ctx, old_cookie, strlen(old_cookie), &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    dynsess_release(s);
    ts_cookie_from_sc(&f);
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(!dynsess_session_is_new(s));
    EXPECT(ts_streq(dynsess_value_str(dynsess_session_get(s, "user")), "bob"));
    EXPECT_EQ_INT(dynsess_value_len(dynsess_object_get(dynsess_session_get(s, "k"), "cart", 4)), 3);
    /* regenerate without changes still moves the session */
    ASSERT_OK(dynsess_regenerate(f.ctx, s, &err), &err);
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT(f.sc_len > 0);
    EXPECT(memcmp(f.sc + 8, f.cookie + 8, DYNSESS_ID_LEN) != 0);
    dynsess_release(s);
    /* on a brand-new session, regenerate is harmless */
    ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    ASSERT_OK(dynsess_regenerate(f.ctx, s, &err), &err);
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT_EQ_INT(f.sc_len, 0);
    EXPECT_EQ_INT(dynsess_regenerate(0, s, &err), DYNSESS_E_ARG);
    dynsess_release(s);
    ts_stop(&f);
}

TT_TEST(save_twice_in_one_request) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    ts_init(&f);
    ASSERT_OK(ts_start(&f, &err), &err);
    ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_int(s, "a", 1, &err), &err);
    ASSERT_OK(ts_save(&f, s, &err), &err);      /* create */
    EXPECT_OK(dynsess_session_set_int(s, "a", 2, &err), &err);
    ASSERT_OK(ts_save(&f, s, &err), &err);      /* update with the version it created */
    EXPECT_OK(dynsess_session_set_int(s, "a", 3, &err), &err);
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT_EQ_INT(f.proxy.saves, 3);            /* no conflict round trips */
    EXPECT_EQ_INT(f.proxy.loads, 0);
    dynsess_release(s);
    ts_cookie_from_sc(&f);
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT_EQ_INT(ts_get_int(s, "a"), 3);
    dynsess_release(s);
    ts_stop(&f);
}

/* Reads the stored JSON for id straight from the memory store. */
static void ts_stored(ts_fix *f, const char *id, char *out, size_t cap) {
    dynsess_record r;
    dynsess_error err;
    memset(&r, 0, sizeof r);
    dynsess_buf_init(&r.data, 0);
    out[0] = 0;
    if (f->mem->vt->load(f->mem, dynsess_cstr(id), ts_now, &r, &err) == DYNSESS_OK)
        snprintf(out, cap, "%s", r.data.ptr);
    dynsess_buf_free(&r.data);
}

TT_TEST(conflict_merge_interleaved) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *a = 0, *b = 0;
    char id[64], stored[512];
    ts_init(&f);
    ASSERT_OK(ts_start(&f, &err), &err);
    ts_make_session(&f, "0", id);  /* {"k":0} */
    snprintf(f.cookie, sizeof f.cookie, "session=%s", id);
    {   /* seed a few keys */
        dynsess_session *s = 0;
        ASSERT_OK(ts_load(&f, &s, &err), &err);
        EXPECT_OK(dynsess_session_set_json(s, "x", "1", 1, &err), &err);
        EXPECT_OK(dynsess_session_set_json(s, "y", "1", 1, &err), &err);
        EXPECT_OK(dynsess_session_set_json(s, "z", "1", 1, &err), &err);
        ASSERT_OK(ts_save(&f, s, &err), &err);
        dynsess_release(s);
    }
    /* A and B load the same version */
    ASSERT_OK(ts_load(&f, &a, &err), &err);
    ASSERT_OK(ts_load(&f, &b, &err), &err);
    /* B: y=2, pops z, adds w; saves first */
    EXPECT_OK(dynsess_session_set_int(b, "y", 2, &err), &err);
    EXPECT_EQ_INT(dynsess_session_pop(b, "z"), 1);
    EXPECT_OK(dynsess_session_set_int(b, "w", 9, &err), &err);
    ASSERT_OK(ts_save(&f, b, &err), &err);
    /* A: x=2 and k=5; its save conflicts, re-loads and re-applies only x and k */
    EXPECT_OK(dynsess_session_set_int(a, "x", 2, &err), &err);
    EXPECT_OK(dynsess_session_set_int(a, "k", 5, &err), &err);
    f.proxy.saves = 0;
    ASSERT_OK(ts_save(&f, a, &err), &err);
    EXPECT_EQ_INT(f.proxy.saves, 2);   /* conflict, then success */
    EXPECT(f.sc_len > 0);
    ts_stored(&f, id, stored, sizeof stored);
    EXPECT_EQ_STR(stored, "{\"k\":5,\"x\":2,\"y\":2,\"w\":9}");
    /* A's dict holds the merged data */
    EXPECT_EQ_INT(ts_get_int(a, "y"), 2);
    EXPECT(dynsess_session_get(a, "z") == 0);
    EXPECT_EQ_INT(ts_get_int(a, "w"), 9);
    dynsess_release(a);
    dynsess_release(b);

    /* clear = pop every key A saw; keys B added survive; a key A set to the
       value it already had still wins (A set it) */
    ASSERT_OK(ts_load(&f, &a, &err), &err);
    ASSERT_OK(ts_load(&f, &b, &err), &err);
    EXPECT_OK(dynsess_session_set_int(b, "new", 1, &err), &err);
    EXPECT_OK(dynsess_session_set_int(b, "x", 100, &err), &err);
    ASSERT_OK(ts_save(&f, b, &err), &err);
    dynsess_session_clear(a);
    EXPECT_OK(dynsess_session_set_int(a, "x", 2, &err), &err);
    ASSERT_OK(ts_save(&f, a, &err), &err);
    ts_stored(&f, id, stored, sizeof stored);
    EXPECT_EQ_STR(stored, "{\"x\":2,\"new\":1}");
    dynsess_release(a);
    dynsess_release(b);

    /* an in-place nested edit (no setter) is re-applied too */
    ASSERT_OK(ts_load(&f, &a, &err), &err);
    ASSERT_OK(ts_load(&f, &b, &err), &err);
    EXPECT_OK(dynsess_session_set_json(a, "list", "[1]", 3, &err), &err);
    ASSERT_OK(ts_save(&f, a, &err), &err);
    dynsess_release(a);
    ASSERT_OK(ts_load(&f, &a, &err), &err);
    EXPECT_OK(dynsess_session_set_int(b, "new", 2, &err), &err);
    ASSERT_OK(ts_save(&f, b, &err), &err);
    {
        dynsess_value *list = (dynsess_value *)dynsess_session_get(a, "list");
        dynsess_doc *doc = dynsess_session_doc(a);
        ASSERT(list != 0);
        EXPECT_OK(dynsess_array_push(doc, list, dynsess_value_new_int(doc, 2), &err), &err);
    }
    EXPECT(dynsess_session_modified(a));
    ASSERT_OK(ts_save(&f, a, &err), &err);
    ts_stored(&f, id, stored, sizeof stored);
    EXPECT_EQ_STR(stored, "{\"x\":2,\"new\":2,\"list\":[1,2]}");
    dynsess_release(a);
    dynsess_release(b);
    ts_stop(&f);
}

TT_TEST(conflict_retries_are_bounded) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    char id[64];
    ts_init(&f);
    f.desc.max_retries = 3;
    ASSERT_OK(ts_start(&f, &err), &err);
    ts_make_session(&f, "1", id);
    snprintf(f.cookie, sizeof f.cookie, "session=%s", id);
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_int(s, "k", 2, &err), &err);
    f.proxy.force_save = DYNSESS_E_CONFLICT;
    f.proxy.saves = 0;
    EXPECT_EQ_INT(ts_save(&f, s, &err), DYNSESS_E_CONFLICT);
    EXPECT(strstr(err.msg, "max_retries") != 0);
    EXPECT_EQ_INT(f.proxy.saves, 4);
    EXPECT_EQ_INT(f.sc_len, 0);
    EXPECT_EQ_STR(f.sc, "");
    /* the session may be saved again once the store is healthy */
    f.proxy.force_save = DYNSESS_OK;
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT(f.sc_len > 0);
    dynsess_release(s);
    ts_stop(&f);
}

/* ---- logger capture ------------------------------------------------------------ */
typedef struct ts_log { int n, warnings; char all[2048]; } ts_log;
static void ts_log_fn(void *user, dynsess_log_level level, const char *msg) {
    ts_log *l = (ts_log *)user;
    size_t used = strlen(l->all);
    l->n++;
    if (level == DYNSESS_LOG_WARN) l->warnings++;
    snprintf(l->all + used, sizeof l->all - used, "%s\n", msg);
}

TT_TEST(destroyed_meanwhile_is_not_resurrected) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *a = 0, *b = 0;
    char id[64];
    ts_log lg;
    memset(&lg, 0, sizeof lg);
    ts_init(&f);
    f.desc.logger.func = ts_log_fn;
    f.desc.logger.user = &lg;
    ASSERT_OK(ts_start(&f, &err), &err);
    ts_make_session(&f, "1", id);
    snprintf(f.cookie, sizeof f.cookie, "session=%s", id);
    ASSERT_OK(ts_load(&f, &a, &err), &err);
    ASSERT_OK(ts_load(&f, &b, &err), &err);
    ASSERT_OK(dynsess_destroy(f.ctx, b, f.sc, sizeof f.sc, &f.sc_len, &err), &err);
    EXPECT_EQ_INT(lg.n, 0);
    EXPECT_OK(dynsess_session_set_int(a, "k", 2, &err), &err);
    ASSERT_OK(ts_save(&f, a, &err), &err);
    EXPECT(strstr(f.sc, "Max-Age=0") != 0);
    EXPECT_EQ_STR(dynsess_session_reason(a),
                  "session: destroyed by another request, changes dropped");
    EXPECT_EQ_INT(dynsess_store_memory_count(f.mem), 0);
    EXPECT_EQ_INT(lg.warnings, 1);
    EXPECT(strstr(lg.all, "destroyed by another request") != 0);
    dynsess_release(a);
    dynsess_release(b);
    /* the old cookie: a debug line with the reason, never the cookie value */
    ASSERT_OK(ts_load(&f, &a, &err), &err);
    EXPECT(dynsess_session_is_new(a));
    EXPECT_EQ_INT(lg.n, 2);
    EXPECT(strstr(lg.all, "memory: no such session") != 0);
    EXPECT(strstr(lg.all, id) == 0);
    dynsess_release(a);
    ts_stop(&f);
}

TT_TEST(id_collision_gets_new_id) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    char id1[64], id2[64];
    ts_init(&f);
    f.rng.next = 7;
    f.rng.repeat = 1; /* the first two ids are the same */
    ASSERT_OK(ts_start(&f, &err), &err);
    ts_make_session(&f, "1", id1);
    f.proxy.saves = 0;
    ts_make_session(&f, "2", id2);
    EXPECT_EQ_INT(f.proxy.saves, 2);   /* E_EXISTS, then a new id */
    EXPECT(strcmp(id1, id2) != 0);
    EXPECT_EQ_INT(dynsess_store_memory_count(f.mem), 2);
    /* nothing overwritten */
    snprintf(f.cookie, sizeof f.cookie, "session=%s", id1);
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT_EQ_INT(ts_get_int(s, "k"), 1);
    dynsess_release(s);
    /* an rng that fails: E_RANDOM, never a weak id */
    f.rng.fail = 1;
    ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_int(s, "k", 1, &err), &err);
    EXPECT_EQ_INT(ts_save(&f, s, &err), DYNSESS_E_RANDOM);
    EXPECT_EQ_INT(f.sc_len, 0);
    dynsess_release(s);
    ts_stop(&f);
}

TT_TEST(store_failure_on_load_is_an_error) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = (dynsess_session *)1;
    char id[64];
    ts_init(&f);
    ASSERT_OK(ts_start(&f, &err), &err);
    ts_make_session(&f, "1", id);
    snprintf(f.cookie, sizeof f.cookie, "session=%s", id);
    f.proxy.force_load = DYNSESS_E_CONNECT;
    EXPECT_EQ_INT(ts_load(&f, &s, &err), DYNSESS_E_CONNECT);
    EXPECT(s == 0);
    /* without a cookie the store is not asked */
    ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    dynsess_release(s);
    f.proxy.force_load = DYNSESS_OK;
    f.proxy.force_save = DYNSESS_E_TIMEOUT;
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_int(s, "k", 3, &err), &err);
    EXPECT_EQ_INT(ts_save(&f, s, &err), DYNSESS_E_TIMEOUT);
    EXPECT_EQ_INT(f.sc_len, 0);
    dynsess_release(s);
    ts_stop(&f);
}

TT_TEST(size_limits) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    char small[16];
    size_t need = 0;
    ts_init(&f);
    f.desc.cookie_domain = "a-very-long-domain-name-to-push-the-cookie-over-the-limit.example.com";
    f.desc.max_cookie_len = 128;
    f.desc.max_session_len = 64;
    ASSERT_OK(ts_start(&f, &err), &err);
    ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_int(s, "k", 1, &err), &err);
    /* Set-Cookie over max_cookie_len: E_COOKIE_SIZE, nothing stored or sent */
    EXPECT_EQ_INT(ts_save(&f, s, &err), DYNSESS_E_COOKIE_SIZE);
    EXPECT(strstr(err.msg, "max_cookie_len") != 0);
    EXPECT_EQ_INT(f.sc_len, 0);
    EXPECT_EQ_INT(f.proxy.saves, 0);
    dynsess_release(s);
    dynsess_shutdown(f.ctx);
    f.desc.cookie_domain = 0;
    ASSERT_OK(dynsess_setup(&f.ctx, &f.desc, &err), &err);
    ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_int(s, "k", 1, &err), &err);
    /* buffer too small: E_BUFFER with the length needed, nothing stored */
    EXPECT_EQ_INT(dynsess_save(f.ctx, s, small, sizeof small, &need, &err), DYNSESS_E_BUFFER);
    EXPECT_EQ_INT(need, strlen("session=") + 43 + strlen("; Path=/; Max-Age=3600; HttpOnly; "
                                                           "Secure; SameSite=Lax"));
    EXPECT_EQ_INT(f.proxy.saves, 0);
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT_EQ_INT(f.sc_len, need);
    EXPECT_EQ_INT(f.proxy.saves, 1);
    /* session JSON over max_session_len: E_LIMIT */
    EXPECT_OK(dynsess_session_set_str(s, "big", "0123456789012345678901234567890123456789"
                                                "0123456789", &err), &err);
    EXPECT_EQ_INT(ts_save(&f, s, &err), DYNSESS_E_LIMIT);
    EXPECT(strstr(err.msg, "max_session_len") != 0);
    EXPECT_EQ_INT(f.proxy.saves, 1);
    dynsess_release(s);
    ts_stop(&f);
}

/* The bitmap check against RFC 6265 §4.1.1 written out, for every byte. */
TT_TEST(cookie_octet_bitmap) {
    int c;
    for (c = 0; c < 256; c++) {
        char ch = (char)c;
        int want = c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
                   (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
        if (dynsess__sess_cookie_octets(&ch, 1) != want) TT__FAIL("byte 0x%02x", c);
    }
    EXPECT(dynsess__sess_cookie_octets("v1.abc-_XYZ", 11));
    EXPECT(!dynsess__sess_cookie_octets("v1.abc XYZ", 10));
    EXPECT(dynsess__sess_cookie_octets("", 0));
}

/* A self-contained store that hands back a token a cookie cannot carry. */
static dynsess_status ts_evil_load(dynsess_store *st, dynsess_str t, int64_t now,
                                   dynsess_record *r, dynsess_error *err) {
    (void)st; (void)t; (void)now; (void)r;
    return dynsess__fail(err, DYNSESS_E_NOTFOUND, DYNSESS_NO_OFFSET, "evil: nothing");
}
static dynsess_status ts_evil_save(dynsess_store *st, const dynsess_write *w, int64_t now,
                                   dynsess_buf *tok, dynsess_error *err) {
    (void)st; (void)w; (void)now;
    return dynsess_buf_appendz(tok, "a;b", err);
}
static dynsess_status ts_evil_destroy(dynsess_store *st, dynsess_str t, dynsess_error *err) {
    (void)st; (void)t; (void)err;
    return DYNSESS_OK;
}
static const dynsess_store_vt ts_evil_vt = { "evil", DYNSESS_STORE_SELF_CONTAINED, ts_evil_load,
                                             ts_evil_save, ts_evil_destroy, 0, ts_p_close };

TT_TEST(store_token_must_be_cookie_safe) {
    dynsess_store evil;
    dynsess_desc d;
    dynsess_ctx *ctx = 0;
    dynsess_session *s = 0;
    dynsess_error err;
    char sc[256];
    size_t n = 1;
    evil.vt = &ts_evil_vt;
    memset(&d, 0, sizeof d);
    d.store = &evil;
    ASSERT_OK(dynsess_setup(&ctx, &d, &err), &err);
    ASSERT_OK(dynsess_load(ctx, "session=x", 9, &s, &err), &err);
    EXPECT_EQ_STR(dynsess_session_reason(s), "evil: nothing");
    EXPECT_OK(dynsess_session_set_int(s, "k", 1, &err), &err);
    EXPECT_EQ_INT(dynsess_save(ctx, s, sc, sizeof sc, &n, &err), DYNSESS_E_INTERNAL);
    EXPECT_EQ_INT(n, 0);
    EXPECT_EQ_INT(sc[0], 0);
    dynsess_release(s);
    dynsess_shutdown(ctx);
}

/* ---- the dict ------------------------------------------------------------------------ */
TT_TEST(dict_api) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    dynsess_doc *doc;
    dynsess_value *arr;
    size_t i;
    ts_init(&f);
    ASSERT_OK(ts_start(&f, &err), &err);
    ASSERT_OK(dynsess_load(f.ctx, 0, 0, &s, &err), &err);
    EXPECT_OK(dynsess_session_set_str(s, "s", "h\xc3\xa9llo", &err), &err);
    EXPECT_OK(dynsess_session_set_str_n(s, "n", "a\0b", 3, &err), &err);
    EXPECT_OK(dynsess_session_set_int(s, "i", INT64_MIN, &err), &err);
    EXPECT_OK(dynsess_session_set_real(s, "r", 0.1, &err), &err);
    EXPECT_OK(dynsess_session_set_bool(s, "b", 7, &err), &err);
    EXPECT_OK(dynsess_session_set_null(s, "z", &err), &err);
    {
        const char *j = "{\"a\":[1,{\"b\":null}]}";
        EXPECT_OK(dynsess_session_set_json(s, "j", j, strlen(j), &err), &err);
    }
    EXPECT_EQ_INT(dynsess_session_count(s), 7);
    EXPECT(ts_streq(dynsess_value_str(dynsess_session_get(s, "s")), "h\xc3\xa9llo"));
    EXPECT_EQ_INT(dynsess_value_str(dynsess_session_get(s, "n")).len, 3);
    EXPECT_EQ_INT(ts_get_int(s, "i"), INT64_MIN);
    EXPECT(dynsess_value_real(dynsess_session_get(s, "r")) == 0.1);
    EXPECT_EQ_INT(dynsess_value_type(dynsess_session_get(s, "b")), DYNSESS_JSON_BOOL);
    EXPECT_EQ_INT(dynsess_value_bool(dynsess_session_get(s, "b")), 1);
    EXPECT_EQ_INT(dynsess_value_type(dynsess_session_get(s, "z")), DYNSESS_JSON_NULL);
    EXPECT(dynsess_session_get(s, "z") != 0);
    EXPECT(dynsess_session_get(s, "missing") == 0);
    EXPECT_EQ_INT(dynsess_value_type(dynsess_session_get(s, "j")), DYNSESS_JSON_OBJECT);
    /* iteration in insertion order */
    {
        static const char *keys[] = { "s", "n", "i", "r", "b", "z", "j" };
        for (i = 0; i < 7; i++) {
            EXPECT(ts_streq(dynsess_session_key_at(s, i), keys[i]));
            EXPECT(dynsess_session_value_at(s, i) == dynsess_session_get(s, keys[i]));
        }
        EXPECT(dynsess_session_key_at(s, 7).ptr == 0);
        EXPECT(dynsess_session_value_at(s, 7) == 0);
    }
    /* replace keeps count */
    EXPECT_OK(dynsess_session_set_int(s, "s", 1, &err), &err);
    EXPECT_EQ_INT(dynsess_session_count(s), 7);
    /* errors leave the dict unchanged */
    EXPECT_EQ_INT(dynsess_session_set_json(s, "j", "[1,]", 4, &err), DYNSESS_E_JSON);
    EXPECT_EQ_INT(dynsess_value_type(dynsess_session_get(s, "j")), DYNSESS_JSON_OBJECT);
    EXPECT_EQ_INT(dynsess_session_set_str(s, "bad\xff", "x", &err), DYNSESS_E_ARG);
    EXPECT_EQ_INT(dynsess_session_set_str(s, "k", "\xc0\x80", &err), DYNSESS_E_ARG);
    EXPECT_EQ_INT(dynsess_session_set_str(s, "k", "\xed\xa0\x80", &err), DYNSESS_E_ARG);
    EXPECT_EQ_INT(dynsess_session_set_str(s, 0, "x", &err), DYNSESS_E_ARG);
    EXPECT_EQ_INT(dynsess_session_set_str(s, "k", 0, &err), DYNSESS_E_ARG);
    {
        double zero = 0.0;
        EXPECT_EQ_INT(dynsess_session_set_real(s, "k", zero / zero, &err), DYNSESS_E_ARG);
        EXPECT_EQ_INT(dynsess_session_set_real(s, "k", 1.0 / zero, &err), DYNSESS_E_ARG);
    }
    EXPECT_EQ_INT(dynsess_session_set(s, "k", 0, &err), DYNSESS_E_ARG);
    EXPECT_EQ_INT(dynsess_session_count(s), 7);
    /* set deep-copies: a value built in the doc, changed afterwards */
    doc = dynsess_session_doc(s);
    arr = dynsess_value_new_array(doc);
    ASSERT(arr != 0);
    EXPECT_OK(dynsess_array_push(doc, arr, dynsess_value_new_int(doc, 1), &err), &err);
    EXPECT_OK(dynsess_session_set(s, "arr", arr, &err), &err);
    EXPECT_OK(dynsess_array_push(doc, arr, dynsess_value_new_int(doc, 2), &err), &err);
    EXPECT_EQ_INT(dynsess_value_len(dynsess_session_get(s, "arr")), 1);
    /* pop / clear */
    EXPECT_EQ_INT(dynsess_session_pop(s, "arr"), 1);
    EXPECT_EQ_INT(dynsess_session_pop(s, "arr"), 0);
    EXPECT_EQ_INT(dynsess_session_pop(s, 0), 0);
    EXPECT_EQ_INT(dynsess_session_count(s), 7);
    dynsess_session_clear(s);
    EXPECT_EQ_INT(dynsess_session_count(s), 0);
    EXPECT(!dynsess_session_modified(s));
    /* round trip through the store keeps every type */
    {
        const char *j = "[\"x\\u0000y\",-9223372036854775808,1.5e300,true,false,null,{}]";
        EXPECT_OK(dynsess_session_set_json(s, "all", j, strlen(j), &err), &err);
    }
    ASSERT_OK(ts_save(&f, s, &err), &err);
    dynsess_release(s);
    ts_cookie_from_sc(&f);
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    {
        const dynsess_value *all = dynsess_session_get(s, "all");
        EXPECT_EQ_INT(dynsess_value_len(all), 7);
        EXPECT_EQ_INT(dynsess_value_str(dynsess_array_at(all, 0)).len, 3);
        EXPECT_EQ_INT(dynsess_value_int(dynsess_array_at(all, 1)), INT64_MIN);
        EXPECT(dynsess_value_real(dynsess_array_at(all, 2)) == 1.5e300);
    }
    /* accessors on 0 */
    EXPECT(dynsess_session_get(0, "a") == 0);
    EXPECT_EQ_INT(dynsess_session_count(0), 0);
    EXPECT_EQ_INT(dynsess_session_is_new(0), 0);
    EXPECT_EQ_STR(dynsess_session_reason(0), "");
    dynsess_session_clear(0);
    dynsess_release(0);
    dynsess_release(s);
    ts_stop(&f);
}

TT_TEST(modified_sees_nested_and_same_value_edits) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    char id[64];
    ts_init(&f);
    ASSERT_OK(ts_start(&f, &err), &err);
    ts_make_session(&f, "{\"a\":{\"b\":[1]}}", id);
    snprintf(f.cookie, sizeof f.cookie, "session=%s", id);
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(!dynsess_session_modified(s));
    /* same value: not modified, nothing written */
    EXPECT_OK(dynsess_session_set_json(s, "k", "{\"a\":{\"b\":[1]}}", 15, &err), &err);
    EXPECT(!dynsess_session_modified(s));
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT_EQ_INT(f.sc_len, 0);
    EXPECT_EQ_INT(f.proxy.saves, 1);
    /* nested in-place edit: modified, written */
    {
        const dynsess_value *k = dynsess_session_get(s, "k");
        dynsess_value *b = (dynsess_value *)dynsess_object_get(dynsess_object_get(k, "a", 1), "b", 1);
        dynsess_doc *doc = dynsess_session_doc(s);
        ASSERT(b != 0);
        EXPECT_OK(dynsess_array_push(doc, b, dynsess_value_new_int(doc, 2), &err), &err);
    }
    EXPECT(dynsess_session_modified(s));
    ASSERT_OK(ts_save(&f, s, &err), &err);
    EXPECT(f.sc_len > 0);
    EXPECT_EQ_INT(f.proxy.saves, 2);
    dynsess_release(s);
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT_EQ_INT(dynsess_value_len(dynsess_object_get(dynsess_object_get(
                      dynsess_session_get(s, "k"), "a", 1), "b", 1)), 2);
    dynsess_release(s);
    ts_stop(&f);
}

TT_TEST(corrupt_record_starts_fresh) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    dynsess_write w;
    dynsess_buf tok;
    char id[64];
    ts_init(&f);
    f.rng.next = 3;
    ASSERT_OK(ts_start(&f, &err), &err);
    ts_make_session(&f, "1", id);
    /* overwrite the record with something that is not a JSON object */
    memset(&w, 0, sizeof w);
    w.token = dynsess_cstr(id);
    w.data = dynsess_cstr("[1,2]");
    w.created_at = ts_now;
    w.expires_at = ts_now + 100;
    dynsess_buf_init(&tok, 0);
    ASSERT_OK(f.mem->vt->save(f.mem, &w, ts_now, &tok, &err), &err);
    snprintf(f.cookie, sizeof f.cookie, "session=%s", id);
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    EXPECT(strstr(dynsess_session_reason(s), "stored data unreadable") != 0);
    dynsess_release(s);
    w.data = dynsess_cstr("{\"a\":");
    ASSERT_OK(f.mem->vt->save(f.mem, &w, ts_now, &tok, &err), &err);
    ASSERT_OK(ts_load(&f, &s, &err), &err);
    EXPECT(dynsess_session_is_new(s));
    EXPECT(strstr(dynsess_session_reason(s), "stored data unreadable (json") != 0);
    dynsess_release(s);
    dynsess_buf_free(&tok);
    ts_stop(&f);
}

/* ---- out of memory: load / set / save / load / destroy under a failing allocator ---- */
static int ts_oom_cycle(tt_alloc_state *as, int *reached_end) {
    ts_fix f;
    dynsess_error err;
    dynsess_session *s = 0;
    dynsess_memory_desc md;
    dynsess_allocator a;
    dynsess_status rc;
    int ok = 0;
    ts_init(&f);
    a.alloc = tt_alloc_fn;
    a.realloc = tt_realloc_fn;
    a.free = tt_free_fn;
    a.user = as;
    f.desc.allocator = a;
    memset(&md, 0, sizeof md);
    md.allocator = a;
    *reached_end = 0;
    if (dynsess_store_memory_new(&md, &f.mem, &err)) return 1;
    f.proxy.inner = f.mem;
    rc = dynsess_setup(&f.ctx, &f.desc, &err);
    if (rc) { dynsess_store_close(f.mem); return rc == DYNSESS_E_NOMEM; }
#define TS_STEP(call) do { rc = (call); if (rc) { ok = rc == DYNSESS_E_NOMEM; goto out; } } while (0)
    TS_STEP(dynsess_load(f.ctx, 0, 0, &s, &err));
    TS_STEP(dynsess_session_set_str(s, "user", "alice", &err));
    TS_STEP(dynsess_session_set_json(s, "cart", "[1,2,{\"x\":\"y\"}]", 15, &err));
    TS_STEP(ts_save(&f, s, &err));
    dynsess_release(s);
    s = 0;
    ts_cookie_from_sc(&f);
    TS_STEP(ts_load(&f, &s, &err));
    if (dynsess_session_is_new(s)) { TT__FAIL("session lost after OOM-free save"); goto out; }
    TS_STEP(dynsess_session_set_int(s, "n", 5, &err));
    TS_STEP(dynsess_regenerate(f.ctx, s, &err));
    TS_STEP(ts_save(&f, s, &err));
    dynsess_release(s);
    s = 0;
    ts_cookie_from_sc(&f);
    TS_STEP(ts_load(&f, &s, &err));
    if (ts_get_int(s, "n") != 5) { TT__FAIL("regenerated session lost data"); goto out; }
    TS_STEP(dynsess_destroy(f.ctx, s, f.sc, sizeof f.sc, &f.sc_len, &err));
    *reached_end = 1;
    ok = 1;
#undef TS_STEP
out:
    dynsess_release(s);
    dynsess_shutdown(f.ctx);
    dynsess_store_close(f.mem);
    return ok;
}

TT_TEST(oom_loop_request_cycle) {
    int mode, end = 0;
    long n, total;
    tt_alloc_state clean = {0, 0, 0, 0};
    /* a clean run counts the allocations; then each one fails in turn */
    ASSERT(ts_oom_cycle(&clean, &end) && end);
    EXPECT_EQ_INT(clean.live, 0);
    total = clean.count;
    EXPECT(total > 20);
    for (mode = 0; mode < 2; mode++) {
        for (n = 1; n <= total + 1; n++) {
            tt_alloc_state as = {0, 0, 0, 0};
            as.fail_at = n;
            as.fail_after = mode;
            if (!ts_oom_cycle(&as, &end)) TT__FAIL("fail_at %ld mode %d: not E_NOMEM", n, mode);
            if (as.live != 0) TT__FAIL("fail_at %ld mode %d: %ld blocks leaked", n, mode, as.live);
            if (n == total + 1 && !end) TT__FAIL("mode %d: the cycle never completed", mode);
        }
    }
}

static const tt_case tt_cases[] = {
    TT_CASE(setup_defaults_and_query_desc),
    TT_CASE(setup_copies_strings),
    TT_CASE(setup_config_errors),
    TT_CASE(cycle_end_to_end_memory),
    TT_CASE(cycle_empty_new_session_sends_nothing),
    TT_CASE(cycle_unknown_id_never_adopted),
    TT_CASE(cookie_header_parsing),
    TT_CASE(set_cookie_attributes),
    TT_CASE(max_age_follows_remaining_lifetime),
    TT_CASE(expiry_idle_sliding),
    TT_CASE(expiry_absolute_lifetime),
    TT_CASE(expiry_enforced_by_session_layer),
    TT_CASE(touch_after_with_store_touch),
    TT_CASE(touch_after_without_store_touch),
    TT_CASE(stale_record_is_rewritten),
    TT_CASE(regenerate_keeps_data_new_id),
    TT_CASE(save_twice_in_one_request),
    TT_CASE(conflict_merge_interleaved),
    TT_CASE(conflict_retries_are_bounded),
    TT_CASE(destroyed_meanwhile_is_not_resurrected),
    TT_CASE(id_collision_gets_new_id),
    TT_CASE(store_failure_on_load_is_an_error),
    TT_CASE(size_limits),
    TT_CASE(cookie_octet_bitmap),
    TT_CASE(store_token_must_be_cookie_safe),
    TT_CASE(dict_api),
    TT_CASE(modified_sees_nested_and_same_value_edits),
    TT_CASE(corrupt_record_starts_fresh),
    TT_CASE(oom_loop_request_cycle),
};
int main(int argc, char **argv) { return tt_main(argc, argv, tt_cases, TT_COUNT(tt_cases)); }
